"""Kiosk entry point.

python main.py            run the bot (BOT_TOKEN set) or, without a token, the offline demo
python main.py run        run the bot; polling by default, webhook when WEBHOOK__URL is set
python main.py demo       offline demo: sandbox Telegram + bot + a scripted shopper
python main.py demo --browse   the demo, then the shop stays open for your own browser
python main.py migrate    apply database migrations and exit
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.settings import ConfigError, Settings, load_settings


def _secrets(settings: Settings) -> list[str]:
    """Everything the log formatter masks: tokens, secrets and the passwords in URLs."""
    values = [
        settings.bot_token,
        settings.payments.provider_token,
        settings.webhook.secret,
        settings.payments.invoice_secret,
    ]
    found = [v.get_secret_value() for v in values if v is not None]
    for url in (settings.database_url, settings.redis_url or ""):
        password = urlsplit(url).password
        if password:  # as written in the URL and decoded, as a driver may echo either
            found += [password, unquote(password)]
    return found


async def _run(settings: Settings) -> None:
    from bot.runtime.app import create_app

    app = await create_app(settings)
    _settle_memory()
    try:
        await app.run_forever()
    finally:
        await app.close()


async def _migrate(settings: Settings) -> None:
    from storage.db import apply_migrations, close_db

    await apply_migrations(settings.database_url)
    await close_db()
    print("migrations applied")


def _event_loop_runner() -> Callable[[Coroutine[Any, Any, None]], None]:
    """uvloop where it's installed (Linux, macOS): the bot spends much of its time in the event
    loop's socket and callback handling, which uvloop does in C (bench/throughput.py)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


def _settle_memory() -> None:
    """End of start-up: collect once, then let the collector skip what start-up built.

    Start-up creates ~220,000 long-lived objects (classes, models, routers); collecting
    while building them only re-scans them (gc off for start-up saves about 0.13 s of its
    ~1.3 s). Frozen, they are never traversed again by the collections of update handling.
    """
    gc.collect()
    gc.freeze()
    gc.enable()


def main(argv: list[str]) -> int:
    gc.disable()  # until start-up is over: see _settle_memory
    from bot.runtime.lazy_aiogram import import_aiogram_lazily

    import_aiogram_lazily()  # first, before anything imports aiogram: see that module
    command = argv[1] if len(argv) > 1 else None
    browse = command == "demo" and "--browse" in argv[2:]
    if command not in (None, "run", "demo", "migrate"):
        print(__doc__)
        return 2
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Kiosk can't start: {exc}", file=sys.stderr)
        return 2
    from bot.runtime.logs import setup_logging

    if command is None:
        command = "run" if settings.bot_token else "demo"
    # The demo's output is its transcript; keep routine INFO lines out unless asked for.
    quiet = command == "demo" and "LOG_LEVEL" not in os.environ
    setup_logging("WARNING" if quiet else settings.log_level, _secrets(settings))
    if command != "run":
        gc.enable()
    if command == "demo":
        from demo.run import run_demo

        try:
            return asyncio.run(run_demo(settings, browse=browse))
        except KeyboardInterrupt:
            return 0
    if command == "migrate":
        asyncio.run(_migrate(settings))
        return 0
    if settings.bot_token is None:
        print(
            "Kiosk can't start: BOT_TOKEN: is not set (or run `python main.py demo`)",
            file=sys.stderr,
        )
        return 2
    try:
        _event_loop_runner()(_run(settings))
    except KeyboardInterrupt:
        pass
    except Exception:  # through logging, whose formatter masks secrets (a bare traceback won't)
        logging.getLogger("kiosk").critical("Kiosk stopped by an error", exc_info=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
