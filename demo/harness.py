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
    **overrides: Any,
) -> Settings:
    """Settings that point a real Kiosk at the emulator instead of api.telegram.org."""
    values: dict[str, Any] = {
        "bot_token": sandbox.default_token,
        "bot_api_base_url": sandbox.base_url,
        "database_url": database_url,
        "redis_url": redis_url,
        "mode": mode,
    }
    if mode == "webhook":
        port = free_port()
        values["webhook"] = {
            "url": f"http://127.0.0.1:{port}/telegram/webhook",
            "secret": WEBHOOK_SECRET,
            "host": "127.0.0.1",
            "port": port,
        }
    values.update(overrides)
    return load_settings(**values)


@asynccontextmanager
async def run_sandboxed(
    database_url: str,
    mode: str = "polling",
    redis_url: str | None = None,
    sandbox: Sandbox | None = None,
    **overrides: Any,
) -> AsyncIterator[Sandboxed]:
    """Start the emulator (unless given) and Kiosk in `mode`; stop both on exit."""
    own_sandbox = sandbox is None
    if sandbox is None:
        sandbox = Sandbox(bot_token=SANDBOX_TOKEN, bot_username="kiosk_demo_bot")
        await sandbox.start()
    settings = sandbox_settings(sandbox, database_url, mode, redis_url, **overrides)
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
