"""What every route does first: who asks, in which language, and reading its input strictly.

Prices, totals and user ids are never read from a request: routes pass ids and quantities
to the domain services, which price everything from the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import whole_number
from domain.users.service import User
from web.keys import RENDERER, SERVICES, USER

if TYPE_CHECKING:
    from web.services import StorefrontServices

MAX_BODY = 16 * 1024
MAX_ID = 2**53  # ids as JavaScript numbers carry them


def services_of(request: web.Request) -> StorefrontServices:
    return request.config_dict[SERVICES]


def user_of(request: web.Request) -> User:
    user: User = request[USER]
    return user


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object (at most 16 KB), or a clear refusal."""
    if (request.content_length or 0) > MAX_BODY:
        raise ValidationError(N_("That is too long."))
    raw = await request.read()  # bounded by the app's client_max_size as well
    if len(raw) > MAX_BODY:
        raise ValidationError(N_("That is too long."))
    try:
        body = orjson.loads(raw or b"{}")
    except orjson.JSONDecodeError:
        raise ValidationError(N_("That request isn't valid.")) from None
    if not isinstance(body, dict):
        raise ValidationError(N_("That request isn't valid."))
    return body


def int_field(
    body: dict[str, Any], name: str, lo: int, hi: int, default: int | None = None
) -> int:
    """A whole number in [lo, hi]; booleans, floats and numeric strings are refused."""
    value = body.get(name, default)
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(N_("That request isn't valid."))
    if not lo <= value <= hi:
        raise ValidationError(N_("A number from {lo} to {hi}, please."), lo=lo, hi=hi)
    return value


def opt_id(body: dict[str, Any], name: str) -> int | None:
    if body.get(name) in (None, 0):
        return None
    return int_field(body, name, 1, MAX_ID)


def str_field(body: dict[str, Any], name: str, max_len: int, default: str = "") -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise ValidationError(N_("That request isn't valid."))
    if len(value) > max_len:
        raise ValidationError(N_("That is too long (at most {max} characters)."), max=max_len)
    return value


def path_id(request: web.Request, name: str = "id") -> int:
    number = whole_number(request.match_info.get(name, ""))
    if number is None or not 1 <= number <= MAX_ID:
        raise web.HTTPNotFound()
    return number


def query_int(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    """A number from the query string, clamped (a forged page lands on a real one)."""
    number = whole_number(request.query.get(name, "")[:12])
    return default if number is None else min(max(number, lo), hi)


def query_str(request: web.Request, name: str, max_len: int) -> str:
    value = request.query.get(name, "")
    if len(value) > max_len:
        raise ValidationError(N_("That is too long (at most {max} characters)."), max=max_len)
    return value


def fragment(request: web.Request, template: str, **context: Any) -> web.Response:
    """A server-rendered view in the shopper's language (the page's script shows it)."""
    user = user_of(request)
    html = request.config_dict[RENDERER].render(template, user.locale, user=user, **context)
    response = web.Response(text=html, content_type="text/html")
    response.enable_compression()
    return response


def ok(**data: Any) -> web.Response:
    return web.json_response({"ok": True, **data}, dumps=lambda v: orjson.dumps(v).decode())
