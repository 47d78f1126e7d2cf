"""The merchants' console on the test database, and people to use it.

`open_console()` serves the console (and the storefront) over a real aiohttp server on the
`db` fixture's backend, with the real services (tests/services.py), a Bot whose calls are
recorded and the seeded shop of tests/web/storefront.py. `Console.client(who)` is a browser
without JavaScript for one person: "owner" (ADMIN_IDS), "manager" (appointed by the owner),
"shopper" (a customer; the console refuses them) or "anonymous" (no sign-in at all). Staff
clients sign in exactly as a person does: a one-time link, its page, the form's POST; they
keep the cookie and the page's CSRF token, which `call` sends with every change.

In a test: `async def test_x(console: Console) -> None` (the fixture is in
tests/web/conftest.py), then e.g.

    owner = await console.client("owner")
    status, body = await owner.call("GET", "/console/api/dashboard?days=7")
    status, html = await owner.page("/console/goods")
    status, body = await owner.call("POST", "/console/api/goods", json_body={...})
    status, body = await owner.call("POST", "...", csrf=False)  # the token left out: 403

For the browser: `browser_sign_in(page, running, telegram_id)` asks the bot for a link in the
sandbox chat (`/console`), opens it and presses Sign in; it returns the page on the dashboard.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from aiogram import Bot
from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer

from bot.i18n import build_i18n
from bot.wiring import Services
from domain.staff.service import StaffTarget
from tests.services import shop_services
from tests.web.storefront import (
    PROVIDER_TOKEN,
    TOKEN,
    RecordingSession,
    seed,
    shopper,
    sign_init_data,
)
from web import StorefrontConfig, build_storefront, mount_storefront
from web.console import build_console

if TYPE_CHECKING:
    from playwright.async_api import Page

    from demo.harness import Sandboxed

OWNER_ID = 7001
MANAGER_ID = 7002
SHOPPER_ID = 1001
Who = Literal["owner", "manager", "shopper", "anonymous"]
PEOPLE: dict[str, int] = {"owner": OWNER_ID, "manager": MANAGER_ID, "shopper": SHOPPER_ID}
ADDRESS = {
    "recipient": "Ann Lee",
    "phone": "+1 555 123 4567",
    "city": "Springfield",
    "street": "12 Elm Street",
    "postcode": "12345",
}
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
_LOGIN_FIELD = re.compile(r'name="(t|csrf)" value="([^"]*)"')


@dataclass
class ConsoleClient:
    """One person's browser: its own cookies, and the CSRF token of its session."""

    http: ClientSession
    telegram_id: int | None
    csrf: str = ""

    async def page(self, path: str, **kw: Any) -> tuple[int, str]:
        """GET an HTML page (redirects are not followed: a 303 to sign-in shows)."""
        async with self.http.get(path, allow_redirects=False, **kw) as response:
            return response.status, await response.text()

    async def call(
        self,
        method: str,
        path: str,
        json_body: Any = None,
        data: Any = None,
        headers: dict[str, str] | None = None,
        csrf: bool | str = True,
    ) -> tuple[int, Any]:
        """A request with the session's CSRF header (or `csrf` as the token, or none when
        False); JSON answers decoded, anything else as text."""
        all_headers = dict(headers or {})
        if csrf is True and self.csrf:
            all_headers["X-CSRF-Token"] = self.csrf
        elif isinstance(csrf, str):
            all_headers["X-CSRF-Token"] = csrf
        async with self.http.request(
            method, path, json=json_body, data=data, headers=all_headers, allow_redirects=False
        ) as response:
            if "json" in response.headers.get("Content-Type", ""):
                return response.status, await response.json()
            return response.status, await response.text()

    async def refresh_csrf(self, path: str = "/console/") -> str:
        """Read the CSRF token from a page (the `<meta name="csrf-token">`)."""
        status, html = await self.page(path)
        found = _CSRF_META.search(html)
        self.csrf = found.group(1) if found and status == 200 else ""
        return self.csrf


@dataclass
class Console:
    server: TestServer
    app: web.Application  # the console sub-application (its router lists every route)
    services: Services
    session: RecordingSession
    goods: dict[str, int] = field(default_factory=dict)
    variants: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)
    clients: list[ConsoleClient] = field(default_factory=list)
    http: ClientSession = field(init=False)

    def __post_init__(self) -> None:
        self.http = ClientSession(base_url=self.server.make_url(""))

    def browser(self, telegram_id: int | None = None) -> ConsoleClient:
        """A new browser with no cookies."""
        http = ClientSession(base_url=self.server.make_url(""), cookie_jar=CookieJar(unsafe=True))
        client = ConsoleClient(http, telegram_id)
        self.clients.append(client)
        return client

    async def link(self, telegram_id: int) -> str:
        """A sign-in link as the bot sends it on /console (path and query)."""
        token = await self.services.console_sessions.issue_link(telegram_id)
        return f"/console/login?t={token}"

    async def follow_link(self, client: ConsoleClient, link: str) -> tuple[int, str]:
        """Open a sign-in link and press Sign in; (status, body) of the POST's answer."""
        status, html = await client.page(link)
        if status != 200:
            return status, html
        fields = dict(_LOGIN_FIELD.findall(html))
        async with client.http.post(
            "/console/login", data=fields, allow_redirects=False
        ) as response:
            return response.status, await response.text()

    async def client(self, who: Who) -> ConsoleClient:
        """A browser of `who`; staff are signed in (cookie and CSRF token kept). A shopper
        tried a link (forged for them) and was refused; anonymous never tried."""
        telegram_id = PEOPLE.get(who)
        client = self.browser(telegram_id)
        if telegram_id is None:
            return client
        status, _ = await self.follow_link(client, await self.link(telegram_id))
        if who == "shopper":
            assert status == 403, status
            return client
        assert status == 303, status
        await client.refresh_csrf()
        assert client.csrf, "no CSRF token on the dashboard"
        return client

    async def shop(
        self, method: str, path: str, telegram_id: int = SHOPPER_ID, json_body: Any = None
    ) -> tuple[int, Any]:
        """A shopper's call to the storefront's API (`/app/api/<path>`), signed initData."""
        headers = {"Authorization": "tma " + sign_init_data(TOKEN, shopper(telegram_id))}
        async with self.http.request(
            method, f"/app/api/{path}", json=json_body, headers=headers
        ) as response:
            if "json" in response.headers.get("Content-Type", ""):
                return response.status, await response.json()
            return response.status, await response.text()

    async def paid_order(
        self, telegram_id: int = SHOPPER_ID, lines: dict[str, int] | None = None
    ) -> int:
        """A shopper buys (2 mugs by default; `lines` = {goods name: quantity}) through the
        storefront and pays as Telegram would: the order's id, now paid."""
        for name, quantity in (lines or {"mug": 2}).items():
            body = {"product_id": self.goods[name], "quantity": quantity}
            status, answer = await self.shop("POST", "cart/items", telegram_id, body)
            assert status == 200, answer
        status, answer = await self.shop("POST", "addresses", telegram_id, ADDRESS)
        assert status == 200, answer
        checkout = {
            "address_id": answer["address_id"],
            "shipping_option": "standard",
            "method": "card",
        }
        status, answer = await self.shop("POST", "checkout", telegram_id, checkout)
        assert status == 200, answer
        invoice = self.session.invoices()[-1]
        user = await self.services.users.repo.get_by_telegram_id(telegram_id)
        assert user is not None
        now = datetime.now(UTC)
        total = sum(p.amount for p in invoice.prices)
        await self.services.payments.pre_checkout(
            user.id, invoice.payload, invoice.currency, total, None, now
        )
        await self.services.payments.paid(
            user.id,
            telegram_id,
            invoice.payload,
            invoice.currency,
            total,
            f"charge-{answer['order_id']}",
            f"provider-{answer['order_id']}",
            now,
        )
        return int(answer["order_id"])

    async def close(self) -> None:
        await self.http.close()
        for client in self.clients:
            await client.http.close()
        await self.server.close()


async def open_console(**settings: Any) -> Console:
    """The console and the storefront on one test server, over a seeded shop with an owner
    (OWNER_ID) and a manager (MANAGER_ID)."""
    overrides: dict[str, Any] = {
        "bot_token": TOKEN,
        "admin_ids": [OWNER_ID],
        "payments": {
            "invoice_secret": "kiosk-test-invoice-secret",
            "provider_token": PROVIDER_TOKEN,
            "use_stars": True,
        },
        **settings,
    }
    services = shop_services(**overrides)
    session = RecordingSession()
    bot = Bot(TOKEN, session=session)
    config = StorefrontConfig(
        bot_token=TOKEN,
        public_url="http://127.0.0.1",
        bot_username="kiosk_test_bot",
        telegram_js_url="https://telegram.org/js/telegram-web-app.js",
        rate=1000.0,
        burst=1000,
    )
    i18n = build_i18n("en")
    root = web.Application()
    app = build_console(services, bot, config, i18n)
    mount_storefront(root, build_storefront(services, bot, config, i18n), app)
    server = TestServer(root)
    await server.start_server()
    goods, variants, categories = await seed(services)
    await services.staff.add_manager(OWNER_ID, StaffTarget(telegram_id=MANAGER_ID))
    return Console(server, app, services, session, goods, variants, categories)


@asynccontextmanager
async def console_app(**settings: Any) -> AsyncIterator[Console]:
    c = await open_console(**settings)
    try:
        yield c
    finally:
        await c.close()


# ---------------------------------------------------------------- the browser
_LINK = re.compile(r"https?://\S+/console/login\?t=[A-Za-z0-9_-]+")


async def chat_sign_in_link(running: Sandboxed, telegram_id: int, name: str = "Owner") -> str:
    """Ask the bot for a sign-in link in the sandbox chat, as a staff member does."""
    person = running.sandbox.user(telegram_id, name, language_code="en")
    await person.send("/console")
    for message in reversed(person.bot_messages):
        found = _LINK.search(_text_and_buttons(message))
        if found:
            return found.group(0)
    raise AssertionError("the bot sent no sign-in link")


def _text_and_buttons(message: Any) -> str:
    parts = [message.content]
    parts += [str(e.get("url", "")) for e in message.entities or []]
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    parts += [str(b.get("url", "")) for row in rows for b in row]
    return " ".join(parts)


async def browser_sign_in(page: Page, running: Sandboxed, telegram_id: int) -> Page:
    """Sign in to the console in a real browser with a link from the chat; returns `page`
    showing the dashboard."""
    from playwright.async_api import expect

    link = await chat_sign_in_link(running, telegram_id)
    await page.goto(link)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("dashboard")).to_be_visible()
    return page
