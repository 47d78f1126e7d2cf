"""The merchant's orders board: orders by status with counts, one order in full, and moving it
along. Every move goes through `OrderService.merchant_action` (the one transition table, the
order's event log, the buyer told by the adapter) and is written to the audit log.

The web console adds a search over the board (`BoardQuery`: status, days, payment method, and
an order number, buyer or tracking number) and staff notes on an order (`OrderNote`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Protocol

from domain.catalog.types import Page, clamp_page
from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import clean_line, whole_number
from domain.orders.service import Order, OrderChange, OrderEvent, OrderService, PaymentRecord
from domain.orders.states import (
    MERCHANT_ACTIONS,
    Action,
    OrderStatus,
    TransitionRefused,
    allowed_actions,
)
from domain.staff.audit import AuditService
from domain.users.service import User

BOARD_PAGE_SIZE = 8
SEARCH_PAGE_SIZE = 20
MAX_SEARCH = 64
MAX_NOTE = 1000
MAX_ORDER_ID = 2**31 - 1
# What the board offers as buttons (returns and partial refunds stay with /returned, /refunded).
BOARD_ACTIONS = frozenset(
    {Action.PROCESS, Action.SHIP, Action.DELIVER, Action.CANCEL, Action.REFUND, Action.RETURN}
)
assert BOARD_ACTIONS <= MERCHANT_ACTIONS


@dataclass(frozen=True, slots=True)
class BoardQuery:
    """Which orders the board shows: `status` (None: all), placed in [since, until), paid with
    `method` (a PayMethod value), and `text`: an order number, part of the buyer's name,
    @username or Telegram id, or part of a tracking number."""

    status: OrderStatus | None = None
    since: datetime | None = None
    until: datetime | None = None
    method: str | None = None
    text: str = ""

    @property
    def order_id(self) -> int | None:
        """The order number `text` names ('12' or '#12'), if it is one."""
        number = whole_number(self.text.removeprefix("#"))
        return number if number is not None and 0 < number <= MAX_ORDER_ID else None


@dataclass(frozen=True, slots=True)
class BoardEntry:
    """One row of the board: the order and who bought it."""

    order: Order
    buyer_name: str
    buyer_username: str | None
    buyer_telegram_id: int


@dataclass(frozen=True, slots=True)
class OrderNote:
    """A staff member's note on an order (never shown to the buyer)."""

    id: int
    order_id: int
    author: int  # Telegram id of the staff member
    author_name: str  # what the bot knows of them ("" if never seen)
    text: str
    created_at: datetime


def day_range(
    since: date | None, until: date | None, zone: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """Whole days in the shop's time zone, both included, as a half-open range of moments."""
    if since is not None and until is not None and since > until:
        raise ValidationError(N_("The first date must come before the second."))
    start = datetime.combine(since, time(0), tzinfo=zone) if since else None
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=zone) if until else None
    return start, end


def search_text(raw: str) -> str:
    """What was typed into the board's search box, trimmed ('' for no search)."""
    text = " ".join((raw or "").split())
    if not text:
        return ""
    return clean_line(text, field=N_("Search"), max_len=MAX_SEARCH)


def note_text(raw: str) -> str:
    """A staff note: each line cleaned (clean_line), blank lines dropped, at most MAX_NOTE
    characters in all."""
    lines = (raw or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = [clean_line(line, field=N_("Note"), max_len=MAX_NOTE) for line in lines if line.strip()]
    if not kept:
        raise ValidationError(N_("{field} can't be empty."), field=N_("Note"))
    text = "\n".join(kept)
    if len(text) > MAX_NOTE:
        raise ValidationError(
            N_("{field} must be at most {max} characters."), field=N_("Note"), max=MAX_NOTE
        )
    return text


class OrderBoardRepository(Protocol):
    async def status_counts(self) -> dict[str, int]:
        """Number of orders in each status (statuses without orders may be absent)."""
        ...

    async def by_status(self, status: OrderStatus, offset: int, limit: int) -> list[Order]:
        """Orders in `status`, newest first."""
        ...

    async def events(self, order_id: int) -> list[OrderEvent]: ...

    async def payment_for(self, order_id: int) -> PaymentRecord | None: ...

    async def matching_counts(self, query: BoardQuery) -> dict[str, int]:
        """Orders matching `query` but its status, counted per status."""
        ...

    async def matching(self, query: BoardQuery, offset: int, limit: int) -> list[BoardEntry]:
        """Orders matching `query`, newest first, with their buyers."""
        ...

    async def notes(self, order_id: int) -> list[OrderNote]:
        """Staff notes on the order, oldest first."""
        ...

    async def add_note(self, order_id: int, author: int, text: str, at: datetime) -> OrderNote: ...


class BuyerLookup(Protocol):
    async def get(self, user_id: int) -> User: ...


@dataclass(frozen=True, slots=True)
class OrderDetails:
    order: Order
    buyer: User
    events: list[OrderEvent]
    payment: PaymentRecord | None
    actions: list[Action]  # what the board may do with it now
    refundable: int = 0  # what "Confirm refund" gives back: paid less earlier refunds
    notes: tuple[OrderNote, ...] = ()


def shipment(carrier: str, number: str) -> str:
    """The tracking text shown to the buyer: 'DHL 1234567' (validated, at most 64 chars)."""
    carrier = clean_line(carrier, field=N_("Carrier"), max_len=24, min_len=2)
    number = clean_line(number, field=N_("Tracking number"), max_len=38, min_len=3)
    return f"{carrier} {number}"


class OrderBoard:
    """Orders as the merchant works through them."""

    def __init__(
        self,
        repo: OrderBoardRepository,
        orders: OrderService,
        buyers: BuyerLookup,
        audit: AuditService,
    ) -> None:
        self.repo = repo
        self.orders = orders
        self.buyers = buyers
        self.audit = audit

    async def counts(self) -> list[tuple[OrderStatus, int]]:
        """Every status with its number of orders, in the table's order."""
        found = await self.repo.status_counts()
        return [(status, found.get(status.value, 0)) for status in OrderStatus]

    async def page(self, status: OrderStatus, page: int = 1) -> Page[Order]:
        """Orders in one status, newest first; a stale page number lands on a real page."""
        total = dict(await self.counts())[status]
        page = clamp_page(page, BOARD_PAGE_SIZE, total)
        items = await self.repo.by_status(status, (page - 1) * BOARD_PAGE_SIZE, BOARD_PAGE_SIZE)
        return Page(items, page, BOARD_PAGE_SIZE, total)

    async def details(self, order_id: int, now: datetime) -> OrderDetails:
        """One order with its buyer, payment, timeline and the moves allowed now."""
        order = await self.orders.get(order_id, now)
        return OrderDetails(
            order=order,
            buyer=await self.buyers.get(order.user_id),
            events=await self.repo.events(order.id),
            payment=await self.repo.payment_for(order.id),
            actions=allowed_actions(
                order.status, order.payment_status, order.fulfilment_status, BOARD_ACTIONS
            ),
            refundable=await self.orders.refundable(order),
            notes=tuple(await self.repo.notes(order.id)),
        )

    async def search(self, query: BoardQuery, page: int = 1) -> Page[BoardEntry]:
        """The orders matching `query`, newest first, SEARCH_PAGE_SIZE a page."""
        counts = await self.repo.matching_counts(query)
        if query.status is not None:
            total = counts.get(query.status.value, 0)
        else:
            total = sum(counts.values())
        page = clamp_page(page, SEARCH_PAGE_SIZE, total)
        offset = (page - 1) * SEARCH_PAGE_SIZE
        items = await self.repo.matching(query, offset, SEARCH_PAGE_SIZE)
        return Page(items, page, SEARCH_PAGE_SIZE, total)

    async def search_counts(self, query: BoardQuery) -> list[tuple[OrderStatus, int]]:
        """Every status with its number of orders matching `query` apart from its status."""
        found = await self.repo.matching_counts(replace(query, status=None))
        return [(status, found.get(status.value, 0)) for status in OrderStatus]

    async def add_note(self, actor: int, order_id: int, text: str, now: datetime) -> OrderNote:
        """A staff note on an existing order (OrderNotFound otherwise), audited."""
        cleaned = note_text(text)
        order = await self.orders.get(order_id, now)
        note = await self.repo.add_note(order.id, actor, cleaned, now)
        await self.audit.record(
            actor, "orders.note", f"order:{order.id}", {"note": note.id, "text": cleaned[:100]}
        )
        return note

    async def act(
        self,
        actor: int,
        order_id: int,
        action: Action,
        now: datetime,
        *,
        tracking: str | None = None,
        reason: str | None = None,
        amount: int | None = None,
    ) -> OrderChange:
        """Move an order along (TransitionRefused when the table does not allow it now).
        A refund with an `amount` gives back part of a card payment (as `/refunded 12 500`)."""
        if action not in BOARD_ACTIONS:
            raise TransitionRefused()
        if amount is not None and action is not Action.REFUND:
            raise TransitionRefused()
        if action is Action.CANCEL:  # the buyer sees why, in the order's timeline
            reason = clean_line(reason or "", field=N_("Reason"), max_len=300, min_len=3)
        change = await self.orders.merchant_action(
            order_id, action, actor, now, tracking=tracking, reason=reason, amount=amount
        )
        details: dict[str, object] = {"status": change.order.status.value}
        if tracking:
            details["tracking"] = tracking
        if reason:
            details["reason"] = reason[:100]
        if amount is not None:
            details["amount"] = amount
        await self.audit.record(actor, f"orders.{action.value}", f"order:{order_id}", details)
        return change
