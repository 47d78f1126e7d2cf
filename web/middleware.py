"""One error middleware (DomainErrors as translated JSON), the initData gate of the API,
and the security headers of every storefront response."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from domain.kernel.errors import DomainError, LimitReached, NotFound, ValidationError
from domain.kernel.i18n import N_
from domain.users.service import resolve_language
from web.auth import NotAuthenticated, TooManyRequests, parse_authorization, verify_init_data
from web.keys import CALLER, CONFIG, I18N, LIMITER, SEEN, SERVICES, USER
from web.render import error_text

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
API = "/api/"

# A domain error's HTTP status and code, first match wins; shared with the console
# (web/console/middleware.py), which puts its own sign-in and CSRF errors first.
DOMAIN_STATUS: list[tuple[type[DomainError], int, str]] = [
    (NotFound, 404, "not_found"),
    (ValidationError, 400, "invalid"),
    (LimitReached, 409, "limit"),
    (DomainError, 409, "refused"),
]
_STATUS: list[tuple[type[DomainError], int, str]] = [
    (NotAuthenticated, 401, "unauthorized"),
    (TooManyRequests, 429, "rate_limited"),
    *DOMAIN_STATUS,
]
HTTP_TEXT = {
    400: N_("That request isn't valid."),
    404: N_("Not found. It may have been removed."),
    405: N_("That request isn't valid."),
    413: N_("That is too long."),
}


def locale_of(request: web.Request) -> str:
    user = request.get(USER)
    if user is not None:
        return str(user.locale)
    header = request.headers.get("Accept-Language", "")
    return resolve_language(header.split(",")[0].strip() or None)


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def is_api(request: web.Request) -> bool:
    return API in request.path


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals as `{"error": code, "message": translated}`; never a traceback."""
    i18n = request.config_dict[I18N]
    try:
        return await handler(request)
    except DomainError as exc:
        status, code = next((s, c) for kind, s, c in _STATUS if isinstance(exc, kind))
        return error_response(status, code, error_text(i18n, locale_of(request), exc))
    except web.HTTPException as exc:
        if exc.status < 400 or (not is_api(request) and exc.status == 404):
            raise
        text = HTTP_TEXT.get(exc.status, N_("That can't be done right now."))
        message = i18n.gettext(text, locale=locale_of(request))
        return error_response(exc.status, "http", message)
    except Exception:
        log.exception("storefront request failed: %s %s", request.method, request.path)
        text = N_("Something went wrong on our side. Please try again.")
        return error_response(500, "internal", i18n.gettext(text, locale=locale_of(request)))


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every API call: a valid, fresh initData of this bot, then the per-shopper rate."""
    if not is_api(request):
        return await handler(request)
    config = request.config_dict[CONFIG]
    init_data = parse_authorization(request.headers.get("Authorization"))
    caller = verify_init_data(config.bot_token, init_data, config.init_data_max_age)
    if not request.config_dict[LIMITER].allow(caller.identity.telegram_id):
        raise TooManyRequests()
    request[CALLER] = caller
    return await handler(request)


@web.middleware
async def identify(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The caller's shopper record, registered or refreshed (after web/gate.py's check)."""
    if not is_api(request) or CALLER not in request:
        return await handler(request)
    caller = request[CALLER]
    users, seen = request.config_dict[SERVICES].users, request.config_dict[SEEN]
    user_id = seen.user_id(caller.identity)
    if user_id is not None:
        user = await users.get(user_id)
    else:  # register or refresh, as the chat does for every update
        user, _ = await users.seen(caller.identity)
        seen.remember(caller.identity, user.id)
    request[USER] = user
    return await handler(request)


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    config = request.config_dict[CONFIG]
    response.headers["Content-Security-Policy"] = config.content_security_policy()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if is_api(request):
        response.headers["Cache-Control"] = "no-store"
