"""Every scheduled job of the shop, and the scheduler's assembly.

Adding a job is a few lines: write `async def my_job(ctx: JobContext) -> None` next to your
feature (it gets the bot, services and settings from `ctx`, never as job arguments) and add

    registry.register_job("orders.expire_unpaid", expire_unpaid, IntervalTrigger(minutes=1))
    registry.register_job("reports.daily_sales", daily_sales, daily_at(21))  # shop time zone

to `build_registry` below. Ids are fixed; runs are recorded in `job_runs`; a fire missed while
no replica was up runs once at the next election.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot
from apscheduler.triggers.interval import IntervalTrigger
from redis.asyncio import Redis

from bot.i18n import PoI18n
from bot.jobs.alerts import BackInStockWaker, register_alert_jobs
from bot.jobs.delivery import DeliveryEngineService
from bot.jobs.loyalty import register_loyalty_jobs
from bot.jobs.orders import auto_complete_delivered, expire_unpaid_orders, prune_applied_effects
from bot.jobs.recommend import rebuild_recommendations
from bot.jobs.scheduler import JobContext, JobRegistry, KioskScheduler, LeaderLock
from bot.jobs.shop import register_shop_jobs
from bot.jobs.subscriptions import register_subscription_jobs
from bot.settings import Settings
from bot.wiring import Services
from domain.campaigns.delivery import DeliveryConfig
from storage.campaigns.jobruns import TortoiseJobRunStore
from storage.campaigns.repository import TortoiseDeliveryStore


async def start_due_campaigns(ctx: JobContext) -> None:
    """Scheduled campaigns whose time has come start sending (the engine picks them up)."""
    await ctx.services.campaigns.start_due(datetime.now(UTC))


def build_registry(settings: Settings) -> JobRegistry:
    registry = JobRegistry()
    registry.register_job(
        "campaigns.start_due",
        start_due_campaigns,
        IntervalTrigger(seconds=settings.campaigns.due_check_seconds),
        catch_up=False,  # it looks at the database each time anyway
    )
    registry.register_job(
        "orders.expire_unpaid", expire_unpaid_orders, IntervalTrigger(minutes=1), catch_up=False
    )
    registry.register_job(
        "orders.auto_complete", auto_complete_delivered, IntervalTrigger(hours=1), catch_up=False
    )
    register_shop_jobs(registry)
    registry.register_job(
        "orders.prune_effects", prune_applied_effects, IntervalTrigger(hours=1), catch_up=False
    )
    register_loyalty_jobs(registry)
    register_alert_jobs(registry)
    register_subscription_jobs(registry)
    registry.register_job(
        "recs.rebuild",
        rebuild_recommendations,
        IntervalTrigger(minutes=settings.recs.rebuild_minutes),
        catch_up=False,
    )
    return registry


def delivery_config(settings: Settings) -> DeliveryConfig:
    c = settings.campaigns
    return DeliveryConfig(
        rate_per_sec=c.rate_per_sec,
        per_chat_interval=c.per_chat_interval,
        max_attempts=c.max_attempts,
        progress_interval=c.progress_interval,
        max_in_flight=c.max_in_flight,
    )


def build_scheduler(
    settings: Settings,
    bot: Bot,
    services: Services,
    redis: Redis | None,
    i18n: PoI18n,
) -> KioskScheduler:
    """The scheduler with its jobs and the delivery engine as a leader-only service."""
    engine = DeliveryEngineService(
        bot,
        services.campaigns,
        services.users,
        TortoiseDeliveryStore(),
        i18n,
        delivery_config(settings),
    )
    lock = None
    if redis is not None:
        lock = LeaderLock(redis, f"kiosk:leader:{bot.id}", settings.scheduler.leader_ttl)
    context = JobContext(bot=bot, services=services, settings=settings, pacer=engine)
    return KioskScheduler(
        build_registry(settings),
        context,
        TortoiseJobRunStore(),
        timezone=settings.shop.timezone,
        lock=lock,
        leader_ttl=settings.scheduler.leader_ttl,
        misfire_grace_time=settings.scheduler.misfire_grace_time,
        services=[engine, BackInStockWaker(context)],
    )
