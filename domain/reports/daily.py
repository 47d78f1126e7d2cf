"""The daily sales report: orders paid during the shop's previous calendar day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

TOP_GOODS = 5


@dataclass(frozen=True, slots=True)
class PaidOrder:
    order_id: int
    currency: str
    amount: int  # minor units actually paid


@dataclass(frozen=True, slots=True)
class SoldLine:
    order_id: int
    product_id: int
    title_en: str
    title_zh: str
    quantity: int


@dataclass(frozen=True, slots=True)
class TopGood:
    product_id: int
    title_en: str
    title_zh: str
    units: int


@dataclass(frozen=True, slots=True)
class SalesReport:
    day: date
    orders: int
    revenue: dict[str, int] = field(default_factory=dict)  # currency -> minor units
    units: int = 0
    top: list[TopGood] = field(default_factory=list)


class SalesSource(Protocol):
    async def paid_between(
        self, start: datetime, end: datetime
    ) -> tuple[list[PaidOrder], list[SoldLine]]:
        """Orders with paid_at in [start, end) and their lines."""
        ...


def previous_day(now: datetime, timezone: str) -> tuple[date, datetime, datetime]:
    """Yesterday in the shop's time zone and its [start, end) in UTC."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    day = today - timedelta(days=1)
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(today, time(0), tzinfo=zone).astimezone(UTC)
    return day, start, end


def summarize(day: date, orders: list[PaidOrder], lines: list[SoldLine]) -> SalesReport:
    """Count, revenue per currency, units and the best sellers (by units, then id)."""
    revenue: dict[str, int] = {}
    for order in orders:
        revenue[order.currency] = revenue.get(order.currency, 0) + order.amount
    paid_ids = {order.order_id for order in orders}
    units: dict[int, int] = {}
    titles: dict[int, tuple[str, str]] = {}
    for line in lines:
        if line.order_id not in paid_ids:
            continue
        units[line.product_id] = units.get(line.product_id, 0) + line.quantity
        titles.setdefault(line.product_id, (line.title_en, line.title_zh))
    ranked = sorted(units.items(), key=lambda item: (-item[1], item[0]))[:TOP_GOODS]
    top = [TopGood(pid, *titles[pid], qty) for pid, qty in ranked]
    return SalesReport(day, len(orders), dict(sorted(revenue.items())), sum(units.values()), top)


class SalesReports:
    def __init__(self, source: SalesSource) -> None:
        self.source = source

    async def yesterday(self, now: datetime, timezone: str) -> SalesReport:
        """The report for the shop-local day before `now`."""
        day, start, end = previous_day(now, timezone)
        orders, lines = await self.source.paid_between(start, end)
        return summarize(day, orders, lines)
