"""Never oversell, never charge twice: reservations, payments and coupons under races."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from domain.cart.service import OutOfStock
from domain.catalog.service import Localized
from domain.orders.payments import PaymentOutcome
from domain.orders.pricing import CouponInvalid, CouponKind
from domain.orders.service import OrderDraft, OrderLine, PayMethod
from domain.orders.states import Action, OrderStatus
from storage.catalog.models import ProductRow, VariantRow
from storage.orders.models import OrderEventRow, OrderRow, PaymentRow
from tests.integration.orders_setup import address_of, build_shop, buyers, goods


async def place_all(shop, people, now):  # type: ignore[no-untyped-def]
    results = await asyncio.gather(
        *(shop.orders.place(u.id, address_of(u), "std", PayMethod.CARD, now) for u in people),
        return_exceptions=True,
    )
    unexpected = [
        r
        for r in results
        if isinstance(r, BaseException) and not isinstance(r, OutOfStock | CouponInvalid)
    ]
    assert unexpected == []
    return [r for r in results if not isinstance(r, BaseException)]


async def stock(product_id: int, variant_id: int | None = None) -> tuple[int, int]:
    row = await (VariantRow.get(id=variant_id) if variant_id else ProductRow.get(id=product_id))
    return row.on_hand, row.reserved


async def pay(shop, order, charge: str, now):  # type: ignore[no-untyped-def]
    payload = shop.payments.signer.sign(order.id, order.expires_at)
    return await shop.payments.paid(
        order.user_id, 1, payload, order.pay_currency, order.pay_amount, charge, "p", now
    )


async def test_200_buyers_for_20_units(db: str) -> None:
    shop = build_shop()
    mug, _, _ = await goods(shop, mug_stock=20)
    people = await buyers(200)
    for u in people:
        await shop.carts.add(u.id, mug, None)
    now = datetime.now(UTC)
    placed = await place_all(shop, people, now)
    assert len(placed) == 20
    assert await stock(mug) == (20, 20)
    paid = await asyncio.gather(*(pay(shop, o, f"ch{o.id}", now) for o in placed))
    assert {p.outcome for p in paid} == {PaymentOutcome.PAID}
    assert await stock(mug) == (0, 0)
    assert (await ProductRow.get(id=mug)).sales == 20


async def test_two_skus_in_one_cart_all_or_nothing(db: str) -> None:
    shop = build_shop()
    mug, tee, tee_m = await goods(shop, mug_stock=20, tee_stock=35)
    people = await buyers(200)
    for u in people:
        await shop.carts.add(u.id, tee, tee_m)  # the plentiful one first: must roll back
        await shop.carts.add(u.id, mug, None)
    placed = await place_all(shop, people, datetime.now(UTC))
    assert len(placed) == 20
    assert await stock(mug) == (20, 20)
    assert await stock(tee, tee_m) == (35, 20)  # failed orders left no reservation behind


async def test_one_sku_twice_in_a_cart_is_summed(db: str) -> None:
    shop = build_shop()
    mug, _, _ = await goods(shop, mug_stock=20)
    people = await buyers(60)
    now = datetime.now(UTC)
    line = OrderLine(mug, None, "MUG", Localized("Mug"), "", 1000, 1)

    def draft(user_id: int) -> OrderDraft:
        return OrderDraft(
            user_id=user_id,
            lines=(line, line),
            currency="USD",
            subtotal=2000,
            discount=0,
            shipping=0,
            pay_method=PayMethod.CARD,
            pay_currency="USD",
            pay_amount=2000,
            address="x",
            shipping_option_id=None,
            shipping_title=None,
            coupon_id=None,
            coupon_code=None,
            once_per_customer=False,
            created_at=now,
            expires_at=now + timedelta(minutes=15),
        )

    results = await asyncio.gather(
        *(shop.repo.place(draft(u.id)) for u in people), return_exceptions=True
    )
    placed = [r for r in results if not isinstance(r, BaseException)]
    assert all(isinstance(r, OutOfStock) for r in results if isinstance(r, BaseException))
    assert len(placed) == 10
    assert await stock(mug) == (20, 20)


async def test_same_payment_five_times_and_concurrently(db: str) -> None:
    shop = build_shop()
    mug, _, _ = await goods(shop, mug_stock=5)
    people = await buyers(2)
    now = datetime.now(UTC)
    orders = []
    for u in people:
        await shop.carts.add(u.id, mug, None, 2)
        orders.append(await shop.orders.place(u.id, address_of(u), "std", PayMethod.CARD, now))
    sequential = [await pay(shop, orders[0], "charge-A", now) for _ in range(5)]
    concurrent = await asyncio.gather(*(pay(shop, orders[1], "charge-B", now) for _ in range(5)))
    for results in (sequential, concurrent):
        outcomes = [r.outcome for r in results]
        assert outcomes.count(PaymentOutcome.PAID) == 1
        assert outcomes.count(PaymentOutcome.DUPLICATE) == 4
    assert await stock(mug) == (1, 0)  # 5 - 2 - 2, sold exactly once each
    assert await PaymentRow.all().count() == 2
    assert await OrderEventRow.filter(action=Action.PAY).count() == 2
    # The cart lines that were bought are gone; the order is paid.
    assert await shop.carts.carts.items(people[0].id) == []
    assert (await OrderRow.get(id=orders[0].id)).status == OrderStatus.PAID


async def test_coupon_with_limit_one_raced_by_50(db: str) -> None:
    shop = build_shop()
    mug, _, _ = await goods(shop, mug_stock=100)
    coupon = await shop.coupons.create_coupon("ONCE", CouponKind.FIXED, 300, "USD", usage_limit=1)
    people = await buyers(50)
    now = datetime.now(UTC)
    for u in people:
        await shop.carts.add(u.id, mug, None)
        await shop.carts.apply_coupon(u.id, "once", now)
    placed = await place_all(shop, people, now)
    assert len(placed) == 1 and placed[0].discount == 300
    assert await shop.coupons.used(coupon.id) == 1
    assert await stock(mug) == (100, 1)  # the 49 refused orders reserved nothing
    # Cancelling gives the use back; the coupon works again.
    await shop.orders.buyer_action(placed[0].user_id, placed[0].id, Action.CANCEL, now)
    assert await shop.coupons.used(coupon.id) == 0
    assert await stock(mug) == (100, 0)


async def test_once_per_customer_coupon(db: str) -> None:
    shop = build_shop()
    mug, _, _ = await goods(shop, mug_stock=10)
    await shop.coupons.create_coupon(
        "HELLO", CouponKind.PERCENT, 10, "USD", once_per_customer=True
    )
    (u,) = await buyers(1)
    now = datetime.now(UTC)
    await shop.carts.add(u.id, mug, None)
    await shop.carts.apply_coupon(u.id, "hello", now)
    first = await shop.orders.place(u.id, address_of(u), "std", PayMethod.CARD, now)
    assert first.discount == 100
    view = await shop.carts.view(u.id, now=now)
    assert view.coupon_error is not None  # already used by the pending order
    await shop.orders.buyer_action(u.id, first.id, Action.CANCEL, now)
    assert (await shop.carts.view(u.id, now=now)).coupon_error is None


async def test_expiry_releases_stock_and_late_payment_is_kept(db: str) -> None:
    shop = build_shop()
    mug, _, _ = await goods(shop, mug_stock=3)
    (u,) = await buyers(1)
    now = datetime.now(UTC)
    await shop.carts.add(u.id, mug, None, 3)
    order = await shop.orders.place(u.id, address_of(u), "std", PayMethod.CARD, now)
    invoice = await shop.payments.invoice(u.id, order.id, now)
    later = now + timedelta(minutes=16)
    changes = await shop.orders.expire_overdue(later)
    assert [c.order.status for c in changes] == [OrderStatus.EXPIRED]
    assert await stock(mug) == (3, 0)
    result = await shop.payments.paid(
        u.id, 1, invoice.payload, "USD", invoice.total, "late-1", "p", later
    )
    assert result.outcome is PaymentOutcome.LATE
    row = await OrderRow.get(id=order.id)
    assert (row.status, row.payment_status) == ("refund_requested", "refund_pending")
    payment = await PaymentRow.get(charge_id="late-1")
    assert payment.needs_refund
    assert await stock(mug) == (3, 0)  # nothing was sold
