"""The console's dashboard: one period's figures from the sales report (domain/reports), the
previous period of the same length for comparison, the conversion funnel, a revenue series to
draw (by hour for today, by day otherwise), low stock (the stock ledger's own list) and the
recommender's own evaluation of what it serves.

Revenue figures need the "revenue" permission (owners always; managers unless an owner hid
them): without it the dashboard still shows stock and recommendations, and says why the rest
is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.inventory.ledger import StockRow, StockService
from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.recommend.service import RecsQuality
from domain.reports.service import (
    DayRow,
    Period,
    Preset,
    Report,
    ReportService,
    period_between,
    preset_period,
)

PERIODS: dict[int, Preset] = {1: "today", 7: "7d", 30: "30d"}


def parse_days(raw: str | None) -> int:
    """1, 7 or 30 (the default 7); anything else is refused."""
    text = (raw or "7").strip()
    if not text.isdigit() or int(text) not in PERIODS:
        raise ValidationError(N_("Choose today, 7 days or 30 days."))
    return int(text)


def rate(part: int, whole: int) -> float | None:
    """part / whole, None when there is nothing to divide by."""
    return part / whole if whole > 0 else None


@dataclass(frozen=True, slots=True)
class Funnel:
    """Product views and add-to-cart events (the recommender's event log), checkouts (orders
    placed) and paid orders, in the period."""

    views: int
    carts: int
    checkouts: int
    paid: int

    @property
    def steps(self) -> list[tuple[str, int, float | None]]:
        """(step, count, share of the step before) for each step."""
        counts = [("views", self.views), ("carts", self.carts)]
        counts += [("checkouts", self.checkouts), ("paid", self.paid)]
        out: list[tuple[str, int, float | None]] = []
        for n, (name, count) in enumerate(counts):
            out.append((name, count, None if n == 0 else rate(count, counts[n - 1][1])))
        return out

    @property
    def conversion(self) -> float | None:
        """Paid orders per product view."""
        return rate(self.paid, self.views)


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bar of the revenue chart: its start (shop-local), revenue in the shop's currency
    and paid orders."""

    start: datetime
    revenue: int
    paid_orders: int


@dataclass
class Dashboard:
    days: int
    period: Period
    currency: str  # the shop's; revenue in other currencies (Stars) is listed beside it
    revenue_visible: bool
    report: Report | None = None  # None when revenue is hidden from this person
    previous: Report | None = None
    series: list[Bucket] = field(default_factory=list)
    hourly: bool = False
    low_stock: list[StockRow] = field(default_factory=list)
    low_stock_total: int = 0
    recs: RecsQuality | None = None

    @property
    def revenue(self) -> int:
        return self.report.revenue.get(self.currency, 0) if self.report else 0

    @property
    def other_revenue(self) -> dict[str, int]:
        """Revenue in currencies other than the shop's (e.g. Telegram Stars)."""
        if self.report is None:
            return {}
        return {c: a for c, a in self.report.revenue.items() if c != self.currency}

    @property
    def previous_revenue(self) -> int:
        return self.previous.revenue.get(self.currency, 0) if self.previous else 0

    @property
    def average_basket(self) -> int:
        return self.report.average(self.currency) if self.report else 0

    @property
    def funnel(self) -> Funnel:
        r = self.report
        if r is None:
            return Funnel(0, 0, 0, 0)
        return Funnel(r.views, r.cart_adds, r.orders, r.paid_orders)

    @staticmethod
    def change(now: int, before: int) -> float | None:
        """Relative change against the previous period (None when it had nothing)."""
        return (now - before) / before if before else None


class DashboardService:
    """Assembles the dashboard from the services that own each figure."""

    def __init__(
        self,
        reports: ReportService,
        stock: StockService,
        recs_quality: Callable[[], RecsQuality | None],
        currency: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.reports = reports
        self.stock = stock
        self.recs_quality = recs_quality
        self.currency = currency
        self.clock = clock

    async def build(self, actor: int, days: int, locale: str = "en") -> Dashboard:
        if days not in PERIODS:
            raise ValidationError(N_("Choose today, 7 days or 30 days."))
        timezone = self.reports.timezone
        period = preset_period(PERIODS[days], self.clock(), timezone)
        visible = await self.reports.staff.allowed(actor, "manager", "revenue")
        board = Dashboard(days, period, self.currency, visible)
        if visible:
            board.report = await self.reports.build(actor, period, locale)
            before = period_between(
                period.first - timedelta(days=days), period.first - timedelta(days=1), timezone
            )
            board.previous = await self.reports.build(actor, before, locale)
            board.hourly = days == 1
            board.series = self._series(board.report, period, timezone, board.hourly)
        low = await self.stock.low_stock(1)
        board.low_stock, board.low_stock_total = low.items, low.total
        board.recs = self.recs_quality()
        return board

    def _series(self, report: Report, period: Period, timezone: str, hourly: bool) -> list[Bucket]:
        zone = ZoneInfo(timezone)
        if not hourly:
            return [self._day_bucket(row, zone) for row in report.daily]
        start = period.start.astimezone(zone)
        revenue, paid = [0] * 24, [0] * 24
        for row in report.rows:
            at = row.paid_at if row.paid_at.tzinfo else row.paid_at.replace(tzinfo=UTC)
            hour = int((at - period.start).total_seconds() // 3600)
            if 0 <= hour < 24:
                paid[hour] += 1
                if row.currency == self.currency:
                    revenue[hour] += row.amount
        return [Bucket(start + timedelta(hours=h), revenue[h], paid[h]) for h in range(24)]

    def _day_bucket(self, row: DayRow, zone: ZoneInfo) -> Bucket:
        start = datetime(row.day.year, row.day.month, row.day.day, tzinfo=zone)
        return Bucket(start, row.revenue.get(self.currency, 0), row.paid_orders)
