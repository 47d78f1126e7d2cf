"""The alert sweeps as scheduled jobs: back-in-stock (every 30 s, and a second after this
process books stock that may be sellable again) and price drops (every 5 min).

The rules and the once-only bookkeeping live in domain/alerts*.py; this module only renders each
message in the shopper's language and sends it: paced by the delivery engine's one bulk rate
(`ctx.pacer`), with Telegram's answer turned into the engine's outcomes (429 -> put back for
the next sweep, 403 -> the subscription ends and the user is marked blocked).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from functools import lru_cache
from typing import Protocol, TypeVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup
from apscheduler.triggers.interval import IntervalTrigger

from bot.i18n import PoI18n, build_i18n
from bot.jobs.delivery import UserBlockList
from bot.jobs.scheduler import JobContext, JobRegistry
from domain.alerts.back_in_stock import BackInStockNotice, SweepReport
from domain.alerts.price_drops import FavouritePrice
from domain.campaigns.delivery import Blocked, Failed, RetryLater, SendOutcome, Sent
from handlers.alerts.shopper import (
    back_in_stock_keyboard,
    back_in_stock_text,
    price_drop_keyboard,
    price_drop_text,
)
from storage.alerts.stock_signal import on_stock_back

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _i18n(default_locale: str) -> PoI18n:
    return build_i18n(default_locale)


async def send_one(bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup) -> SendOutcome:
    """One message; Telegram's answer as a delivery outcome (nothing is retried here)."""
    try:
        sent = await bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramRetryAfter as exc:
        return RetryLater(float(exc.retry_after))
    except TelegramForbiddenError as exc:
        return Blocked(exc.message)
    except TelegramBadRequest as exc:
        return Failed(exc.message, retryable=False)
    except TelegramNetworkError as exc:
        return Failed(str(exc), retryable=True)
    return Sent(sent.message_id)


def _log(kind: str, report: SweepReport) -> None:
    if report.sent or report.blocked or report.failed or report.deferred or report.settled_stale:
        log.info(
            "%s alerts: %s sent, %s blocked, %s failed, %s deferred, %s settled after a crash",
            kind,
            report.sent,
            report.blocked,
            report.failed,
            report.deferred,
            report.settled_stale,
        )


class _Addressed(Protocol):
    @property
    def telegram_id(self) -> int: ...
    @property
    def locale(self) -> str: ...


Alert = TypeVar("Alert", bound=_Addressed)


def _sender(
    ctx: JobContext, render: Callable[[Alert], tuple[str, InlineKeyboardMarkup]]
) -> Callable[[Alert], Awaitable[SendOutcome]]:
    """Sends one alert rendered in its recipient's language."""
    i18n = _i18n(ctx.settings.shop.default_locale)

    async def send(alert: Alert) -> SendOutcome:
        with i18n.context(), i18n.use_locale(alert.locale):
            text, markup = render(alert)
        return await send_one(ctx.bot, alert.telegram_id, text, markup)

    return send


def _back_in_stock_message(notice: BackInStockNotice) -> tuple[str, InlineKeyboardMarkup]:
    return back_in_stock_text(notice), back_in_stock_keyboard(notice)


def _price_drop_message(row: FavouritePrice) -> tuple[str, InlineKeyboardMarkup]:
    return price_drop_text(row), price_drop_keyboard(row)


async def back_in_stock_alerts(ctx: JobContext) -> None:
    """Subscribers of units that are sellable again hear it once, in their language."""
    send = _sender(ctx, _back_in_stock_message)
    blocked = UserBlockList(ctx.services.users)
    _log("back-in-stock", await ctx.services.stock_alerts.notify_due(send, blocked, ctx.pacer))


async def price_drop_alerts(ctx: JobContext) -> None:
    """Opted-in shoppers hear once about each drop of a favourite's price."""
    send = _sender(ctx, _price_drop_message)
    blocked = UserBlockList(ctx.services.users)
    _log("price-drop", await ctx.services.price_alerts.notify_due(send, blocked, ctx.pacer))


class BackInStockWaker:
    """Leader-only service: runs the back-in-stock sweep shortly after a stock movement of this
    process could have made a unit sellable (storage/alerts/stock_signal.py), so subscribers
    hear within seconds rather than at the next interval sweep. Movements booked by another
    replica are left to the interval sweep. Two sweeps at once are safe (rows are claimed)."""

    DEBOUNCE = 1.0  # seconds: lets the mover's transaction commit; bursts make one sweep

    def __init__(self, ctx: JobContext) -> None:
        self.ctx = ctx
        self._event = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._undo: Callable[[], None] | None = None

    async def start(self) -> None:
        self._stopping = False
        self._undo = on_stock_back(self._event.set)
        self._task = asyncio.create_task(self._run(), name="back-in-stock-waker")

    async def _run(self) -> None:
        while not self._stopping:
            await self._event.wait()
            await asyncio.sleep(self.DEBOUNCE)
            self._event.clear()
            if self._stopping:
                return
            try:
                await back_in_stock_alerts(self.ctx)
            except Exception:  # the interval sweep tries again
                log.exception("back-in-stock sweep after a stock movement failed")

    async def stop(self) -> None:
        if self._undo is not None:
            self._undo()
        self._stopping = True
        self._event.set()
        if self._task is not None:  # an in-flight sweep finishes and records its sends
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
                with suppress(asyncio.CancelledError):
                    await self._task
        self._task = None


def register_alert_jobs(registry: JobRegistry) -> None:
    # Both sweeps read the database each time: nothing to catch up after a gap.
    registry.register_job(
        "alerts.back_in_stock", back_in_stock_alerts, IntervalTrigger(seconds=30), catch_up=False
    )
    registry.register_job(
        "alerts.price_drops", price_drop_alerts, IntervalTrigger(minutes=5), catch_up=False
    )
