"""The one place that touches aiogram's internals; tests/unit/test_aiogram_private.py fails
loudly, naming the aiogram version, if an upgrade changes one of them, and
tests/unit/test_import_boundaries.py keeps every other module off them.

- aiogram has no public way to detach a router from its parent, and a router can have one
  parent only. The feature routers are module-level (house style), so a second Dispatcher in
  the same process (tests, the demo, the benches) can include them only after the first one
  let go (`detach_routers`).
- aiogram's polling has no public hook for when the getUpdates offset moves: its loop reads
  with `Dispatcher._listen_updates` and hands each update to `_process_update`
  (`take_over_polling`, for bot/runtime/polling.py).
- A webhook answer that carries a method call is built by the request handler's
  `_build_response_writer` (`webhook_reply`, for bot/runtime/webhook.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import aiogram
from aiogram import Bot, Dispatcher, Router
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import BaseRequestHandler
from aiohttp.payload import Payload

ProcessUpdate = Callable[..., Awaitable[bool]]
ListenUpdates = Callable[..., AsyncGenerator[Update, None]]


def _require(owner: object, name: str) -> None:
    """Setting an attribute an upgrade renamed would succeed and do nothing: fail loudly."""
    if not hasattr(owner, name):
        raise RuntimeError(
            f"aiogram {aiogram.__version__} has no {type(owner).__name__}.{name}: "
            "bot/runtime/aiogram_private.py relies on it, adapt it to this aiogram version"
        )


def detach_routers(parent: Router) -> None:
    """Free `parent`'s sub-routers, recursively, so another Dispatcher can include them."""
    for router in parent.sub_routers:
        detach_routers(router)
        _require(router, "_parent_router")
        router._parent_router = None
    parent.sub_routers.clear()


def take_over_polling(
    dp: Dispatcher, process: ProcessUpdate, listen: ListenUpdates
) -> ProcessUpdate:
    """Make `dp`'s polling read updates with `listen` and handle each with `process`; returns
    the Dispatcher's own update processor, for `process` to call."""
    _require(dp, "_process_update")
    _require(dp, "_listen_updates")
    own: ProcessUpdate = dp._process_update
    # Replacing the Dispatcher's bound methods is the point here; mypy refuses assignments to
    # methods, and aiogram declares a Coroutine where ProcessUpdate promises an Awaitable.
    dp._process_update = process  # type: ignore[method-assign,assignment]
    dp._listen_updates = listen  # type: ignore[method-assign]
    return own


def webhook_reply(
    handler: BaseRequestHandler, bot: Bot, method: TelegramMethod[Any] | None
) -> Payload:
    """The body aiogram answers a webhook request with: empty, or the method to call."""
    _require(handler, "_build_response_writer")
    return handler._build_response_writer(bot=bot, result=method)
