"""Who may use the merchants' console, on SQLite and PostgreSQL: the authorisation table over
EVERY console route (read from the app's router, so a new page is covered without being
listed), sign-in links (single use, minutes old at most), sessions (cookie flags, sign-out,
idle expiry), CSRF on every change, and a manager removed in the chat losing the console on
the next request. A refused request changes nothing."""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from typing import Any

import pytest
from aiohttp import web
from redis.asyncio import Redis

from domain.staff.service import StaffTarget
from tests.web.console import MANAGER_ID, OWNER_ID, SHOPPER_ID, Console, ConsoleClient
from tests.web.storefront import TOKEN, shopper, sign_init_data
from web.console.access import PUBLIC, required_role
from web.console.middleware import COOKIE
from web.console.routes.auth import secure_cookies
from web.console.sessions import ConsoleSessions

pytestmark = pytest.mark.asyncio
SAFE = {"GET", "HEAD", "OPTIONS"}


def console_routes(app: web.Application) -> list[tuple[str, str, str]]:
    """(method, concrete path, least role) of every route of the console: path parameters
    filled with 1 (an id that may or may not exist: refusals come before lookups)."""
    found = []
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource is not None else {}
        if "path" in info:
            path = str(info["path"])
        else:
            path = str(info["formatter"]).format_map(defaultdict(lambda: "1"))
        found.append((route.method, path, required_role(route.handler)))
    return sorted(set(found))


async def snapshot(console: Console) -> tuple[Any, ...]:
    """What a refused request must leave as it was: the audit log (every back-office change
    writes a line), the staff, the goods with their prices and stock, orders, coupons."""
    s = console.services
    audit = await s.audit.page(1)
    goods = []
    for product_id in console.goods.values():
        p = await s.catalog.repo.get_product(product_id)
        goods.append((p.id, p.price, p.on_hand, p.active) if p else None)
    staff = sorted((m.telegram_id, m.role) for m in await s.staff.staff())
    return audit.total, tuple(goods), tuple(staff)


async def expect_refused(
    client: ConsoleClient,
    method: str,
    path: str,
    statuses: set[int],
    body: Any = None,
    csrf: bool | str = True,
) -> None:
    json_body = body if method not in SAFE else None
    status, answer = await client.call(method, path, json_body=json_body, csrf=csrf)
    assert status in statuses, (method, path, status, answer)
    if status == 303:
        return
    if "/api/" in path:
        assert isinstance(answer, dict) and answer.get("message"), (method, path, answer)
    else:
        assert 'data-testid="console-error"' in answer, (method, path)


async def test_the_table_covers_every_route(console: Console) -> None:
    routes = console_routes(console.app)
    paths = {p for _, p, _ in routes}
    assert {"/console/", "/console/api/dashboard", "/console/login", "/console/logout"} <= paths
    public = {(m, p) for m, p, r in routes if r == PUBLIC}
    assert public == {
        ("GET", "/console/signin"),
        ("GET", "/console/login"),
        ("POST", "/console/login"),
        ("GET", "/console/tma"),
        ("POST", "/console/api/tma"),
        ("GET", "/console/static/1/1"),
    }, "only the sign-in pages and static files may be public"


async def test_authorisation_table(console: Console) -> None:
    """anonymous, shopper (refused link, and a forged session), manager on owner-only
    routes, the owner without or with a wrong CSRF token: all refused, nothing changed."""
    routes = [(m, p, r) for m, p, r in console_routes(console.app) if r != PUBLIC]
    anonymous = await console.client("anonymous")
    refused_shopper = await console.client("shopper")
    forged = console.browser(SHOPPER_ID)  # a session for a shopper (e.g. a removed manager)
    sessions = console.services.console_sessions
    manager = await console.client("manager")
    owner = await console.client("owner")
    before = await snapshot(console)

    for method, path, role in routes:
        for client in (anonymous, refused_shopper):
            if method in SAFE and "/api/" not in path:
                status, _ = await client.page(path)
                assert status == 303, (path, status)  # to the sign-in page
            else:
                await expect_refused(client, method, path, {401}, {})
        session = await sessions.open(SHOPPER_ID)
        forged.http.cookie_jar.update_cookies({COOKIE: session.secret})
        await expect_refused(forged, method, path, {403}, {})
        assert await sessions.get(session.secret) is None  # closed at its first use
        if role == "owner":
            await expect_refused(manager, method, path, {403}, {})
        if method not in SAFE:
            for client in (owner, manager):
                await expect_refused(client, method, path, {403}, {}, csrf=False)
                await expect_refused(client, method, path, {403}, {}, csrf="x" * 43)

    assert await snapshot(console) == before


async def test_sign_in_link_works_once(console: Console) -> None:
    link = await console.link(OWNER_ID)
    first = console.browser()
    status, _ = await console.follow_link(first, link)
    assert status == 303
    assert (await first.page("/console/"))[0] == 200

    second = console.browser()
    status, html = await console.follow_link(second, link)
    assert status == 400 and 'data-testid="link-invalid"' in html
    assert COOKIE not in second.http.cookie_jar.filter_cookies(
        console.server.make_url("/console/")
    )
    assert (await second.page("/console/"))[0] == 303


async def test_an_expired_link_signs_nobody_in(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = console.services.console_sessions
    link = await console.link(OWNER_ID)
    later = sessions.clock() + sessions.link_ttl + 1
    monkeypatch.setattr(sessions, "clock", lambda: later)
    client = console.browser()
    status, html = await console.follow_link(client, link)
    assert status == 400 and "expired or was already used" in html
    assert (await client.page("/console/"))[0] == 303


async def test_a_link_page_opened_is_not_used_up_and_needs_its_form(console: Console) -> None:
    """A previewer that only fetches the link uses nothing; a POST without the form's own
    token (a cross-site form) is refused and the link still works afterwards."""
    link = await console.link(OWNER_ID)
    scanner = console.browser()
    assert (await scanner.page(link))[0] == 200
    token = link.split("t=")[1]
    async with scanner.http.post(
        "/console/login", data={"t": token, "csrf": "forged"}, allow_redirects=False
    ) as response:
        assert response.status == 403
    person = console.browser()
    status, _ = await console.follow_link(person, link)
    assert status == 303


async def test_the_session_cookie(console: Console) -> None:
    client = console.browser()
    link = await console.link(OWNER_ID)
    await client.page(link)
    token = link.split("t=")[1]
    pre = client.http.cookie_jar.filter_cookies(console.server.make_url("/console/login"))
    async with client.http.post(
        "/console/login",
        data={"t": token, "csrf": pre["kiosk_console_pre"].value},
        allow_redirects=False,
    ) as response:
        assert response.status == 303 and response.headers["Location"] == "/console/"
        cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/console"
    assert not cookie["secure"]  # plain http on loopback (the demo); https gets Secure:
    assert secure_cookies("https://shop.example") and secure_cookies("http://shop.example")
    assert not secure_cookies("http://127.0.0.1:8080") and not secure_cookies("http://localhost")
    stored = console.services.console_sessions
    assert cookie.value not in str(stored._memory), "only digests are stored"


async def test_sign_out_ends_the_session(console: Console) -> None:
    owner = await console.client("owner")
    cookie = owner.http.cookie_jar.filter_cookies(console.server.make_url("/console/"))[COOKIE]
    status, _ = await owner.call("POST", "/console/logout", csrf=False)
    assert status == 403  # a change: the token is needed, even to sign out
    status, _ = await owner.call("POST", "/console/logout")
    assert status == 303
    assert (await owner.page("/console/"))[0] == 303
    thief = console.browser()
    thief.http.cookie_jar.update_cookies({COOKIE: cookie.value})
    assert (await thief.page("/console/"))[0] == 303


async def test_an_idle_session_expires(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = await console.client("owner")
    sessions = console.services.console_sessions
    later = sessions.clock() + sessions.idle_ttl + 1
    monkeypatch.setattr(sessions, "clock", lambda: later)
    status, _ = await owner.page("/console/")
    assert status == 303
    status, body = await owner.call("GET", "/console/api/dashboard")
    assert status == 401 and body["error"] == "unauthorized"


async def test_a_manager_removed_in_the_chat_loses_the_console_at_once(console: Console) -> None:
    manager = await console.client("manager")
    assert (await manager.page("/console/"))[0] == 200
    await console.services.staff.remove_manager(OWNER_ID, MANAGER_ID)
    status, html = await manager.page("/console/")
    assert status == 403 and "no longer on this shop" in html
    assert (await manager.page("/console/"))[0] == 303  # the session is gone
    status, _ = await console.follow_link(manager, await console.link(MANAGER_ID))
    assert status == 403  # an old link doesn't bring them back
    await console.services.staff.add_manager(OWNER_ID, StaffTarget(telegram_id=MANAGER_ID))


async def test_the_nav_shows_what_the_role_allows(console: Console) -> None:
    owner = await console.client("owner")
    manager = await console.client("manager")
    _, owner_html = await owner.page("/console/")
    _, manager_html = await manager.page("/console/")
    assert 'data-testid="nav-dashboard"' in owner_html and 'data-role="owner"' in owner_html
    assert 'data-testid="nav-dashboard"' in manager_html and 'data-role="manager"' in manager_html
    owner_only = [p for m, p, r in console_routes(console.app) if r == "owner" and m == "GET"]
    for path in owner_only:
        item = f'href="{path}"'
        assert item not in manager_html, path


async def test_the_staff_mini_app_signs_in_with_init_data(console: Console) -> None:
    owner = console.browser()
    init_data = sign_init_data(TOKEN, shopper(OWNER_ID, "en", "Olga"))
    status, body = await owner.call("POST", "/console/api/tma", json_body={"init_data": init_data})
    assert status == 200 and body["redirect"] == "/console/"
    assert (await owner.page("/console/"))[0] == 200

    for forged in (
        sign_init_data(TOKEN, shopper(SHOPPER_ID)),  # a shopper
        sign_init_data("1:another-bot-token", shopper(OWNER_ID)),  # another bot's
        init_data.replace("Olga", "Olgb"),  # changed after signing
    ):
        client = console.browser()
        status, body = await client.call(
            "POST", "/console/api/tma", json_body={"init_data": forged}
        )
        assert status == 403, body
        assert (await client.page("/console/"))[0] == 303
    client = console.browser()
    status, body = await client.call("POST", "/console/api/tma", data={"init_data": init_data})
    assert status == 400 and body["message"]


async def test_errors_are_translated_pages_or_json(console: Console) -> None:
    owner = await console.client("owner")
    status, html = await owner.page("/console/no-such-page")
    assert status == 404 and 'data-testid="console-error"' in html
    status, body = await owner.call("GET", "/console/api/no-such-thing")
    assert status == 404 and body["error"] and body["message"]
    anonymous = console.browser()
    status, html = await anonymous.page("/console/signin")
    assert status == 200 and "/console" in html
    headers = (await anonymous.http.get("/console/signin")).headers
    assert "frame-ancestors" in headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]


# ---------------------------------------------------------------- the store on Redis
async def test_links_and_sessions_on_redis(redis_url: str) -> None:
    # this worker's own Redis database (tests/conftest.py), never a fixed number that
    # another xdist worker flushes
    redis = Redis.from_url(redis_url)
    try:
        sessions = ConsoleSessions(redis)
        token = await sessions.issue_link(OWNER_ID)
        digest = hashlib.sha256(token.encode()).hexdigest()
        assert 0 < await redis.ttl(f"kiosk:console:link:{digest}") <= 300
        results = await asyncio.gather(*(sessions.redeem_link(token) for _ in range(10)))
        assert sorted(results, key=str) == [OWNER_ID] + [None] * 9  # one winner
        session = await sessions.open(OWNER_ID)
        assert (await sessions.get(session.secret)) == session
        keys = [k.decode() for k in await redis.keys("kiosk:console:*")]
        assert all(session.secret not in k for k in keys)
        await sessions.close(session.secret)
        assert await sessions.get(session.secret) is None
    finally:
        await redis.aclose()
