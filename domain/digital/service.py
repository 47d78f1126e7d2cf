"""What merchants and buyers do with digital units.

Merchants add units to a digital product's pool (all or nothing); the product's on_hand is
kept equal to its count of available units in the same transaction, so checkout reservations,
low-stock and back-in-stock alerts read digital stock like any other. Buyers receive the units
their order took (storage takes them inside the payment's transaction) once, right after paying,
and can see them again from /orders while the order isn't refunded.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from domain.catalog.types import ProductKind
from domain.digital.units import (
    DigitalUnit,
    DuplicateFile,
    DuplicateUnits,
    NotDigital,
    UnitDraft,
    UnitStatus,
    file_unit,
    parse_codes,
    parse_document,
)
from domain.orders.service import OrderService
from domain.orders.states import OrderStatus
from domain.orders.types import Order, OrderChange


class DigitalRepository(Protocol):
    async def product_kind(self, product_id: int) -> ProductKind | None: ...

    async def add_units(self, product_id: int, units: Sequence[UnitDraft], actor: int) -> int:
        """Add every unit or none (DuplicateUnits when any is in the pool already), with
        on_hand raised by as many in the same transaction; returns the available count."""
        ...

    async def available(self, product_id: int) -> int: ...

    async def for_order(self, order_id: int) -> list[DigitalUnit]: ...

    async def mark_sent(self, unit_ids: Sequence[int], at: datetime) -> None: ...

    def sending(self, order_id: int) -> AbstractAsyncContextManager[None]:
        """Held while an order's units are sent and marked (one sender at a time, across
        processes); a crash inside leaves them unsent."""
        ...


class DigitalService:
    def __init__(self, repo: DigitalRepository) -> None:
        self.repo = repo

    async def _check_digital(self, product_id: int) -> None:
        if await self.repo.product_kind(product_id) is not ProductKind.DIGITAL:
            raise NotDigital()

    async def add_codes(self, product_id: int, text: str, actor: int) -> tuple[int, int]:
        """Add one unit per pasted line: (added, now available). Refused whole (ImportRefused,
        DuplicateUnits) with the reason."""
        await self._check_digital(product_id)
        units = parse_codes(text)
        return len(units), await self.repo.add_units(product_id, units, actor)

    async def add_document(
        self, product_id: int, data: bytes, file_name: str, actor: int
    ) -> tuple[int, int]:
        """Add the codes of a .txt or .csv document: (added, now available)."""
        await self._check_digital(product_id)
        units = parse_document(data, file_name)
        return len(units), await self.repo.add_units(product_id, units, actor)

    async def add_file(
        self,
        product_id: int,
        file_id: str,
        file_unique_id: str,
        file_name: str,
        actor: int,
        photo: bool = False,
    ) -> int:
        """One file (a document, or a photo) is one unit, sent to its buyer as it is;
        returns now available."""
        await self._check_digital(product_id)
        unit = file_unit(file_id, file_unique_id, file_name, photo)
        try:
            return await self.repo.add_units(product_id, [unit], actor)
        except DuplicateUnits:
            raise DuplicateFile() from None

    async def available(self, product_id: int) -> int:
        return await self.repo.available(product_id)

    async def of_order(self, order: Order) -> list[DigitalUnit]:
        """The units an order holds that its buyer may see (not revoked). The caller got
        `order` through OrderService.order, which checks it is the asker's own."""
        if not order.digital:
            return []
        units = await self.repo.for_order(order.id)
        return [u for u in units if u.status is UnitStatus.SOLD]

    def sending(self, order: Order) -> AbstractAsyncContextManager[None]:
        """Hold this while calling `to_send`, sending them, and `sent`."""
        return self.repo.sending(order.id)

    async def to_send(self, order: Order) -> list[DigitalUnit]:
        """Units taken by the payment whose message hasn't gone out yet."""
        return [u for u in await self.of_order(order) if u.sent_at is None]

    async def sent(self, units: Sequence[DigitalUnit], now: datetime) -> None:
        await self.repo.mark_sent([u.id for u in units], now)

    async def short(self, order: Order) -> bool:
        """Whether a paid order got fewer units than it bought (the pool ran short)."""
        if not order.digital:
            return False
        units = await self.repo.for_order(order.id)
        kinds = {ln.product_id: await self.repo.product_kind(ln.product_id) for ln in order.lines}
        wanted = sum(
            ln.quantity for ln in order.lines if kinds[ln.product_id] is ProductKind.DIGITAL
        )
        return len(units) < wanted

    async def settle(
        self, order: Order, orders: OrderService, now: datetime
    ) -> OrderChange | None:
        """After a digital order is paid (or its payment is delivered again after a crash):
        delivered at once when it got all its units, else cancelled with its refund due."""
        if not order.digital:
            return None
        order = await orders.get(order.id, now)  # as it is now, after the payment
        if order.status is not OrderStatus.PAID:
            return None
        if await self.short(order):
            return await orders.cancel_unfulfillable(order.id, now)
        return await orders.fulfil(order.id, now)
