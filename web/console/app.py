"""The merchants' console as an aiohttp sub-application, mounted at `/console` next to the
storefront's `/app` (web/app.py `mount_storefront`) wherever the web is on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.utils.i18n import I18n
from aiohttp import web
from redis.asyncio import Redis

from web.assets import Assets
from web.config import StorefrontConfig
from web.console.keys import ASSETS, BOT, CONFIG, I18N, RENDERER, SERVICES, SESSIONS
from web.console.middleware import authenticate, csrf, errors, security_headers
from web.console.render import MOUNT, ConsoleRenderer
from web.console.routes import MODULES
from web.console.sessions import ConsoleSessions

if TYPE_CHECKING:
    from web.console.services import ConsoleServices

MAX_BODY = 8 * 1024 * 1024  # photo uploads and CSV files; JSON bodies check their own limit


def build_console(
    services: ConsoleServices,
    bot: Bot,
    config: StorefrontConfig,
    i18n: I18n,
    redis_or_store: Redis | ConsoleSessions | None = None,
) -> web.Application:
    """The console over the shop's services. Sign-in links and sessions live in
    `redis_or_store` (a ConsoleSessions, or a Redis to build one on); by default the
    services' own store, which the chat's /console command writes its links to."""
    if isinstance(redis_or_store, ConsoleSessions):
        sessions = redis_or_store
    elif redis_or_store is not None:
        sessions = ConsoleSessions(redis_or_store)
    else:
        sessions = services.console_sessions
    app = web.Application(middlewares=[errors, authenticate, csrf], client_max_size=MAX_BODY)
    app[SERVICES] = services
    app[BOT] = bot
    app[CONFIG] = config
    app[I18N] = i18n
    app[RENDERER] = ConsoleRenderer(i18n)
    app[ASSETS] = Assets()
    app[SESSIONS] = sessions
    for module in MODULES:
        app.add_routes(module.routes)
    app.on_response_prepare.append(security_headers)
    return app


def mount_console(parent: web.Application, console: web.Application) -> None:
    """Serve the console at `/console/` on `parent`; `/console` redirects there."""

    async def to_entry(request: web.Request) -> web.Response:
        query = f"?{request.query_string}" if request.query_string else ""
        raise web.HTTPMovedPermanently(f"{MOUNT}/{query}")

    parent.router.add_get(MOUNT, to_entry)
    parent.add_subapp(MOUNT, console)
