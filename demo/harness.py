"""Run Kiosk against the local Telegram emulator: used by the demo, e2e tests and benches."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.runtime.app import KioskApp, create_app
from bot.settings import Settings, load_settings
from sandbox import Sandbox

SANDBOX_TOKEN = "7000000001:KIOSK-sandbox-token-not-a-secret"
WEBHOOK_SECRET = "kiosk-sandbox-webhook-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Sandboxed:
    sandbox: Sandbox
    app: KioskApp
    settings: Settings


def sandbox_settings(
    sandbox: Sandbox,
    database_url: str,
    mode: str = "polling",
    redis_url: str | None = None,
    storefront: bool = False,
    **overrides: Any,
) -> Settings:
    """Settings that point a real Kiosk at the emulator instead of api.telegram.org.

    With ``storefront`` the Mini App is served on loopback (the webhook server in webhook
    mode, the ops server in polling mode) and its pages load the emulator's stand-in for
    ``telegram-web-app.js``; ``storefront_url(settings)`` is the entry page."""
    values: dict[str, Any] = {
        "bot_token": sandbox.default_token,
        "bot_api_base_url": sandbox.base_url,
        "database_url": database_url,
        "redis_url": redis_url,
        "mode": mode,
    }
    port = free_port()
    if mode == "webhook":
        values["webhook"] = {
            "url": f"http://127.0.0.1:{port}/telegram/webhook",
            "secret": WEBHOOK_SECRET,
            "host": "127.0.0.1",
            "port": port,
        }
    if storefront:
        values["web"] = {
            "public_url": f"http://127.0.0.1:{port}",
            "telegram_js_url": f"{sandbox.base_url}/telegram-web-app.js",
            "port": port,
        }
        values["ops"] = {"host": "127.0.0.1"}  # loopback only, like the emulator
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(values.get(key), dict):
            value = {**values[key], **value}
        values[key] = value
    return load_settings(**values)


def storefront_url(settings: Settings) -> str:
    """The storefront's entry page (what the menu button opens)."""
    if not settings.web.public_url:
        raise ValueError("the storefront is off: run_sandboxed(..., storefront=True)")
    return f"{settings.web.public_url}/app/"


@asynccontextmanager
async def run_sandboxed(
    database_url: str,
    mode: str = "polling",
    redis_url: str | None = None,
    sandbox: Sandbox | None = None,
    storefront: bool = False,
    **overrides: Any,
) -> AsyncIterator[Sandboxed]:
    """Start the emulator (unless given) and Kiosk in `mode`; stop both on exit. With
    `storefront` Kiosk also serves the Mini App (see sandbox_settings)."""
    own_sandbox = sandbox is None
    if sandbox is None:
        sandbox = Sandbox(bot_token=SANDBOX_TOKEN, bot_username="kiosk_demo_bot")
        await sandbox.start()
    settings = sandbox_settings(sandbox, database_url, mode, redis_url, storefront, **overrides)
    app = await create_app(settings)
    try:
        if mode == "webhook":
            await app.start_webhook()
        else:
            await app.start_polling()
        yield Sandboxed(sandbox, app, settings)
    finally:
        await app.close()
        if own_sandbox:
            await sandbox.stop()
