"""Low-stock alerts: tell the owners once when a sellable unit crosses its threshold downward.

A unit (a product without variants, or one variant) is *low* when its available stock
(on hand - reserved) is at or below its product's `low_stock_threshold`. Each unit has an
"alerted low" marker: set when the owners were told, cleared when the stock rises above the
threshold again. So a unit that keeps selling while low is reported once per crossing, not
once per sale, and a restock followed by another drop is a new crossing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

UnitKey = tuple[int, int]  # (product id, variant id or 0 for the product itself)


@dataclass(frozen=True, slots=True)
class LowUnit:
    product_id: int
    variant_id: int  # 0: the product itself
    sku: str
    title_en: str
    title_zh: str
    available: int
    threshold: int

    @property
    def key(self) -> UnitKey:
        return (self.product_id, self.variant_id)

    @property
    def out_of_stock(self) -> bool:
        return self.available <= 0


class StockAlertStore(Protocol):
    async def low_units(self) -> list[LowUnit]:
        """Every active unit at or below its threshold, emptiest first."""
        ...

    async def marked(self) -> set[UnitKey]:
        """Units whose 'alerted low' marker is set."""
        ...

    async def mark(self, keys: list[UnitKey]) -> set[UnitKey]:
        """Set the markers; returns the keys this call set (a concurrent run gets the rest)."""
        ...

    async def clear(self, keys: list[UnitKey]) -> None: ...


def crossings(low: list[LowUnit], marked: set[UnitKey]) -> tuple[list[LowUnit], list[UnitKey]]:
    """(units that just crossed downward, markers to clear because the unit recovered)."""
    low_keys = {unit.key for unit in low}
    crossed = [unit for unit in low if unit.key not in marked]
    recovered = sorted(key for key in marked if key not in low_keys)
    return crossed, recovered


class LowStockWatch:
    """The frequent check and the daily digest over one store."""

    def __init__(self, store: StockAlertStore) -> None:
        self.store = store

    async def new_crossings(self) -> list[LowUnit]:
        """Units to alert about now; their markers are set before returning (at most once)."""
        low = await self.store.low_units()
        crossed, recovered = crossings(low, await self.store.marked())
        if recovered:
            await self.store.clear(recovered)
        if not crossed:
            return []
        won = await self.store.mark([unit.key for unit in crossed])
        return [unit for unit in crossed if unit.key in won]

    async def digest(self) -> list[LowUnit]:
        """All low and out-of-stock units (for the daily digest)."""
        return await self.store.low_units()
