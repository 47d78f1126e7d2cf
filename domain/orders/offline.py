"""Offline payment (cash on delivery, bank transfer): the order is placed with its stock
reserved for `CheckoutConfig.offline_reservation` and waits for staff to mark it paid. Marking
paid is the same `pay` transition a Telegram payment makes (stock sold, loyalty and the
recommender told, the buyer's receipt), recorded once under the payment key
`offline:<order id>` and written to the audit log. Unmarked, it expires like any unpaid order
(the orders job), releasing its stock."""

from __future__ import annotations

from datetime import datetime

from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.orders.service import OrderChange, OrderService
from domain.orders.states import OrderStatus, TransitionRefused
from domain.orders.types import DuplicatePayment, Order, PaymentRecord
from domain.staff.audit import AuditService


def can_mark_paid(order: Order) -> bool:
    """Staff may mark it paid: an offline order still waiting for its money."""
    return order.pay_method.offline and order.status is OrderStatus.PENDING_PAYMENT


def offline_charge_id(order_id: int) -> str:
    return f"offline:{order_id}"


async def mark_paid(
    orders: OrderService, audit: AuditService, actor: int, order_id: int, now: datetime
) -> OrderChange:
    """Staff `actor` (a Telegram id) received the money of offline order `order_id`.

    Refused (ValidationError) for an order paid through Telegram; TransitionRefused when it
    is no longer waiting (already paid, expired, cancelled) — a second press changes nothing."""
    order = await orders.get(order_id, now)  # expires it first if it is overdue
    if not order.pay_method.offline:
        raise ValidationError(
            N_("Order #{id} is paid through Telegram, not offline."), id=order.id
        )
    if order.status is not OrderStatus.PENDING_PAYMENT:
        raise TransitionRefused()
    record = PaymentRecord(
        order.id,
        order.user_id,
        0,  # no Telegram payment: the staff member is named in provider_charge_id
        offline_charge_id(order.id),
        f"staff:{actor}",
        order.pay_currency,
        order.pay_amount,
        False,
        now,
    )
    try:
        change = await orders.pay(order, record, now, {}, actor=f"merchant:{actor}")
    except DuplicatePayment:
        change = None
    if change is None:
        raise TransitionRefused()
    await audit.record(
        actor,
        "orders.mark_paid",
        f"order:{order.id}",
        {"method": order.pay_method.value, "amount": order.pay_amount},
    )
    return change
