"""Console pages and JSON answers in the staff member's language.

`render(request, "console/<area>/<page>.html", **ctx)` gives every template: `_` (gettext
with {placeholders}), `locale`, `staff` (StaffMember or None), `csrf`, `nav` (the pages the
role allows), `current` (the request path inside the console), `static(name)` (a versioned
URL of web/static/<name>), `money(amount, currency, locale)`, `currency` (the shop's) and
`telegram_js_url`. `json_ok(...)` and `json_error(...)` are the API's answers; a DomainError
raised by a route becomes a translated error by the app's middleware (see web/console/app.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from aiogram.utils.i18n import I18n
from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.kernel.errors import DomainError
from domain.kernel.i18n import N_
from domain.kernel.money import money
from domain.users.service import resolve_language
from web.console.access import csrf_token, required_role
from web.console.keys import ASSETS, CONFIG, I18N, RENDERER, SERVICES, STAFF
from web.render import TEMPLATES, error_text, translator

MOUNT = "/console"


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str  # inside the console, e.g. "/goods"
    label: str  # msgid
    testid: str


# Every page of the console, in menu order. An item shows when its path is a GET route of
# the app and the member's role satisfies that route's `requires`.
NAV: tuple[NavItem, ...] = (
    NavItem("/", N_("Dashboard"), "nav-dashboard"),
    NavItem("/goods", N_("Goods"), "nav-goods"),
    NavItem("/stock", N_("Stock"), "nav-stock"),
    NavItem("/catalog", N_("Import & export"), "nav-catalog"),
    NavItem("/orders", N_("Orders"), "nav-orders"),
    NavItem("/reviews", N_("Reviews"), "nav-reviews"),
    NavItem("/coupons", N_("Coupons"), "nav-coupons"),
    NavItem("/loyalty", N_("Loyalty"), "nav-loyalty"),
    NavItem("/campaigns", N_("Campaigns"), "nav-campaigns"),
    NavItem("/staff", N_("Staff"), "nav-staff"),
    NavItem("/audit", N_("Audit log"), "nav-audit"),
)


class ConsoleRenderer:
    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n
        self.env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=select_autoescape(["html"], default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.globals.update(money=money)

    def render(self, template: str, locale: str, **context: Any) -> str:
        _ = translator(self.i18n, locale)
        return self.env.get_template(template).render(_=_, locale=locale, **context)


def locale_of(request: web.Request) -> str:
    """The staff member's language; before sign-in, the browser's (en or zh)."""
    if STAFF in request:
        return request[STAFF].locale
    header = request.headers.get("Accept-Language", "")
    return resolve_language(header.split(",")[0].strip() or None)


def gettext(request: web.Request, message: str, **params: Any) -> str:
    """`message` (a msgid) in the request's language, placeholders filled."""
    return translator(request.config_dict[I18N], locale_of(request))(message, **params)


def nav_for(request: web.Request) -> list[NavItem]:
    if STAFF not in request:
        return []
    member = request[STAFF]
    routes: dict[str, Any] = {}
    for route in request.app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path")
        if route.method == "GET" and isinstance(path, str):
            routes[path.removeprefix(MOUNT) or "/"] = route.handler
    return [
        item
        for item in NAV
        if item.path in routes and member.may(required_role(routes[item.path]))
    ]


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """A full console page (templates extend console/base.html) or a fragment."""
    app = request.config_dict
    assets, config = app[ASSETS], app[CONFIG]
    locale = locale_of(request)
    html = app[RENDERER].render(
        template,
        locale,
        staff=request[STAFF] if STAFF in request else None,
        csrf=csrf_token(request),
        nav=nav_for(request),
        current=request.path.removeprefix(MOUNT) or "/",
        static=lambda name: f"{MOUNT}/static/{assets.version}/{name}",
        currency=app[SERVICES].shop.currency,
        telegram_js_url=config.telegram_js_url,
        **context,
    )
    response = web.Response(text=html, content_type="text/html", status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(location: str) -> web.Response:
    """303 See Other to `location` (after a form's POST: the browser then GETs it)."""
    return web.Response(status=303, headers={"Location": location})


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def json_ok(data: Any = None, status: int = 200, **fields: Any) -> web.Response:
    """`data` (any JSON value) or the keyword fields as an object."""
    body = data if data is not None else fields
    return web.json_response(body, status=status, dumps=_dumps)


def json_error(
    request: web.Request, status: int, code: str, error: DomainError | str
) -> web.Response:
    """`{"error": code, "message": translated}`; `error` is a DomainError or a msgid."""
    i18n = request.config_dict[I18N]
    locale = locale_of(request)
    if isinstance(error, DomainError):
        message = error_text(i18n, locale, error)
    else:
        message = i18n.gettext(error, locale=locale)
    return web.json_response({"error": code, "message": message}, status=status)


__all__ = [
    "MOUNT",
    "NAV",
    "ConsoleRenderer",
    "NavItem",
    "gettext",
    "json_error",
    "json_ok",
    "locale_of",
    "redirect",
    "render",
]
