"""The inventory ledger: `apply_stock_movement` is THE way stock changes.

One conditional UPDATE moves on_hand/reserved of a sellable unit (the product, or a variant)
only if nothing goes negative and reserved stays <= on_hand; the ledger row is written in the
same transaction. So for every unit, on_hand == SUM(delta_on_hand) and reserved ==
SUM(delta_reserved) of its movements (tests/integration/test_admin_stock.py checks it).
"""

from __future__ import annotations

from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.catalog.service import Localized
from domain.inventory.ledger import StockLevel, StockRow, UnitNotFound
from storage.admin.models import StockMovementRow
from storage.catalog.models import ProductRow, VariantRow
from storage.compiled import CompiledRows


def _unit(product_id: int, variant_id: int | None) -> QuerySet[ProductRow] | QuerySet[VariantRow]:
    if variant_id is None:
        return ProductRow.filter(id=product_id, has_variants=False)
    return VariantRow.filter(id=variant_id, product_id=product_id)


def _move(variant: bool, only_active: bool) -> CompiledRows[Any]:
    """The one conditional UPDATE of a unit, rendered once. Parameters: the deltas of on_hand
    and reserved, the unit's key (the product's id; or the variant's and its product's), then
    the floors on_hand >= -delta_on_hand, reserved >= -delta_reserved and
    on_hand >= reserved + (delta_reserved - delta_on_hand)."""

    def build(rows: Any, d_on_hand: int, d_reserved: int, *rest: int) -> Any:
        if variant:
            rows = rows.filter(id=rest[0], product_id=rest[1])
        else:
            rows = rows.filter(id=rest[0], has_variants=False)
        if only_active:
            rows = rows.filter(active=True)
        floors = rest[-3:]
        return (
            rows.filter(on_hand__gte=floors[0])
            .filter(reserved__gte=floors[1])
            .filter(on_hand__gte=F("reserved") + floors[2])
            .update(on_hand=F("on_hand") + d_on_hand, reserved=F("reserved") + d_reserved)
        )

    model: Any = VariantRow if variant else ProductRow
    return CompiledRows(model, build, *(int,) * (7 if variant else 6))


_MOVE = {(v, active): _move(v, active) for v in (False, True) for active in (False, True)}
_LEVEL: dict[bool, CompiledRows[Any]] = {  # the unit's level after the move, by its key
    False: CompiledRows(
        ProductRow,
        lambda rows, pid: rows.filter(id=pid, has_variants=False).values("on_hand", "reserved"),
        int,
    ),
    True: CompiledRows(
        VariantRow,
        lambda rows, vid, pid: rows.filter(id=vid, product_id=pid).values("on_hand", "reserved"),
        int,
        int,
    ),
}


async def apply_stock_movement(
    product_id: int,
    variant_id: int | None,
    delta_on_hand: int,
    delta_reserved: int,
    reason: str,
    ref: str = "",
    actor: int = 0,
    *,
    only_active: bool = False,
) -> StockLevel | None:
    """Move stock of one unit and book it in the ledger, atomically (one transaction).

    Returns the new level, or None when the movement is refused because on_hand or reserved
    would fall below zero or reserved would exceed on_hand. Raises UnitNotFound when the
    product/variant does not exist (or a variant product is addressed without variant_id).
    Joins the caller's transaction when there is one. `only_active` refuses
    an inactive unit in the same UPDATE (checkout's reservations).
    """
    args = (product_id, variant_id, delta_on_hand, delta_reserved, reason, ref, actor)
    current = connections.get("default")
    if isinstance(current, TransactionalDBClient):
        # Inside the caller's transaction (placing or paying an order): its commit or rollback
        # covers the move and its ledger row together, and a refusal writes nothing (the
        # UPDATE matched no row), so a savepoint would only add two statements.
        return await _move_and_book(current, only_active, *args)
    async with in_transaction() as conn:
        return await _move_and_book(conn, only_active, *args)


async def _move_and_book(
    conn: BaseDBAsyncClient,
    only_active: bool,
    product_id: int,
    variant_id: int | None,
    delta_on_hand: int,
    delta_reserved: int,
    reason: str,
    ref: str,
    actor: int,
) -> StockLevel | None:
    move = _MOVE[(variant_id is not None, only_active)]
    key = (product_id,) if variant_id is None else (variant_id, product_id)
    floors = (-delta_on_hand, -delta_reserved, delta_reserved - delta_on_hand)
    updated = await move.execute(delta_on_hand, delta_reserved, *key, *floors)
    # The filter names one row by its key. SQLite counts rows changed by triggers too (a
    # variant's stock moving flips its product's variants_in_stock), so test for "none".
    if not updated:
        if not await _unit(product_id, variant_id).using_db(conn).exists():
            raise UnitNotFound()
        return None
    await StockMovementRow.create(
        using_db=conn,
        product_id=product_id,
        variant_id=variant_id,
        delta_on_hand=delta_on_hand,
        delta_reserved=delta_reserved,
        reason=reason,
        ref=ref[:64],
        actor=actor,
    )
    levels = await _LEVEL[variant_id is not None].dicts(*key)
    assert levels  # updated a moment ago in this transaction
    return StockLevel(product_id, variant_id, levels[0]["on_hand"], levels[0]["reserved"])


async def ledger_balance(product_id: int, variant_id: int | None) -> tuple[int, int]:
    """(sum of delta_on_hand, sum of delta_reserved) booked for one unit."""
    rows = await StockMovementRow.filter(product_id=product_id, variant_id=variant_id).values_list(
        "delta_on_hand", "delta_reserved"
    )
    return sum(r[0] for r in rows), sum(r[1] for r in rows)


_LOW_UNITS = """
SELECT p.id AS product_id, 0 AS variant_id, p.sku AS sku, p.title_en AS title_en,
       p.title_zh AS title_zh, p.on_hand AS on_hand, p.reserved AS reserved,
       p.low_stock_threshold AS threshold
FROM catalog_products p
WHERE p.has_variants = FALSE AND p.active = TRUE AND p.kind <> 'service'
  AND p.on_hand - p.reserved <= p.low_stock_threshold
UNION ALL
SELECT v.product_id, v.id, v.sku, p.title_en, p.title_zh, v.on_hand, v.reserved,
       p.low_stock_threshold
FROM catalog_variants v JOIN catalog_products p ON p.id = v.product_id
WHERE v.active = TRUE AND p.active = TRUE AND v.on_hand - v.reserved <= p.low_stock_threshold
"""


class TortoiseStockLedger:
    """domain.inventory.ledger.StockLedger on Tortoise."""

    async def apply(
        self,
        product_id: int,
        variant_id: int | None,
        delta_on_hand: int,
        delta_reserved: int,
        reason: str,
        ref: str = "",
        actor: int = 0,
    ) -> StockLevel | None:
        return await apply_stock_movement(
            product_id, variant_id, delta_on_hand, delta_reserved, reason, ref, actor
        )

    async def level(self, product_id: int, variant_id: int | None) -> StockLevel | None:
        row = await _unit(product_id, variant_id).only("on_hand", "reserved").first()
        if row is None:
            return None
        return StockLevel(product_id, variant_id, row.on_hand, row.reserved)

    async def count_low(self) -> int:
        rows = await connections.get("default").execute_query_dict(
            f"SELECT COUNT(*) AS n FROM ({_LOW_UNITS}) AS u"
        )
        return int(rows[0]["n"])

    async def low(self, offset: int, limit: int) -> list[StockRow]:
        sql = (
            f"SELECT * FROM ({_LOW_UNITS}) AS u "
            "ORDER BY u.on_hand - u.reserved, u.product_id, u.variant_id "
            f"LIMIT {int(limit)} OFFSET {int(offset)}"
        )
        rows = await connections.get("default").execute_query_dict(sql)
        variant_ids = [int(r["variant_id"]) for r in rows if r["variant_id"]]
        labels = {
            v.id: " / ".join(str(value) for _, value in v.options or ())
            for v in await VariantRow.filter(id__in=variant_ids).only("id", "options")
        }
        items = []
        for r in rows:
            variant_id = int(r["variant_id"]) or None
            label = f" ({labels.get(variant_id, '')})" if variant_id else ""
            title = Localized(str(r["title_en"]), str(r["title_zh"] or ""))
            zh = (title.zh + label) if title.zh else ""
            counts = int(r["on_hand"]), int(r["reserved"]), int(r["threshold"])
            row = StockRow(
                int(r["product_id"]), variant_id, str(r["sku"]), title.en + label, zh, *counts
            )
            items.append(row)
        return items
