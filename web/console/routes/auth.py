"""Signing in and out, and the console's static files.

Two ways in, one authority (the staff service):
- from a desktop browser, the one-time link the bot sends on `/console`
  (`/console/login?t=<token>`): the page asks for one click (a link previewer or a mail
  scanner that merely fetches the URL uses nothing up), then `POST login` takes the token
  (single use, minutes old at most) and opens a session cookie;
- inside Telegram, `/console/tma` (the staff Mini App): the page posts its initData to
  `api/tma`, checked as the storefront checks it, and a staff member gets a session the same
  way.
The session cookie is HttpOnly, SameSite=Strict, Path=/console, Secure unless the console is
served over plain http on a loopback address (the demo); sign-out deletes the session.
"""

from __future__ import annotations

import hmac
from ipaddress import ip_address
from urllib.parse import urlsplit

from aiohttp import web

from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_
from web.auth import MAX_INIT_DATA, verify_init_data
from web.console.access import BadCsrf, NoLongerStaff, public, staff
from web.console.keys import ASSETS, CONFIG, SERVICES, SESSION, SESSIONS
from web.console.middleware import COOKIE, CSRF_FIELD
from web.console.render import MOUNT, json_ok, redirect, render
from web.console.sessions import new_secret

routes = web.RouteTableDef()

PRE_COOKIE = "kiosk_console_pre"  # the sign-in form's own CSRF token (double submit)


class LinkNotValid(ValidationError):
    message = N_(
        "This sign-in link has expired or was already used. Send /console to the bot for a "
        "new one."
    )


def secure_cookies(public_url: str) -> bool:
    """Secure cookies, except for plain http on a loopback address (the demo, tests)."""
    parts = urlsplit(public_url)
    if parts.scheme == "https":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return False
    try:
        return not ip_address(host).is_loopback
    except ValueError:
        return True


def _set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=MOUNT,
        httponly=True,
        secure=secure_cookies(request.config_dict[CONFIG].public_url),
        samesite="Strict",
    )


async def _open_session(
    request: web.Request, telegram_id: int, response: web.StreamResponse
) -> None:
    """A session for a person who is staff right now (else NoLongerStaff)."""
    if await request.config_dict[SERVICES].staff.role_of(telegram_id) is None:
        raise NoLongerStaff()
    sessions = request.config_dict[SESSIONS]
    session = await sessions.open(telegram_id)
    _set_cookie(request, response, COOKIE, session.secret, sessions.max_age)


@routes.get("/signin")
@public
async def signin(request: web.Request) -> web.Response:
    """Where a browser without a session lands: how to get a link (and, inside Telegram,
    console.js signs in with initData at once)."""
    signed_out = request.query.get("out") == "1"
    return render(request, "console/auth/signin.html", signed_out=signed_out)


@routes.get("/login")
@public
async def login_page(request: web.Request) -> web.Response:
    """The link's page: one button that posts the token (nothing is used up by a GET)."""
    token = request.query.get("t", "")
    if not token or len(token) > 128:
        return render(
            request, "console/auth/link_invalid.html", status=400, message_id=LinkNotValid.message
        )
    pre = new_secret()
    response = render(request, "console/auth/login.html", token=token, pre=pre)
    _set_cookie(request, response, PRE_COOKIE, pre, request.config_dict[SESSIONS].link_ttl)
    return response


@routes.post("/login")
@public
async def login(request: web.Request) -> web.StreamResponse:
    """Exchange a one-time token for a session cookie, then open the dashboard."""
    form = await request.post()
    presented, expected = form.get(CSRF_FIELD), request.cookies.get(PRE_COOKIE, "")
    if (
        not isinstance(presented, str)
        or not expected
        or not hmac.compare_digest(presented.encode(), expected.encode())
    ):
        raise BadCsrf()
    token = form.get("t")
    telegram_id = await request.config_dict[SESSIONS].redeem_link(
        token if isinstance(token, str) else ""
    )
    if telegram_id is None:
        return render(
            request, "console/auth/link_invalid.html", status=400, message_id=LinkNotValid.message
        )
    response = redirect(f"{MOUNT}/")
    await _open_session(request, telegram_id, response)
    response.del_cookie(PRE_COOKIE, path=MOUNT)
    return response


@routes.get("/tma")
@public
async def tma_page(request: web.Request) -> web.Response:
    """The staff Mini App's entry: console.js posts Telegram.WebApp.initData to api/tma."""
    return render(request, "console/auth/tma.html")


@routes.post("/api/tma")
@public
async def tma_signin(request: web.Request) -> web.Response:
    """initData (checked as the storefront checks it) -> a session, for staff only. Only
    JSON is taken: a cross-site form can't send it without the browser asking first."""
    if request.content_type != "application/json":
        raise ValidationError(N_("That request isn't valid."))
    try:
        body = await request.json()
    except ValueError:
        raise ValidationError(N_("That request isn't valid.")) from None
    init_data = body.get("init_data") if isinstance(body, dict) else None
    if not isinstance(init_data, str) or not init_data or len(init_data) > MAX_INIT_DATA:
        raise ValidationError(N_("That request isn't valid."))
    config = request.config_dict[CONFIG]
    try:
        caller = verify_init_data(config.bot_token, init_data, config.init_data_max_age)
    except DomainError:
        raise NoLongerStaff(N_("Open the console from the bot again, please.")) from None
    response = json_ok(redirect=f"{MOUNT}/")
    await _open_session(request, caller.identity.telegram_id, response)
    return response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """Sign out: the session is deleted on the server, the cookie in the browser."""
    staff(request)
    await request.config_dict[SESSIONS].close(request[SESSION].secret)
    response = redirect(f"{MOUNT}/signin?out=1")
    response.del_cookie(COOKIE, path=MOUNT)
    return response


@routes.get("/static/{version}/{name}")
@public
async def static(request: web.Request) -> web.Response:
    assets = request.config_dict[ASSETS]
    asset = assets.files.get(request.match_info["name"])
    if asset is None or request.match_info["version"] != assets.version:
        raise web.HTTPNotFound()
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    response = web.Response(body=asset.gzipped if gzipped else asset.body, headers=headers)
    response.headers["Content-Type"] = asset.content_type
    return response
