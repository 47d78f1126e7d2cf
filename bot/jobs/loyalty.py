"""Scheduled loyalty jobs: expired points leave balances, and orders whose ledger rules a
listener missed (the process stopped right after a transition) are settled. Both are
idempotent over the ledger's unique keys, so catch-ups and a second replica change nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from functools import lru_cache

from apscheduler.triggers.interval import IntervalTrigger

from bot.i18n import PoI18n, build_i18n
from bot.jobs.scheduler import JobContext, JobRegistry
from handlers.orders.texts import send_notices

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _i18n(default_locale: str) -> PoI18n:
    return build_i18n(default_locale)


async def expire_points(ctx: JobContext) -> None:
    """Points past LOYALTY__EXPIRY_DAYS are taken off, soonest-expiring first."""
    touched = await ctx.services.loyalty.expire_due(datetime.now(UTC))
    if touched:
        log.info("points expired for %s users", touched)


async def settle_missed_orders(ctx: JobContext) -> None:
    """Earn / give back / reverse for orders the change listener did not handle."""
    loyalty, orders = ctx.services.loyalty, ctx.services.orders
    notices = await loyalty.catch_up(orders.repo.get, datetime.now(UTC))
    i18n = _i18n(ctx.settings.shop.default_locale)
    await send_notices(ctx.bot, ctx.services.users, i18n, notices)


def register_loyalty_jobs(registry: JobRegistry) -> None:
    registry.register_job(
        "loyalty.expire_points", expire_points, IntervalTrigger(hours=1), catch_up=False
    )
    registry.register_job(
        "loyalty.settle_orders",
        settle_missed_orders,
        IntervalTrigger(minutes=10),
        catch_up=False,
    )
