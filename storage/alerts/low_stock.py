"""domain.alerts.low_stock.StockAlertStore on Tortoise.

The low-unit query is shaped for the expression indexes of migration 0002: products by
`on_hand - reserved - low_stock_threshold <= 0`, variants by `on_hand - reserved <= the
highest threshold of any product` (a range on an index) before the exact per-product check.
A service has no stock (on_hand stays 0), so it is never low.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from domain.alerts.low_stock import LowUnit, UnitKey
from storage.jobs.models import LowStockMarkRow

LOW_UNITS_SQL = """
SELECT p.id AS product_id, 0 AS variant_id, p.sku AS sku, p.title_en AS title_en,
       p.title_zh AS title_zh, p.on_hand - p.reserved AS available,
       p.low_stock_threshold AS threshold
FROM catalog_products p
WHERE p.on_hand - p.reserved - p.low_stock_threshold <= 0
  AND p.has_variants = FALSE AND p.active = TRUE AND p.kind <> 'service'
UNION ALL
SELECT v.product_id, v.id, v.sku, p.title_en, p.title_zh, v.on_hand - v.reserved,
       p.low_stock_threshold
FROM catalog_variants v JOIN catalog_products p ON p.id = v.product_id
WHERE v.on_hand - v.reserved <= (SELECT MAX(low_stock_threshold) FROM catalog_products)
  AND v.on_hand - v.reserved <= p.low_stock_threshold
  AND v.active = TRUE AND p.active = TRUE AND p.has_variants = TRUE
"""


def _low_unit(r: dict[str, object]) -> LowUnit:
    return LowUnit(
        product_id=int(str(r["product_id"])),
        variant_id=int(str(r["variant_id"])),
        sku=str(r["sku"]),
        title_en=str(r["title_en"]),
        title_zh=str(r["title_zh"] or ""),
        available=int(str(r["available"])),
        threshold=int(str(r["threshold"])),
    )


class TortoiseStockAlertStore:
    async def low_units(self) -> list[LowUnit]:
        rows = await connections.get("default").execute_query_dict(
            f"SELECT * FROM ({LOW_UNITS_SQL}) AS u "
            "ORDER BY u.available, u.product_id, u.variant_id"
        )
        return [_low_unit(r) for r in rows]

    async def marked(self) -> set[UnitKey]:
        rows = await LowStockMarkRow.all().values_list("product_id", "variant_id")
        return {(int(p), int(v)) for p, v in rows}

    async def mark(self, keys: list[UnitKey]) -> set[UnitKey]:
        now = datetime.now(UTC)
        won = set()
        for product_id, variant_id in keys:
            try:
                await LowStockMarkRow.create(
                    product_id=product_id, variant_id=variant_id, alerted_at=now
                )
            except IntegrityError:
                continue  # set by a concurrent run: that run alerts
            won.add((product_id, variant_id))
        return won

    async def clear(self, keys: list[UnitKey]) -> None:
        if not keys:
            return
        condition = Q()
        for product_id, variant_id in keys:
            condition |= Q(product_id=product_id, variant_id=variant_id)
        await LowStockMarkRow.filter(condition).delete()
