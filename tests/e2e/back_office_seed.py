"""Seeding orders for the back-office e2e tests: placed and paid through the order service,
straight on the storage layer (the kiosk fixture has no payment provider)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from demo.harness import Sandboxed
from domain.catalog.service import Localized, ProductDraft
from domain.orders.service import Order, OrderDraft, OrderLine, PaymentRecord, PayMethod
from domain.orders.states import Action
from domain.users.service import User


async def seed_product(k: Sandboxed, sku: str = "MUG-1", on_hand: int = 10) -> int:
    admin = k.app.services
    assert admin is not None
    category = await admin.merchant.create_category(9000, "Home", "家居", None)
    draft = ProductDraft(sku, category.id, Localized("Mug", "杯子"), 1200, on_hand=on_hand)
    return (await admin.merchant.create_product(9000, draft)).id


async def placed_order(
    k: Sandboxed,
    buyer: User,
    product_id: int,
    qty: int = 2,
    method: PayMethod = PayMethod.CARD,
    reserved: timedelta = timedelta(days=365),
) -> Order:
    """`qty` mugs at 12.00, placed (stock reserved) and waiting for payment by `method`."""
    now = datetime.now(UTC)
    line = OrderLine(product_id, None, "MUG-1", Localized("Mug", "杯子"), "", 1200, qty)
    draft = OrderDraft(
        user_id=buyer.id,
        lines=(line,),
        currency="USD",
        subtotal=1200 * qty,
        discount=0,
        shipping=0,
        pay_method=method,
        pay_currency="USD",
        pay_amount=1200 * qty,
        address="Alice, 1 High St, Oxford",
        shipping_option_id=None,
        shipping_title=None,
        coupon_id=None,
        coupon_code=None,
        once_per_customer=False,
        created_at=now,
        expires_at=now + reserved,
    )
    return await k.app.services.orders.repo.place(draft)


async def offline_order(k: Sandboxed, buyer: User, product_id: int, qty: int = 1) -> Order:
    """A cash-on-delivery order placed and waiting: "Mark paid" would pay it."""
    return await placed_order(k, buyer, product_id, qty, PayMethod.COD, timedelta(days=2))


async def paid_order(k: Sandboxed, buyer: User, product_id: int, qty: int = 2) -> Order:
    orders = k.app.services.orders
    now = datetime.now(UTC)
    order = await placed_order(k, buyer, product_id, qty)
    payment = PaymentRecord(
        order.id,
        buyer.id,
        buyer.telegram_id,
        f"charge-{order.id}",
        "p",
        "USD",
        order.pay_amount,
        False,
        now,
    )
    change = await orders.pay(order, payment, now, {})
    assert change is not None and change.events[0].action is Action.PAY
    return change.order
