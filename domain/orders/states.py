"""Order, payment and fulfilment status, and the one table of transitions between them.

The order status is what the buyer follows; payment and fulfilment status say where the money
and the goods are. Every change goes through `TRANSITIONS`: (current status, action) -> the new
order status, what happens to the payment and fulfilment status, and which stock movement
happens with it. Storage applies a transition with a conditional update on the current status,
in the same transaction as the stock movement, so each one happens exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.kernel.errors import DomainError
from domain.kernel.i18n import N_


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REFUND_REQUESTED = "refund_requested"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    RETURNED = "returned"


class PaymentStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"
    VOID = "void"  # never paid and never will be (cancelled or expired before payment)
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class FulfilmentStatus(StrEnum):
    UNFULFILLED = "unfulfilled"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class Action(StrEnum):
    PLACE = "place"  # the order was created (logged, not a transition)
    EXTRA_PAYMENT = "extra_payment"  # a second payment for a paid order (logged, refund due)
    PAY = "pay"
    PAY_LATE = "pay_late"  # money arrived for an order that had expired or was cancelled
    PROCESS = "process"
    SHIP = "ship"
    DELIVER = "deliver"
    COMPLETE = "complete"
    CANCEL = "cancel"
    EXPIRE = "expire"
    REQUEST_REFUND = "request_refund"
    REFUND = "refund"
    PARTIAL_REFUND = "partial_refund"
    RETURN = "return"
    FULFIL = "fulfil"  # digital goods and services: delivered the moment they are paid


class StockMove(StrEnum):
    NONE = "none"
    RELEASE = "release"  # reserved -= q: a reservation ends without a sale
    SELL = "sell"  # on_hand -= q, reserved -= q: reserved goods are sold
    RESTOCK = "restock"  # on_hand += q: sold goods are back on the shelf


class TransitionRefused(DomainError):
    message = N_("This can't be done with the order in its current state.")


@dataclass(frozen=True, slots=True)
class Transition:
    source: OrderStatus
    action: Action
    target: OrderStatus
    payment: PaymentStatus | None = None  # None keeps the payment status
    fulfilment: FulfilmentStatus | None = None
    stock: StockMove = StockMove.NONE
    release_coupon: bool = False
    # Extra guard on the goods: a return only makes sense after they left the shop.
    needs_fulfilment: frozenset[FulfilmentStatus] | None = None
    needs_payment: frozenset[PaymentStatus] | None = None


S, P, F, A = OrderStatus, PaymentStatus, FulfilmentStatus, Action
_LEFT_SHOP = frozenset({F.SHIPPED, F.DELIVERED})
_REFUNDABLE = (S.SHIPPED, S.DELIVERED, S.COMPLETED)
_CANCEL_PAID = dict(
    payment=P.REFUND_PENDING, fulfilment=F.CANCELLED, stock=StockMove.RESTOCK, release_coupon=True
)

_TABLE: list[Transition] = [
    Transition(S.PENDING_PAYMENT, A.PAY, S.PAID, payment=P.PAID, stock=StockMove.SELL),
    Transition(
        S.PENDING_PAYMENT,
        A.CANCEL,
        S.CANCELLED,
        P.VOID,
        F.CANCELLED,
        StockMove.RELEASE,
        release_coupon=True,
    ),
    Transition(
        S.PENDING_PAYMENT,
        A.EXPIRE,
        S.EXPIRED,
        P.VOID,
        F.CANCELLED,
        StockMove.RELEASE,
        release_coupon=True,
    ),
    Transition(S.EXPIRED, A.PAY_LATE, S.REFUND_REQUESTED, payment=P.REFUND_PENDING),
    Transition(S.CANCELLED, A.PAY_LATE, S.REFUND_REQUESTED, payment=P.REFUND_PENDING),
    Transition(S.PAID, A.PROCESS, S.PROCESSING, fulfilment=F.PROCESSING),
    Transition(S.PAID, A.SHIP, S.SHIPPED, fulfilment=F.SHIPPED),
    Transition(S.PROCESSING, A.SHIP, S.SHIPPED, fulfilment=F.SHIPPED),
    Transition(S.PAID, A.CANCEL, S.REFUND_REQUESTED, **_CANCEL_PAID),  # type: ignore[arg-type]
    Transition(S.PROCESSING, A.CANCEL, S.REFUND_REQUESTED, **_CANCEL_PAID),  # type: ignore[arg-type]
    Transition(S.SHIPPED, A.DELIVER, S.DELIVERED, fulfilment=F.DELIVERED),
    Transition(S.PAID, A.FULFIL, S.DELIVERED, fulfilment=F.DELIVERED),  # system only
    Transition(S.SHIPPED, A.COMPLETE, S.COMPLETED, fulfilment=F.DELIVERED),
    Transition(S.DELIVERED, A.COMPLETE, S.COMPLETED),
    *[
        Transition(source, A.REQUEST_REFUND, S.REFUND_REQUESTED, payment=P.REFUND_PENDING)
        for source in _REFUNDABLE
    ],
    Transition(S.REFUND_REQUESTED, A.REFUND, S.REFUNDED, payment=P.REFUNDED),
    Transition(
        S.REFUND_REQUESTED, A.PARTIAL_REFUND, S.PARTIALLY_REFUNDED, payment=P.PARTIALLY_REFUNDED
    ),
    Transition(S.PARTIALLY_REFUNDED, A.REFUND, S.REFUNDED, payment=P.REFUNDED),
    *[
        Transition(
            source,
            A.RETURN,
            S.RETURNED,
            fulfilment=F.RETURNED,
            stock=StockMove.RESTOCK,
            needs_fulfilment=_LEFT_SHOP,
        )
        for source in (S.REFUND_REQUESTED, S.REFUNDED, S.PARTIALLY_REFUNDED)
    ],
    Transition(
        S.RETURNED,
        A.REFUND,
        S.RETURNED,
        payment=P.REFUNDED,
        needs_payment=frozenset({P.REFUND_PENDING, P.PARTIALLY_REFUNDED}),
    ),
]

TRANSITIONS: dict[tuple[OrderStatus, Action], Transition] = {
    (t.source, t.action): t for t in _TABLE
}

# Who may trigger what. The buyer's own actions are few and checked again against ownership.
BUYER_ACTIONS = frozenset({A.CANCEL, A.COMPLETE, A.REQUEST_REFUND})
MERCHANT_ACTIONS = frozenset(
    {A.PROCESS, A.SHIP, A.DELIVER, A.CANCEL, A.REFUND, A.PARTIAL_REFUND, A.RETURN, A.COMPLETE}
)
OPEN_STATUSES = frozenset({S.PENDING_PAYMENT, S.PAID, S.PROCESSING, S.SHIPPED, S.DELIVERED})
RECEIVED_STATUSES = frozenset({S.DELIVERED, S.COMPLETED})


def _find(
    status: OrderStatus, action: Action, payment: PaymentStatus, fulfilment: FulfilmentStatus
) -> Transition | None:
    found = TRANSITIONS.get((status, action))
    if found is None:
        return None
    if found.needs_fulfilment is not None and fulfilment not in found.needs_fulfilment:
        return None
    if found.needs_payment is not None and payment not in found.needs_payment:
        return None
    return found


def transition_for(
    status: OrderStatus, action: Action, payment: PaymentStatus, fulfilment: FulfilmentStatus
) -> Transition:
    """The table entry for doing `action` now; TransitionRefused when there is none."""
    found = _find(status, action, payment, fulfilment)
    if found is None:
        raise TransitionRefused()
    return found


def allowed_actions(
    status: OrderStatus,
    payment: PaymentStatus,
    fulfilment: FulfilmentStatus,
    actions: frozenset[Action],
) -> list[Action]:
    """Actions from `actions` the table allows now (for showing buttons)."""
    found = [a for a in actions if _find(status, a, payment, fulfilment) is not None]
    return sorted(found, key=list(Action).index)
