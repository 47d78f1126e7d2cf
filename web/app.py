"""The storefront as an aiohttp sub-application, mounted at `/app` by the runtime (webhook
server in webhook mode, ops server in polling mode). Stateless: every replica serves it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.utils.i18n import I18n
from aiohttp import web

from domain.kernel.idempotency import handling
from web.assets import Assets
from web.auth import RateLimiter, RecentlySeen
from web.config import StorefrontConfig
from web.console.app import mount_console
from web.gate import gate
from web.keys import ASSETS, BOT, CALLER, CONFIG, I18N, LIMITER, RENDERER, SEEN, SERVICES
from web.middleware import Handler, authenticate, errors, identify, security_headers
from web.render import Renderer
from web.routes import cart, catalog, checkout, pages

if TYPE_CHECKING:
    from web.services import StorefrontServices

MOUNT = "/app"
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,24}$")  # fits the effect key column with any ids


@web.middleware
async def idempotent(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A write sent again with the same `Idempotency-Key` (a double tap, a retry after a
    lost answer) gets the first one's effect back, as a redelivered chat update does
    (domain.kernel.idempotency): one order, one cart line."""
    key = request.headers.get("Idempotency-Key", "")
    if request.method == "GET" or CALLER not in request or not _KEY.fullmatch(key):
        return await handler(request)
    with handling(f"w{request[CALLER].identity.telegram_id}:{key}"):
        return await handler(request)


def build_storefront(
    services: StorefrontServices, bot: Bot, config: StorefrontConfig, i18n: I18n
) -> web.Application:
    app = web.Application(
        middlewares=[errors, authenticate, gate, identify, idempotent], client_max_size=64 * 1024
    )
    app[SERVICES] = services
    app[BOT] = bot
    app[CONFIG] = config
    app[I18N] = i18n
    app[RENDERER] = Renderer(i18n)
    app[ASSETS] = Assets()
    app[LIMITER] = RateLimiter(config.rate, config.burst)
    app[SEEN] = RecentlySeen()
    for module in (pages, catalog, cart, checkout):
        app.add_routes(module.routes)
    app.on_response_prepare.append(security_headers)
    return app


def mount_storefront(
    parent: web.Application, storefront: web.Application, console: web.Application | None = None
) -> None:
    """Serve the storefront at `/app/` on `parent`; `/app` redirects there (registered
    first: the sub-application would answer it with a 404), query kept. The merchants'
    console (web/console), when given, is served beside it at `/console/`."""

    async def to_entry(request: web.Request) -> web.Response:
        query = f"?{request.query_string}" if request.query_string else ""
        raise web.HTTPMovedPermanently(f"{MOUNT}/{query}")

    parent.router.add_get(MOUNT, to_entry)
    parent.add_subapp(MOUNT, storefront)
    if console is not None:
        mount_console(parent, console)
