"""Scheduled subscription job: subscriptions whose period ended without a renewal lapse, their
benefit (a granted tier, the members' link, the member's place in the channel) ends and the
shopper is told, once each (the lapse is a conditional update, so a second replica or a late
run finds nothing)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from apscheduler.triggers.interval import IntervalTrigger

from bot.i18n import PoI18n, build_i18n
from bot.jobs.scheduler import JobContext, JobRegistry
from handlers.subscriptions.texts import LAPSED, BotChannel, tell


@lru_cache(maxsize=4)
def _i18n(default_locale: str) -> PoI18n:
    return build_i18n(default_locale)


async def lapse_subscriptions(ctx: JobContext, now: datetime | None = None) -> int:
    """Lapse what is due at `now` (default: the clock); returns how many lapsed."""
    lapsed = await ctx.services.subscriptions.lapse_due(now or datetime.now(UTC))
    i18n = _i18n(ctx.settings.shop.default_locale)
    channel = BotChannel(ctx.bot)
    for item in lapsed:
        await ctx.services.subscriptions.end_benefit(item.subscription, item.plan, channel)
        await tell(ctx.bot, ctx.services.users, i18n, item.subscription.user_id, LAPSED, item.plan)
    return len(lapsed)


async def lapse_job(ctx: JobContext) -> None:
    await lapse_subscriptions(ctx)


def register_subscription_jobs(registry: JobRegistry) -> None:
    registry.register_job(
        "subscriptions.lapse", lapse_job, IntervalTrigger(minutes=5), catch_up=False
    )
