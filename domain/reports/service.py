"""Sales reports for staff: a period (today, 7 days, 30 days or two dates, in the shop's time
zone) and its figures, all computed from the orders table so they match it exactly.

Definitions: *orders* were placed in the period (checkouts); *paid orders* had their payment
recorded in it (paid_at), whatever happened to them later; *revenue* is what those paid orders
charged, per currency; *refunds* were recorded in the period; *units*, *top goods* and *top
categories* come from the paid orders' lines; a paying customer is *new* when their first paid
order ever falls in the period. The funnel counts product views and add-to-cart events (the
recommender's event log), checkouts and paid orders. *Support*: how many times staff answered
a shopper in the period and the median time the shopper waited for that answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_
from domain.staff.service import StaffService

TOP = 5
MAX_DAYS = 366
# (answers given in [start, end), their median wait in seconds or None): domain/support
ResponseTimes = Callable[[datetime, datetime], Awaitable[tuple[int, float | None]]]
Preset = Literal["today", "7d", "30d"]


class RevenueHidden(DomainError):
    message = N_("The shop's owners have hidden revenue figures from managers.")


@dataclass(frozen=True, slots=True)
class Period:
    first: date  # shop-local days, both included
    last: date
    start: datetime  # [start, end) in UTC
    end: datetime

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


def period_between(first: date, last: date, timezone: str) -> Period:
    if last < first:
        first, last = last, first
    if (last - first).days >= MAX_DAYS:
        raise ValidationError(N_("A report covers at most {days} days."), days=MAX_DAYS)
    zone = ZoneInfo(timezone)
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return Period(first, last, start, end)


def preset_period(preset: Preset, now: datetime, timezone: str) -> Period:
    """Today, or the last 7 / 30 days including today."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    span = {"today": 1, "7d": 7, "30d": 30}[preset]
    return period_between(today - timedelta(days=span - 1), today, timezone)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        raise ValidationError(N_("Send a date like 2025-06-30.")) from None


@dataclass(frozen=True, slots=True)
class PaidRow:
    order_id: int
    user_id: int
    currency: str
    amount: int
    paid_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class LineRow:
    order_id: int
    product_id: int
    title: str
    category_id: int | None
    category: str
    quantity: int


@dataclass(frozen=True, slots=True)
class RefundRow:
    order_id: int
    currency: str
    amount: int
    at: datetime


class ReportSource(Protocol):
    async def paid(self, start: datetime, end: datetime) -> list[PaidRow]: ...

    async def placed(self, start: datetime, end: datetime) -> list[datetime]:
        """created_at of every order placed in [start, end)."""
        ...

    async def lines(self, order_ids: list[int], locale: str) -> list[LineRow]: ...

    async def refunds(self, start: datetime, end: datetime) -> list[RefundRow]: ...

    async def first_paid(self, user_ids: list[int]) -> dict[int, datetime]:
        """Each user's earliest paid_at ever."""
        ...

    async def events(self, start: datetime, end: datetime) -> dict[str, int]:
        """Counts of interaction events by kind ('view', 'cart') in [start, end)."""
        ...


@dataclass(frozen=True, slots=True)
class DayRow:
    day: date
    orders: int
    paid_orders: int
    revenue: dict[str, int]


@dataclass
class Report:
    period: Period
    orders: int = 0
    paid_orders: int = 0
    revenue: dict[str, int] = field(default_factory=dict)
    paid_by_currency: dict[str, int] = field(default_factory=dict)
    units: int = 0
    refunds: dict[str, int] = field(default_factory=dict)
    refund_count: int = 0
    top_goods: list[tuple[str, int]] = field(default_factory=list)
    top_categories: list[tuple[str, int]] = field(default_factory=list)
    new_customers: int = 0
    returning_customers: int = 0
    views: int = 0
    cart_adds: int = 0
    support_answers: int = 0
    support_median_wait: float | None = None  # seconds
    daily: list[DayRow] = field(default_factory=list)
    rows: list[PaidRow] = field(default_factory=list)

    def average(self, currency: str) -> int:
        """Average order value in `currency` (rounded down to the minor unit)."""
        count = self.paid_by_currency.get(currency, 0)
        return self.revenue.get(currency, 0) // count if count else 0


def _day(moment: datetime, zone: ZoneInfo) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


class ReportService:
    """Builds reports for staff allowed to see revenue."""

    def __init__(
        self,
        source: ReportSource,
        staff: StaffService,
        timezone: str,
        response_times: ResponseTimes | None = None,
    ) -> None:
        self.source = source
        self.staff = staff
        self.timezone = timezone
        self.response_times = response_times

    async def ensure_allowed(self, actor: int) -> None:
        if not await self.staff.allowed(actor, "manager", "revenue"):
            raise RevenueHidden()

    async def build(self, actor: int, period: Period, locale: str = "en") -> Report:
        await self.ensure_allowed(actor)
        zone = ZoneInfo(self.timezone)
        s = self.source
        paid = await s.paid(period.start, period.end)
        placed = await s.placed(period.start, period.end)
        report = Report(period, orders=len(placed), paid_orders=len(paid), rows=paid)
        report.revenue = _revenue_of(paid)
        report.paid_by_currency = dict(Counter(r.currency for r in paid))
        lines = await s.lines([r.order_id for r in paid], locale)
        report.units = sum(ln.quantity for ln in lines)
        goods: Counter[str] = Counter()
        categories: Counter[str] = Counter()
        for ln in lines:
            goods[ln.title] += ln.quantity
            categories[ln.category] += ln.quantity
        report.top_goods = sorted(goods.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
        report.top_categories = sorted(categories.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
        refunds = await s.refunds(period.start, period.end)
        for refund in refunds:
            total = report.refunds.get(refund.currency, 0)
            report.refunds[refund.currency] = total + refund.amount
        report.refund_count = len(refunds)
        buyers = sorted({r.user_id for r in paid})
        first = await s.first_paid(buyers)
        report.new_customers = sum(1 for u in buyers if first.get(u, period.start) >= period.start)
        report.returning_customers = len(buyers) - report.new_customers
        events = await s.events(period.start, period.end)
        report.views, report.cart_adds = events.get("view", 0), events.get("cart", 0)
        if self.response_times is not None:
            figure = await self.response_times(period.start, period.end)
            report.support_answers, report.support_median_wait = figure
        placed_by_day = Counter(_day(at, zone) for at in placed)
        report.daily = [
            DayRow(
                day,
                placed_by_day.get(day, 0),
                sum(1 for r in paid if _day(r.paid_at, zone) == day),
                _revenue_of(r for r in paid if _day(r.paid_at, zone) == day),
            )
            for day in period.days
        ]
        return report


def _revenue_of(rows: Iterable[PaidRow]) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in rows:
        out[row.currency] = out.get(row.currency, 0) + row.amount
    return dict(sorted(out.items()))
