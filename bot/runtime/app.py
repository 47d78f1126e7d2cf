"""Kiosk's process: connect storage, build the bot, run long polling or the webhook server."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web
from redis.asyncio import Redis
from tortoise import Tortoise

from bot.i18n import build_i18n
from bot.jobs.scheduler import KioskScheduler
from bot.runtime.aiogram_private import detach_routers
from bot.runtime.commands import StaffMenus, set_commands, set_menu_button
from bot.runtime.health import install_collectors, ping_redis, register_ops_routes
from bot.runtime.metrics import Metrics
from bot.runtime.polling import ConfirmAfterHandling
from bot.runtime.webhook import SecretCheckingHandler
from bot.settings import Settings
from bot.wiring import Services, build_bot, build_dispatcher, build_services
from storage.db import close_db, init_db
from web import StorefrontConfig, build_storefront, mount_storefront
from web.console import build_console

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
    metrics: Metrics = field(default_factory=Metrics)
    ops_port: int | None = None  # where /healthz, /readyz and /metrics answer, once serving
    _ops_runner: web.AppRunner | None = None
    # The Mini App storefront (web/), built afresh for each server it is mounted on; None
    # when WEB__PUBLIC_URL is unset.
    storefront: Callable[[], web.Application] | None = None
    # The merchants' console (web/console), mounted beside the storefront at /console
    console: Callable[[], web.Application] | None = None
    _started: bool = field(default=False, init=False)  # webhook registered or polling running
    _closing: bool = field(default=False, init=False)

    @property
    def serving(self) -> bool:
        """Started, not shutting down, and (polling) the polling task still alive."""
        polling_died = any(task.done() for task in self._tasks)
        return self._started and not self._closing and not polling_died

    # ---- polling ----

    async def start_polling(self) -> asyncio.Task[None]:
        """Poll in a background task. Pending updates are kept: they may be payments."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        ConfirmAfterHandling(self.dp)  # a crash mid-update loses nothing (bot/polling.py)
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
        if self.settings.ops.port is not None or self.storefront is not None:
            await self.start_ops_server()  # polling mode serves the storefront here
        self._started = True
        return task

    # ---- health and metrics ----

    def ops_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        register_ops_routes(app, self)
        if self.storefront is not None and self.settings.run_mode == "polling":
            mount_storefront(app, self.storefront(), self.console() if self.console else None)
        return app

    async def start_ops_server(self) -> int:
        """/healthz, /readyz and /metrics on OPS__HOST:OPS__PORT (polling, or a private port);
        in polling mode with the storefront on, also the storefront, on WEB__PORT when
        OPS__PORT is unset."""
        ops = self.settings.ops
        port = ops.port
        if port is None:
            port = self.settings.web.port
        self._ops_runner = web.AppRunner(self.ops_app(), access_log=None)
        await self._ops_runner.setup()
        site = web.TCPSite(self._ops_runner, ops.host, port)
        await site.start()
        self.ops_port = int(self._ops_runner.addresses[0][1])
        log.info("health and metrics on port %s", self.ops_port)
        return self.ops_port

    # ---- webhook ----

    def webhook_app(self) -> web.Application:
        secret = self.settings.webhook.secret
        app = web.Application()
        handler = SecretCheckingHandler(
            dispatcher=self.dp,
            bot=self.bot,
            secret_token=secret.get_secret_value() if secret else None,
            # Answer Telegram only after handling, so a crash mid-update makes it retry.
            handle_in_background=False,
        )
        handler.register(app, path=self.settings.webhook.path)
        setup_application(app, self.dp, bot=self.bot)
        app.router.add_get("/healthz", self._healthz)
        register_ops_routes(app, self)
        if self.storefront is not None:
            mount_storefront(app, self.storefront(), self.console() if self.console else None)
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
                checks["redis"] = await ping_redis(self.redis)
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
        bound = self._runner.addresses[0][1]
        assert settings.url is not None
        await self.bot.set_webhook(
            url=settings.url,
            secret_token=settings.secret.get_secret_value() if settings.secret else None,
            max_connections=settings.max_connections,
            allowed_updates=self.dp.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        if self.ops_port is None:
            self.ops_port = int(bound)
        if self.settings.ops.port is not None:
            await self.start_ops_server()
        self._started = True
        log.info("webhook server listening on port %s", bound)
        return int(bound)

    # ---- lifetime ----

    async def run_forever(self) -> None:
        """Serve until SIGTERM or SIGINT (systemd, `docker stop`, Ctrl-C); the caller closes.

        Without these handlers SIGTERM would end the process mid-update and keep the scheduler
        lease until it expires; a clean close hands it over at once.
        """
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with suppress(NotImplementedError, RuntimeError):  # no signals off the main thread
                loop.add_signal_handler(signum, stop.set)
        running: asyncio.Future[None]
        if self.settings.run_mode == "webhook":
            await self.start_webhook()
            running = loop.create_future()  # the server runs until told to stop
        else:
            running = await self.start_polling()
        stopping = asyncio.ensure_future(stop.wait())
        either: set[asyncio.Future[Any]] = {running, stopping}
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if stop.is_set():
            log.info("stop signal received; shutting down")
        elif not running.cancelled() and (error := running.exception()) is not None:
            raise error

    async def close(self) -> None:
        self._closing = True  # /readyz turns 503 at once, so a balancer stops sending here
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
        if self._ops_runner is not None:
            await self._ops_runner.cleanup()
        await self.services.recs_runtime.close()  # no more updates: write the last events
        await self.dp.storage.close()
        detach_routers(self.dp)
        await self.bot.session.close()
        if self.redis is not None:
            await self.redis.aclose()
        await close_db()


async def create_app(settings: Settings) -> KioskApp:
    """Composition root: settings -> storage -> redis -> services -> dispatcher."""
    assert settings.bot_token is not None, "BOT_TOKEN is required"
    await init_db(settings.database_url)
    redis = None
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url)
        await ping_redis(redis)
    bot = build_bot(settings, settings.bot_token.get_secret_value())
    me = await bot.get_me()
    i18n = build_i18n(settings.shop.default_locale)
    staff_menus = StaffMenus(bot, i18n)
    services = build_services(settings, redis, staff_menus)
    await services.recs_runtime.start()
    metrics = Metrics()
    dp = build_dispatcher(settings, services, me.id, i18n, metrics, redis)
    await set_commands(bot, i18n)
    await staff_menus.set_all(services.staff)
    storefront = console = None
    if settings.web.public_url:
        config = storefront_config(settings, me.username or "")
        storefront = partial(build_storefront, services, bot, config, i18n)
        console = partial(build_console, services, bot, config, i18n, services.console_sessions)
        await set_menu_button(bot, i18n, config.entry_url)
    scheduler = None
    if settings.scheduler.enabled:
        from bot.jobs.registry import build_scheduler

        scheduler = build_scheduler(settings, bot, services, redis, i18n)
        await scheduler.start()
    log.info("bot @%s ready (%s mode)", me.username, settings.run_mode)
    app = KioskApp(
        settings,
        bot,
        dp,
        services,
        redis,
        scheduler=scheduler,
        metrics=metrics,
        storefront=storefront,
        console=console,
    )
    install_collectors(metrics, app)
    return app


def storefront_config(settings: Settings, bot_username: str) -> StorefrontConfig:
    web_settings, token = settings.web, settings.bot_token
    assert web_settings.public_url is not None and token is not None
    return StorefrontConfig(
        bot_token=token.get_secret_value(),
        public_url=web_settings.public_url,
        bot_username=bot_username,
        telegram_js_url=web_settings.telegram_js_url,
        init_data_max_age=web_settings.init_data_max_age,
        rate=web_settings.rate,
        burst=web_settings.burst,
        default_locale=settings.shop.default_locale,
    )
