"""Kiosk's process: connect storage, build the bot, run long polling or the webhook server."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass, field

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from redis.asyncio import Redis
from tortoise import Tortoise

from bot.commands import set_commands
from bot.factory import Services, build_bot, build_dispatcher, build_services
from bot.i18n import build_i18n
from bot.scheduler import KioskScheduler
from bot.settings import Settings
from storage.db import close_db, init_db

log = logging.getLogger(__name__)


@dataclass
class KioskApp:
    settings: Settings
    bot: Bot
    dp: Dispatcher
    services: Services
    redis: Redis | None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    scheduler: KioskScheduler | None = None

    # ---- polling ----

    async def start_polling(self) -> asyncio.Task[None]:
        """Poll in a background task. Pending updates are kept: they may be payments."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        task = asyncio.create_task(
            self.dp.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                allowed_updates=self.dp.resolve_used_update_types(),
                polling_timeout=10,
            )
        )
        self._tasks.append(task)
        return task

    # ---- webhook ----

    def webhook_app(self) -> web.Application:
        secret = self.settings.webhook.secret
        app = web.Application()
        handler = SimpleRequestHandler(
            dispatcher=self.dp,
            bot=self.bot,
            secret_token=secret.get_secret_value() if secret else None,
            # Answer Telegram only after handling, so a crash mid-update makes it retry.
            handle_in_background=False,
        )
        handler.register(app, path=self.settings.webhook.path)
        setup_application(app, self.dp, bot=self.bot)
        app.router.add_get("/healthz", self._healthz)
        return app

    async def _healthz(self, request: web.Request) -> web.Response:
        checks: dict[str, bool] = {}
        try:
            await Tortoise.get_connection("default").execute_query("SELECT 1")
            checks["database"] = True
        except Exception:  # a health probe reports, it never raises
            checks["database"] = False
        if self.redis is not None:
            try:
                checks["redis"] = bool(await self.redis.ping())
            except Exception:
                checks["redis"] = False
        ok = all(checks.values())
        return web.json_response({"ok": ok, **checks}, status=200 if ok else 503)

    async def start_webhook(self, host: str | None = None, port: int | None = None) -> int:
        """Serve the webhook and /healthz, then tell Telegram where to post. Returns the port."""
        settings = self.settings.webhook
        self._runner = web.AppRunner(self.webhook_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, host or settings.host, settings.port if port is None else port
        )
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        assert settings.url is not None
        await self.bot.set_webhook(
            url=settings.url,
            secret_token=settings.secret.get_secret_value() if settings.secret else None,
            max_connections=settings.max_connections,
            allowed_updates=self.dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info("webhook server listening on port %s", bound)
        return int(bound)

    # ---- lifetime ----

    async def run_forever(self) -> None:
        if self.settings.run_mode == "webhook":
            await self.start_webhook()
            await asyncio.Event().wait()
        else:
            await (await self.start_polling())

    async def close(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()  # lets in-flight broadcast sends be recorded
        if self._tasks:
            with suppress(RuntimeError):  # polling may already have stopped
                await self.dp.stop_polling()
            for task in self._tasks:
                with suppress(asyncio.CancelledError, asyncio.TimeoutError, Exception):
                    await asyncio.wait_for(task, timeout=5)
        if self._runner is not None:
            await self._runner.cleanup()
        if self.services.recs is not None:  # no more updates: write the last events
            await self.services.recs.close()
        await self.dp.storage.close()
        detach_routers(self.dp)
        await self.bot.session.close()
        if self.redis is not None:
            await self.redis.aclose()
        await close_db()


def detach_routers(dp: Dispatcher) -> None:
    """Free the module-level routers so another Dispatcher in this process can include them.

    Only tests and the demo build several dispatchers in one process; aiogram has no public
    way to detach a router, hence the private attribute.
    """
    for router in dp.sub_routers:
        router._parent_router = None
    dp.sub_routers.clear()


async def create_app(settings: Settings) -> KioskApp:
    """Composition root: settings -> storage -> redis -> services -> dispatcher."""
    assert settings.bot_token is not None, "BOT_TOKEN is required"
    await init_db(settings.database_url)
    redis = None
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url)
        await redis.ping()
    bot = build_bot(settings, settings.bot_token.get_secret_value())
    me = await bot.get_me()
    services = build_services(settings)
    if services.recs is not None:
        await services.recs.start()
    i18n = build_i18n(settings.shop.default_locale)
    dp = build_dispatcher(settings, services, me.id, redis, i18n)
    await set_commands(bot, i18n)
    scheduler = None
    if settings.scheduler.enabled:
        from bot.jobs import build_scheduler

        scheduler = build_scheduler(settings, bot, services, redis, i18n)
        await scheduler.start()
    log.info("bot @%s ready (%s mode)", me.username, settings.run_mode)
    return KioskApp(settings, bot, dp, services, redis, scheduler=scheduler)
