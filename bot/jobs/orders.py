"""Scheduled order jobs: expire unpaid orders, auto-complete delivered ones, forget old
exactly-once markers.

Both are sweeps over the database (the truth); expiry is also checked lazily whenever an order
is read and at pre-checkout, so a late job only delays the buyer's notice, never a sale.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache

from bot.i18n import PoI18n, build_i18n
from bot.jobs.scheduler import JobContext
from handlers.orders.texts import notify_buyer
from storage.orders.effects import prune_effects

# Telegram keeps an undelivered update for 24 hours; markers outlive that comfortably.
EFFECT_RETENTION = timedelta(days=3)


@lru_cache(maxsize=4)
def _i18n(default_locale: str) -> PoI18n:
    return build_i18n(default_locale)


async def expire_unpaid_orders(ctx: JobContext) -> None:
    """Unpaid orders past their reservation release stock and coupon; buyers are told."""
    changes = await ctx.services.orders.expire_overdue(datetime.now(UTC))
    i18n = _i18n(ctx.settings.shop.default_locale)
    for change in changes:
        await notify_buyer(ctx.bot, ctx.services.users, i18n, change)


async def auto_complete_delivered(ctx: JobContext) -> None:
    """Orders delivered CHECKOUT__AUTO_COMPLETE_DAYS ago become completed."""
    changes = await ctx.services.orders.complete_delivered(datetime.now(UTC))
    i18n = _i18n(ctx.settings.shop.default_locale)
    for change in changes:
        await notify_buyer(ctx.bot, ctx.services.users, i18n, change)


async def prune_applied_effects(ctx: JobContext) -> None:
    """Forget "this update already added to the cart / placed the order" markers older than
    EFFECT_RETENTION (bot/runtime/effects.py names them)."""
    await prune_effects(datetime.now(UTC) - EFFECT_RETENTION)
