"""The shop's own scheduled jobs: low-stock alerts and digest, the daily sales report and
abandoned-cart reminders. Registered in bot/jobs.py; each is idempotent over the database
(markers, reminder rows), so a catch-up or a second replica never repeats a message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.i18n import PoI18n, build_i18n
from bot.jobs.scheduler import JobContext, JobRegistry
from bot.settings import Settings
from domain.alerts.low_stock import LowStockWatch, LowUnit
from domain.cart.reminders import CartReminders, CartState
from domain.kernel.money import money
from domain.reports.daily import SalesReport, SalesReports
from handlers.campaigns.render import PromoCb
from handlers.common import MenuCb, esc
from handlers.keyboard import InlineKeyboard
from storage.alerts.low_stock import TortoiseStockAlertStore
from storage.orders.cart_reminders import TortoiseCartReminderStore
from storage.reports.daily_sales import TortoiseSalesSource

log = logging.getLogger(__name__)

MAX_LISTED = 40  # units per message: a digest stays far below Telegram's 4096 characters


@lru_cache(maxsize=4)
def _i18n(default_locale: str) -> PoI18n:
    return build_i18n(default_locale)


async def _send(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> str:
    """Send one message, waiting out one 429: "sent", "blocked" (403) or "failed"."""
    for _attempt in range(2):
        try:
            await bot.send_message(chat_id, text, reply_markup=markup)
            return "sent"
        except TelegramRetryAfter as exc:
            await asyncio.sleep(float(exc.retry_after))
        except TelegramForbiddenError as exc:
            log.info("job message to %s refused: %s", chat_id, exc.message)
            return "blocked"
        except TelegramBadRequest as exc:
            log.info("job message to %s refused: %s", chat_id, exc.message)
            return "failed"
    return "failed"


async def _tell_owners(ctx: JobContext, render: Callable[[str], str]) -> None:
    i18n = _i18n(ctx.settings.shop.default_locale)
    with i18n.context(), i18n.use_locale(ctx.settings.shop.default_locale):
        text = render(ctx.settings.shop.default_locale)
    for owner in ctx.settings.admin_ids:
        await _send(ctx.bot, owner, text)


# ---- low stock --------------------------------------------------------------------------------


def _unit_line(unit: LowUnit, locale: str) -> str:
    title = esc(unit.title_zh if locale == "zh" and unit.title_zh else unit.title_en)
    if unit.out_of_stock:
        return _("• {title} ({sku}): out of stock").format(title=title, sku=esc(unit.sku))
    return _("• {title} ({sku}): {available} left (threshold {threshold})").format(
        title=title, sku=esc(unit.sku), available=unit.available, threshold=unit.threshold
    )


def _unit_lines(units: list[LowUnit], locale: str) -> list[str]:
    lines = [_unit_line(unit, locale) for unit in units[:MAX_LISTED]]
    if len(units) > MAX_LISTED:
        lines.append(_("…and {count} more (see /stock)").format(count=len(units) - MAX_LISTED))
    return lines


def low_stock_alert_text(units: list[LowUnit], locale: str) -> str:
    head = _("⚠️ <b>Running low</b> — these goods just reached their low-stock threshold:")
    return "\n".join([head, *_unit_lines(units, locale)])


def low_stock_digest_text(units: list[LowUnit], locale: str) -> str:
    out = sum(1 for unit in units if unit.out_of_stock)
    head = _("📦 <b>Stock digest</b>: {low} low, {out} out of stock").format(
        low=len(units) - out, out=out
    )
    return "\n".join([head, *_unit_lines(units, locale)])


async def low_stock_alerts(ctx: JobContext) -> None:
    """Every minute: owners hear once about each unit that crossed its threshold downward."""
    crossed = await LowStockWatch(TortoiseStockAlertStore()).new_crossings()
    if crossed:
        await _tell_owners(ctx, lambda locale: low_stock_alert_text(crossed, locale))


async def low_stock_digest(ctx: JobContext) -> None:
    """Daily: every low or out-of-stock unit, when there is any."""
    units = await LowStockWatch(TortoiseStockAlertStore()).digest()
    if units:
        await _tell_owners(ctx, lambda locale: low_stock_digest_text(units, locale))


# ---- daily sales report -----------------------------------------------------------------------


def sales_report_text(report: SalesReport, locale: str, currency: str = "USD") -> str:
    """Yesterday's figures; a day without sales is still an amount in the shop's currency."""
    revenue = ", ".join(money(amount, cur, locale) for cur, amount in report.revenue.items())
    lines = [
        _("📊 <b>Sales on {day}</b>").format(day=report.day.isoformat()),
        _("Orders paid: {count}").format(count=report.orders),
        _("Revenue: {revenue}").format(revenue=revenue or money(0, currency, locale)),
        _("Units sold: {units}").format(units=report.units),
    ]
    if report.top:
        lines.append("")
        lines.append(_("<b>Top goods</b>"))
        for rank, good in enumerate(report.top, start=1):
            title = good.title_zh if locale == "zh" and good.title_zh else good.title_en
            lines.append(
                _("{rank}. {title} — {units} sold").format(
                    rank=rank, title=esc(title), units=good.units
                )
            )
    return "\n".join(lines)


async def daily_sales_report(ctx: JobContext, now: datetime | None = None) -> None:
    """Owners get yesterday's figures (shop time zone): orders paid, revenue, units, top 5."""
    moment = now or datetime.now(UTC)
    report = await SalesReports(TortoiseSalesSource()).yesterday(
        moment, ctx.settings.shop.timezone
    )
    currency = ctx.services.shop.currency
    await _tell_owners(ctx, lambda locale: sales_report_text(report, locale, currency))


# ---- abandoned carts --------------------------------------------------------------------------


def cart_reminder_text(cart: CartState) -> str:
    return _(
        "🛒 You left {count} item(s) in your cart. They're still waiting — ready to check out?"
    ).format(count=cart.items)


def cart_reminder_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("🛒 Open my cart"), callback_data=MenuCb(to="cart"))
    kb.button(text=_("🔕 No more promotions"), callback_data=PromoCb(action="stop", id=0))
    kb.adjust(1)
    return kb.as_markup()


async def abandoned_cart_reminders(ctx: JobContext, now: datetime | None = None) -> None:
    """Opted-in shoppers whose cart sat untouched for CAMPAIGNS__ABANDONED_CART_HOURS get one
    reminder per cart change, paced by the delivery engine's rate."""
    moment = now or datetime.now(UTC)
    delay = timedelta(hours=ctx.settings.campaigns.abandoned_cart_hours)
    reminders = CartReminders(TortoiseCartReminderStore())
    i18n = _i18n(ctx.settings.shop.default_locale)
    more = True
    while more:
        due, more = await reminders.due(moment, delay)
        for cart in due:
            if ctx.pacer is not None:
                await ctx.pacer.wait_turn()
            with i18n.context(), i18n.use_locale(cart.locale):
                text, markup = cart_reminder_text(cart), cart_reminder_keyboard()
            if await _send(ctx.bot, cart.telegram_id, text, markup) == "blocked":
                await ctx.services.users.mark_blocked(cart.user_id, True)


# ---- registration -----------------------------------------------------------------------------


def _daily(hour_of: Callable[[Settings], int]) -> Callable[[Settings], CronTrigger]:
    """Every day at the configured hour in the shop's time zone (read when the leader starts)."""
    return lambda settings: CronTrigger(
        hour=hour_of(settings), minute=0, timezone=settings.shop.timezone
    )


def register_shop_jobs(registry: JobRegistry) -> None:
    # Frequent sweeps look at the database each time: nothing to catch up. The daily ones run
    # once at election when their hour passed while no replica led.
    registry.register_job(
        "stock.low_alerts", low_stock_alerts, IntervalTrigger(minutes=1), catch_up=False
    )
    registry.register_job(
        "stock.low_digest", low_stock_digest, _daily(lambda s: s.scheduler.low_stock_digest_hour)
    )
    registry.register_job(
        "reports.daily_sales", daily_sales_report, _daily(lambda s: s.scheduler.report_hour)
    )
    registry.register_job(
        "carts.abandoned_reminders",
        abandoned_cart_reminders,
        IntervalTrigger(minutes=10),
        catch_up=False,
    )
