"""Exactly-once effects across crashes: the per-update key and the marker pruning job.

`UpdateKeyMiddleware` names the update being handled (domain.kernel.idempotency); repositories
commit an "applied" marker under that name with their change (storage.orders.effects), so an update
handled again after a crash does not add a second unit or place a second order. Markers are
needed only while Telegram may still deliver the update again, so old ones are pruned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs.scheduler import JobContext, JobRegistry
from domain.kernel.idempotency import handling, update_key
from storage.orders.effects import prune_effects

# Telegram keeps an undelivered update for 24 hours; markers outlive that comfortably.
EFFECT_RETENTION = timedelta(days=3)


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


async def prune_applied_effects(ctx: JobContext) -> None:
    """Forget effect markers older than EFFECT_RETENTION."""
    await prune_effects(datetime.now(UTC) - EFFECT_RETENTION)


def register_effect_jobs(registry: JobRegistry) -> None:
    registry.register_job(
        "orders.prune_effects", prune_applied_effects, IntervalTrigger(hours=1), catch_up=False
    )
