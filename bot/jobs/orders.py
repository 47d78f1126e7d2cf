"""Scheduled order jobs: expire unpaid orders, auto-complete delivered ones.

Both are sweeps over the database (the truth); expiry is also checked lazily whenever an order
is read and at pre-checkout, so a late job only delays the buyer's notice, never a sale.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from bot.i18n import PoI18n, build_i18n
from bot.jobs.scheduler import JobContext
from handlers.orders.texts import notify_buyer


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
