"""Exactly-once effects across crashes: the per-update key (pruning: bot/jobs/orders.py).

`UpdateKeyMiddleware` names the update being handled (domain.kernel.idempotency); repositories
commit an "applied" marker under that name with their change (storage.orders.effects), so an update
handled again after a crash does not add a second unit or place a second order. Markers are
needed only while Telegram may still deliver the update again, so old ones are pruned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from domain.kernel.idempotency import handling, update_key


class UpdateKeyMiddleware(BaseMiddleware):
    """Makes the update's id the idempotency key of everything its handlers change."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        bot = data.get("bot")
        bot_id = bot.id if bot is not None else None
        key = update_key(event.update_id, bot_id) if isinstance(event, Update) else None
        with handling(key):
            return await handler(event, data)
