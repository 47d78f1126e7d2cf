"""Digital units on Tortoise (the rows live in the catalog app: storage.catalog.models).

A product's on_hand equals its count of available units: adding units books a RECEIVED
movement in the inventory ledger in the same transaction, and selling them is the order's own
SALE movement (storage.orders.repository.apply), in the transaction that takes the units.
Taking a unit is a conditional UPDATE (status still 'available') of rows picked with
SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite has one writer at a time), so a unit is
never given to two buyers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import lru_cache

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.catalog.types import ProductKind, product_kind
from domain.digital.units import (
    DigitalUnit,
    DuplicateUnits,
    NotDigital,
    PayloadKind,
    UnitDraft,
    UnitStatus,
)
from domain.inventory.ledger import StockReason
from storage.catalog.models import DigitalUnitRow, ProductRow
from storage.columns import int_column
from storage.compiled import CompiledRows
from storage.inventory.ledger import apply_stock_movement

log = logging.getLogger(__name__)
CHUNK = 400  # keys per IN (...) lookup: well under SQLite's parameter limit
ADVISORY_CLASS = 0x4B10  # pg_advisory_xact_lock(class, order id): "sending this order's units"
_sending: dict[int, asyncio.Lock] = {}


def _unit(row: DigitalUnitRow) -> DigitalUnit:
    return DigitalUnit(
        id=row.id,
        product_id=row.product_id,
        kind=PayloadKind(row.payload_kind),
        payload=row.payload,
        file_name=row.file_name,
        status=UnitStatus(row.status),
        order_id=row.order_id,
        line=row.line,
        sold_at=row.sold_at,
        sent_at=row.sent_at,
    )


async def product_kinds(product_ids: Iterable[int]) -> dict[int, ProductKind]:
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = await _kinds_of(len(ids)).dicts(*ids)
    return {int(r["id"]): product_kind(str(r["kind"])) for r in rows}


@lru_cache(maxsize=32)
def _kinds_of(n: int) -> CompiledRows[ProductRow]:
    """The kind of `n` goods (placing and paying an order ask it of its lines)."""
    return CompiledRows(
        ProductRow,
        lambda rows, *ids: rows.filter(id__in=list(ids)).values("id", "kind"),
        *(int,) * n,
    )


async def take_units(order_id: int, lines: Sequence[tuple[int, int, int]]) -> bool:
    """Sell `quantity` available units of each (line id, product id, quantity) to the order,
    inside the caller's transaction. False (nothing taken for that line, logged) when the
    pool is short: the payment is still recorded and the order is refunded as unfulfillable."""
    complete = True
    now = datetime.now(UTC)
    for line_id, product_id, quantity in lines:
        picked = (
            DigitalUnitRow.filter(product_id=product_id, status=UnitStatus.AVAILABLE)
            .order_by("id")
            .limit(quantity)
            .select_for_update(skip_locked=True)
        )
        ids = await int_column(picked, "id")
        taken = 0
        if len(ids) == quantity:
            taken = await DigitalUnitRow.filter(id__in=ids, status=UnitStatus.AVAILABLE).update(
                status=UnitStatus.SOLD, order_id=order_id, line=line_id, sold_at=now
            )
        if taken != quantity:
            if taken:  # give back a partial take: an order gets all its units or none
                await DigitalUnitRow.filter(id__in=ids, order_id=order_id).update(
                    status=UnitStatus.AVAILABLE, order_id=None, line=None, sold_at=None
                )
            log.error("order %s: %s units of product %s short", order_id, quantity, product_id)
            complete = False
    return complete


async def revoke_units(order_id: int) -> int:
    """A refunded order's units are revoked: never shown again, never back in the pool."""
    return await DigitalUnitRow.filter(order_id=order_id, status=UnitStatus.SOLD).update(
        status=UnitStatus.REVOKED
    )


class TortoiseDigitalRepository:
    @asynccontextmanager
    async def sending(self, order_id: int) -> AsyncIterator[None]:
        """One sender of an order's units at a time: the same successful_payment handled
        twice at once sends them once. In this process an asyncio lock; on PostgreSQL also a
        transaction-scoped advisory lock (other processes), in whose transaction the units
        are marked sent, so a crash mid-send releases it and leaves them unsent."""
        lock = _sending.setdefault(order_id, asyncio.Lock())
        try:
            async with lock:
                if connections.get("default").capabilities.dialect != "postgres":
                    yield
                    return
                async with in_transaction() as conn:
                    await conn.execute_query(
                        "SELECT pg_advisory_xact_lock($1, $2)", [ADVISORY_CLASS, order_id]
                    )
                    yield
        finally:
            if not lock.locked() and _sending.get(order_id) is lock:
                del _sending[order_id]

    async def product_kind(self, product_id: int) -> ProductKind | None:
        return (await product_kinds([product_id])).get(product_id)

    async def add_units(self, product_id: int, units: Sequence[UnitDraft], actor: int) -> int:
        keys = [u.key for u in units]
        try:
            async with in_transaction():
                existing = await self._existing(product_id, keys)
                if existing:
                    first = next(u for u in units if u.key in existing)
                    example = first.file_name or first.payload
                    raise DuplicateUnits(count=len(existing), example=example[:64])
                await DigitalUnitRow.bulk_create(
                    [
                        DigitalUnitRow(
                            product_id=product_id,
                            payload_kind=u.kind,
                            payload=u.payload,
                            payload_key=u.key,
                            file_name=u.file_name,
                            status=UnitStatus.AVAILABLE,
                        )
                        for u in units
                    ],
                    batch_size=500,
                )
                level = await apply_stock_movement(
                    product_id, None, len(units), 0, StockReason.RECEIVED, "digital units", actor
                )
                if level is None:
                    raise NotDigital()
        except IntegrityError:  # added by someone else at the same moment
            raise DuplicateUnits(count=1, example="…") from None
        return await self.available(product_id)

    async def _existing(self, product_id: int, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            rows = await DigitalUnitRow.filter(
                product_id=product_id, payload_key__in=chunk
            ).values_list("payload_key", flat=True)
            found.update(str(r) for r in rows)
        return found

    async def available(self, product_id: int) -> int:
        return await DigitalUnitRow.filter(
            product_id=product_id, status=UnitStatus.AVAILABLE
        ).count()

    async def for_order(self, order_id: int) -> list[DigitalUnit]:
        rows = await DigitalUnitRow.filter(order_id=order_id).order_by("line", "id")
        return [_unit(r) for r in rows]

    async def mark_sent(self, unit_ids: Sequence[int], at: datetime) -> None:
        if unit_ids:
            await DigitalUnitRow.filter(id__in=list(unit_ids), sent_at=None).update(sent_at=at)
