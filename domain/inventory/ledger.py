"""Stock as a ledger: every change of on_hand/reserved is a movement with a reason.

A sellable unit is a product without variants (variant_id None) or one variant. Storage
applies a movement with ONE conditional UPDATE (on_hand >= 0, reserved >= 0, reserved <=
on_hand afterwards) and writes the ledger row in the same transaction, so the sum of a unit's
movements always equals its stock (`StockLedger.apply`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import whole_number
from domain.staff.audit import AuditService

STOCK_PAGE_SIZE = 8
MAX_ADJUSTMENT = 1_000_000


class StockReason(StrEnum):
    # Set by staff (/stock):
    RECEIVED = "received"  # goods arrived: on_hand +
    DAMAGED = "damaged"  # written off: on_hand -
    CORRECTION = "correction"  # a count found a difference: on_hand +/-
    RETURNED = "returned"  # a customer brought goods back outside an order flow: on_hand +
    # Set by the catalogue tools:
    OPENING = "opening"  # stock a product was created with
    IMPORT = "import"  # a CSV import set a new stock level: on_hand +/-
    # Set by checkout:
    RESERVE = "reserve"  # an unpaid order holds goods: reserved +
    RELEASE = "release"  # the hold ended unpaid: reserved -
    SALE = "sale"  # the order was paid: on_hand - and reserved -
    RETURN = "return"  # a paid order's goods are back on the shelf: on_hand +


MANUAL_REASONS = (
    StockReason.RECEIVED,
    StockReason.DAMAGED,
    StockReason.CORRECTION,
    StockReason.RETURNED,
)

REASON_LABELS: dict[str, str] = {
    StockReason.RECEIVED: N_("Received"),
    StockReason.DAMAGED: N_("Damaged"),
    StockReason.CORRECTION: N_("Correction"),
    StockReason.RETURNED: N_("Returned"),
    StockReason.OPENING: N_("Opening stock"),
    StockReason.IMPORT: N_("Import"),
    StockReason.RESERVE: N_("Reserved by an order"),
    StockReason.RELEASE: N_("Reservation released"),
    StockReason.SALE: N_("Sold"),
    StockReason.RETURN: N_("Order return"),
}


class StockRefused(DomainError):
    message = N_(
        "That would take stock below zero (or below what open orders hold). "
        "On hand: {on_hand}, reserved: {reserved}."
    )


class UnitNotFound(DomainError):
    message = N_("This product or option no longer exists.")


@dataclass(frozen=True, slots=True)
class StockLevel:
    product_id: int
    variant_id: int | None
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved)


def movement_allowed(level: StockLevel, delta_on_hand: int, delta_reserved: int) -> bool:
    """THE stock rule: a movement may happen only if afterwards on_hand >= 0, reserved >= 0
    and reserved <= on_hand (so available = on_hand - reserved never goes below zero).

    Storage applies it atomically as the WHERE clause of one conditional UPDATE
    (storage/inventory/ledger.py `apply_stock_movement`; the same on SQLite and PostgreSQL and
    across processes); tests/integration/test_admin_stock.py checks both agree.
    """
    on_hand = level.on_hand + delta_on_hand
    reserved = level.reserved + delta_reserved
    return on_hand >= 0 and reserved >= 0 and reserved <= on_hand


@dataclass(frozen=True, slots=True)
class StockRow:
    """A unit on the /stock list."""

    product_id: int
    variant_id: int | None
    sku: str
    title: str  # English title (plus the variant's label)
    title_zh: str
    on_hand: int
    reserved: int
    threshold: int

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved)


@dataclass(frozen=True, slots=True)
class StockPage:
    items: list[StockRow]
    page: int
    total: int
    page_size: int = STOCK_PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def movement(reason: StockReason, quantity: int) -> tuple[int, int]:
    """(delta_on_hand, delta_reserved) for `quantity` units moved for `reason`.

    `quantity` is positive except for CORRECTION and IMPORT, whose sign says the direction.
    """
    if reason in (StockReason.CORRECTION, StockReason.IMPORT):
        if quantity == 0:
            raise ValidationError(N_("A correction of 0 changes nothing."))
        return quantity, 0
    if quantity <= 0:
        raise ValidationError(N_("Send a whole number greater than 0."))
    return {
        StockReason.RECEIVED: (quantity, 0),
        StockReason.RETURNED: (quantity, 0),
        StockReason.OPENING: (quantity, 0),
        StockReason.RETURN: (quantity, 0),
        StockReason.DAMAGED: (-quantity, 0),
        StockReason.RESERVE: (0, quantity),
        StockReason.RELEASE: (0, -quantity),
        StockReason.SALE: (-quantity, -quantity),
    }[reason]


def parse_quantity(text: str, reason: StockReason) -> int:
    """A staff member's number for an adjustment: '5', '+5', '-3' (sign only for corrections)."""
    raw = (text or "").strip().replace(" ", "")
    signed = reason == StockReason.CORRECTION
    body = raw[1:] if raw[:1] in "+-" and raw else raw
    number = whole_number(body)
    if number is None or (raw.startswith("-") and not signed):
        if signed:
            raise ValidationError(N_("Send a whole number such as +5 or -3."))
        raise ValidationError(N_("Send a whole number greater than 0."))
    value = number * (-1 if raw.startswith("-") else 1)
    if abs(value) > MAX_ADJUSTMENT:
        raise ValidationError(N_("That is more than {max} at once."), max=MAX_ADJUSTMENT)
    movement(reason, value)  # refuses 0 with the right message
    return value


class StockLedger(Protocol):
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
        """Move stock atomically and write the ledger row; None when refused (would go
        negative or below what is reserved). Raises UnitNotFound for an unknown unit."""
        ...

    async def level(self, product_id: int, variant_id: int | None) -> StockLevel | None: ...

    async def count_low(self) -> int: ...

    async def low(self, offset: int, limit: int) -> list[StockRow]:
        """Units whose available stock is at or below their threshold, emptiest first."""
        ...


class StockService:
    """Staff stock adjustments (checkout moves stock through the same `StockLedger.apply`)."""

    def __init__(self, ledger: StockLedger, audit: AuditService) -> None:
        self.ledger = ledger
        self.audit = audit

    async def level(self, product_id: int, variant_id: int | None) -> StockLevel:
        found = await self.ledger.level(product_id, variant_id)
        if found is None:
            raise UnitNotFound()
        return found

    async def adjust(
        self, actor: int, product_id: int, variant_id: int | None, reason: StockReason, qty: int
    ) -> StockLevel:
        """Apply a manual movement (received, damaged, correction, returned)."""
        if reason not in MANUAL_REASONS:
            raise ValidationError(N_("Choose one of the reasons shown."))
        delta_on_hand, delta_reserved = movement(reason, qty)
        level = await self.ledger.apply(
            product_id, variant_id, delta_on_hand, delta_reserved, reason.value, actor=actor
        )
        if level is None:
            current = await self.level(product_id, variant_id)
            raise StockRefused(on_hand=current.on_hand, reserved=current.reserved)
        target = f"variant:{variant_id}" if variant_id else f"product:{product_id}"
        await self.audit.record(
            actor,
            "stock.adjust",
            target,
            {"reason": reason.value, "delta": delta_on_hand, "on_hand": level.on_hand},
        )
        return level

    async def low_stock(self, page: int = 1) -> StockPage:
        """Low and out-of-stock units, emptiest first; the page number is clamped."""
        total = await self.ledger.count_low()
        last = max(1, math.ceil(total / STOCK_PAGE_SIZE))
        page = min(max(1, page), last)
        items = await self.ledger.low((page - 1) * STOCK_PAGE_SIZE, STOCK_PAGE_SIZE)
        return StockPage(items, page, total)
