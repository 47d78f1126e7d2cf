"""The merchant's orders board: orders by status with counts, one order in full, and moving it
along. Every move goes through `OrderService.merchant_action` (the one transition table, the
order's event log, the buyer told by the adapter) and is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.catalog.types import Page, clamp_page
from domain.kernel.i18n import N_
from domain.kernel.text import clean_line
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
# What the board offers as buttons (returns and partial refunds stay with /returned, /refunded).
BOARD_ACTIONS = frozenset(
    {Action.PROCESS, Action.SHIP, Action.DELIVER, Action.CANCEL, Action.REFUND, Action.RETURN}
)
assert BOARD_ACTIONS <= MERCHANT_ACTIONS


class OrderBoardRepository(Protocol):
    async def status_counts(self) -> dict[str, int]:
        """Number of orders in each status (statuses without orders may be absent)."""
        ...

    async def by_status(self, status: OrderStatus, offset: int, limit: int) -> list[Order]:
        """Orders in `status`, newest first."""
        ...

    async def events(self, order_id: int) -> list[OrderEvent]: ...

    async def payment_for(self, order_id: int) -> PaymentRecord | None: ...


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
        )

    async def act(
        self,
        actor: int,
        order_id: int,
        action: Action,
        now: datetime,
        *,
        tracking: str | None = None,
        reason: str | None = None,
    ) -> OrderChange:
        """Move an order along (TransitionRefused when the table does not allow it now)."""
        if action not in BOARD_ACTIONS:
            raise TransitionRefused()
        change = await self.orders.merchant_action(
            order_id, action, actor, now, tracking=tracking, reason=reason
        )
        details: dict[str, object] = {"status": change.order.status.value}
        if tracking:
            details["tracking"] = tracking
        if reason:
            details["reason"] = reason[:100]
        await self.audit.record(actor, f"orders.{action.value}", f"order:{order_id}", details)
        return change
