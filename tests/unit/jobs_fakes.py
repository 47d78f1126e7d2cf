"""In-memory fakes for the shop jobs' Protocols (stock alerts, sales, cart reminders)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.alerts.low_stock import LowUnit, UnitKey
from domain.cart.reminders import CartState
from domain.reports.daily import PaidOrder, SoldLine


@dataclass
class Unit:
    product_id: int
    variant_id: int
    available: int
    threshold: int


@dataclass
class InMemoryStockAlertStore:
    units: dict[UnitKey, Unit] = field(default_factory=dict)
    markers: set[UnitKey] = field(default_factory=set)

    def put(
        self, product_id: int, available: int, threshold: int = 3, variant_id: int = 0
    ) -> None:
        self.units[(product_id, variant_id)] = Unit(product_id, variant_id, available, threshold)

    async def low_units(self) -> list[LowUnit]:
        low = [u for u in self.units.values() if u.available <= u.threshold]
        low.sort(key=lambda u: (u.available, u.product_id, u.variant_id))
        return [
            LowUnit(
                u.product_id,
                u.variant_id,
                f"SKU{u.product_id}",
                f"P{u.product_id}",
                "",
                u.available,
                u.threshold,
            )
            for u in low
        ]

    async def marked(self) -> set[UnitKey]:
        return set(self.markers)

    async def mark(self, keys: list[UnitKey]) -> set[UnitKey]:
        won = {k for k in keys if k not in self.markers}
        self.markers |= won
        return won

    async def clear(self, keys: list[UnitKey]) -> None:
        self.markers -= set(keys)


@dataclass
class InMemorySalesSource:
    orders: list[tuple[datetime, PaidOrder]] = field(default_factory=list)
    lines: list[SoldLine] = field(default_factory=list)

    async def paid_between(
        self, start: datetime, end: datetime
    ) -> tuple[list[PaidOrder], list[SoldLine]]:
        orders = [o for paid_at, o in self.orders if start <= paid_at < end]
        ids = {o.order_id for o in orders}
        return orders, [line for line in self.lines if line.order_id in ids]


@dataclass
class InMemoryCartReminderStore:
    carts: dict[int, CartState] = field(default_factory=dict)
    marks: list[tuple[int, datetime]] = field(default_factory=list)

    async def candidates(self, changed_before: datetime, limit: int) -> list[CartState]:
        found = [
            c
            for c in self.carts.values()
            if c.changed_at <= changed_before
            and c.items > 0
            and c.opted_in
            and not c.blocked
            and (c.reminded_for is None or c.reminded_for < c.changed_at)
        ]
        return sorted(found, key=lambda c: c.changed_at)[:limit]

    async def mark_reminded(self, user_id: int, changed_at: datetime) -> bool:
        cart = self.carts[user_id]
        if cart.reminded_for is not None and cart.reminded_for >= changed_at:
            return False
        self.carts[user_id] = CartState(
            cart.user_id,
            cart.telegram_id,
            cart.locale,
            cart.items,
            cart.changed_at,
            changed_at,
            cart.opted_in,
            cart.blocked,
        )
        self.marks.append((user_id, changed_at))
        return True
