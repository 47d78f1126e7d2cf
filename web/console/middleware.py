"""The console's middlewares, outermost first: `errors` (translated refusals: JSON under
/api/, pages elsewhere), `authenticate` (session cookie -> staff member, role read afresh),
`csrf` (no change without the session's token) and the security headers of every answer."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from domain.kernel.errors import DomainError
from domain.kernel.i18n import N_
from domain.staff.audit import SOURCE_CONSOLE, audit_source
from domain.staff.service import NotStaff
from web.config import TELEGRAM_ORIGINS
from web.console.access import (
    PUBLIC,
    BadCsrf,
    Forbidden,
    NoLongerStaff,
    NotSignedIn,
    StaffMember,
    required_role,
)
from web.console.keys import CONFIG, I18N, SERVICES, SESSION, SESSIONS, STAFF
from web.console.render import MOUNT, gettext, json_error, locale_of, render
from web.middleware import DOMAIN_STATUS, HTTP_TEXT
from web.render import error_text

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
COOKIE = "kiosk_console"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_STATUS: list[tuple[type[DomainError], int, str]] = [
    (NotSignedIn, 401, "unauthorized"),
    (BadCsrf, 403, "csrf"),
    (Forbidden, 403, "forbidden"),
    (NotStaff, 403, "forbidden"),
    *DOMAIN_STATUS,
]


def is_api(request: web.Request) -> bool:
    return "/api/" in request.path


def error_page(request: web.Request, status: int, error: DomainError | str) -> web.Response:
    """The translated error page (console/error.html), or JSON under /api/."""
    code = {401: "unauthorized", 403: "forbidden", 404: "not_found"}.get(status, "refused")
    if isinstance(error, DomainError):
        code = next((c for kind, _, c in _STATUS if isinstance(error, kind)), code)
    if is_api(request):
        return json_error(request, status, code, error)
    if isinstance(error, DomainError):
        text = error_text(request.config_dict[I18N], locale_of(request), error)
    else:
        text = gettext(request, error)
    return render(request, "console/error.html", status=status, message=text, code=code)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals as translated pages or JSON; never a traceback. Without a session, a page
    sends the browser to the sign-in page."""
    try:
        return await handler(request)
    except NotSignedIn as exc:
        if is_api(request) or request.method not in SAFE_METHODS:
            return error_page(request, 401, exc)
        raise web.HTTPSeeOther(f"{MOUNT}/signin") from None
    except DomainError as exc:
        status = next(s for kind, s, _ in _STATUS if isinstance(exc, kind))
        return error_page(request, status, exc)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_page(
            request, exc.status, HTTP_TEXT.get(exc.status, N_("That can't be done right now."))
        )
    except Exception:
        log.exception("console request failed: %s %s", request.method, request.path)
        return error_page(request, 500, N_("Something went wrong on our side. Please try again."))


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every non-public route: a live session, and its person still staff right now."""
    if required_role(request.match_info.handler) == PUBLIC:
        return await handler(request)
    secret = request.cookies.get(COOKIE, "")
    sessions = request.config_dict[SESSIONS]
    session = await sessions.get(secret) if secret else None
    if session is None:
        raise NotSignedIn()
    services = request.config_dict[SERVICES]
    role = await services.staff.role_of(session.telegram_id)
    if role is None:
        await sessions.close(session.secret)
        raise NoLongerStaff()
    user = await services.users.repo.get_by_telegram_id(session.telegram_id)
    request[SESSION] = session
    request[STAFF] = StaffMember(
        telegram_id=session.telegram_id,
        role=role,
        locale=user.locale if user is not None else services.shop.default_locale,
        name=user.name if user is not None else "",
        user_id=user.id if user is not None else None,
    )
    with audit_source(SOURCE_CONSOLE):  # audit lines of this request say "web console"
        return await handler(request)


async def presented_token(request: web.Request) -> str:
    """The CSRF token a change carries: the header, else the form field `csrf`."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()  # cached: the handler's request.post() gets it again
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


@web.middleware
async def csrf(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A change (any method but GET/HEAD/OPTIONS) of a signed-in route must carry the
    session's token; else 403 and the handler never runs. Public routes check their own."""
    if request.method in SAFE_METHODS or SESSION not in request:
        return await handler(request)
    token = await presented_token(request)
    if not token or not hmac.compare_digest(token.encode(), request[SESSION].csrf.encode()):
        raise BadCsrf()
    return await handler(request)


def content_security_policy(js_origin: str) -> str:
    """No inline code or inline style attributes (draw charts with SVG attributes), forms
    post only here, framed only by Telegram's clients (a Mini App) or nobody else."""
    frames = " ".join(dict.fromkeys([*TELEGRAM_ORIGINS, js_origin]))
    scripts = " ".join(dict.fromkeys(["'self'", js_origin]))
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {scripts}",
            "style-src 'self'",
            "img-src 'self' https: data: blob:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
            "object-src 'none'",
            f"frame-ancestors 'self' {frames}",
        ]
    )


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    config = request.config_dict[CONFIG]
    response.headers["Content-Security-Policy"] = content_security_policy(config.js_origin)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
