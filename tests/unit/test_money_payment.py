"""Telegram payments over in-memory stores (domain/orders/payments.py): signed payloads, the
pre-checkout re-checks, a payment recorded once, and money that arrives late or twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.loyalty.rules import LoyaltyConfig
from domain.orders.payments import InvoiceSigner, PaymentOutcome, PaymentRefused
from domain.orders.pricing import CouponKind
from domain.orders.service import DuplicatePayment, Order, PaymentRecord, PayMethod
from domain.orders.states import Action, FulfilmentStatus, OrderStatus, PaymentStatus
from tests.unit.money_fakes import (
    EXPRESS,
    NOW,
    MoneyShop,
    build_shop,
    checkout_config,
    credit,
)

USER = 1
S, P, F = OrderStatus, PaymentStatus, FulfilmentStatus


@pytest.fixture
def shop() -> MoneyShop:
    return build_shop()


async def placed(shop: MoneyShop, method: PayMethod = PayMethod.CARD, quantity: int = 2) -> Order:
    """USER's order of `quantity` mugs at 12.00 (stock 5), standard shipping 5.00."""
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, quantity))
    return await shop.place(USER, method)


async def pre_checkout(
    shop: MoneyShop,
    order: Order,
    *,
    user: int = USER,
    payload: str | None = None,
    currency: str | None = None,
    amount: int | None = None,
    option: str | None = None,
    at: timedelta = timedelta(0),
) -> Order:
    if payload is None:
        payload = shop.signer.sign(order.id, order.expires_at)
    return await shop.payments.pre_checkout(
        user,
        payload,
        currency or order.pay_currency,
        order.pay_amount if amount is None else amount,
        option,
        NOW + at,
    )


# ---- the signed payload ----


async def test_a_payload_we_signed_for_the_buyers_pending_order_passes(shop: MoneyShop) -> None:
    order = await placed(shop)
    assert (await pre_checkout(shop, order)).id == order.id
    assert len(shop.signer.sign(order.id, order.expires_at).encode()) <= 128


async def test_a_forged_payload_is_refused_before_any_order_is_read(shop: MoneyShop) -> None:
    mine = await placed(shop)
    await shop.buy(2, (1, 1))
    theirs = await shop.place(2)
    payload = shop.signer.sign(mine.id, mine.expires_at)
    order_id, expiry, nonce, mac = payload.split(".")
    forged = [
        f"{theirs.id}.{expiry}.{nonce}.{mac}",  # another order under my signature
        f"{order_id}.{int(expiry) + 3600}.{nonce}.{mac}",  # a longer life
        InvoiceSigner(b"someone else").sign(mine.id, mine.expires_at),
        f"{order_id}.{expiry}.{nonce}",
        "",
    ]
    for bad in forged:
        with pytest.raises(PaymentRefused) as refused:
            await pre_checkout(shop, mine, payload=bad)
        assert refused.value.message == "This invoice is not valid."
        with pytest.raises(PaymentRefused):  # nor paid, should such an update ever come
            await shop.payments.paid(USER, 1001, bad, "USD", 2900, "ch-x", "p-x", NOW)
    assert shop.orders.payments == []


async def test_a_payload_for_someone_elses_order_is_refused(shop: MoneyShop) -> None:
    order = await placed(shop)
    with pytest.raises(PaymentRefused) as refused:
        await pre_checkout(shop, order, user=2)
    assert refused.value.message == "This order doesn't exist."


async def test_a_stale_invoice_of_an_expired_reservation_is_refused(shop: MoneyShop) -> None:
    order = await placed(shop)
    with pytest.raises(PaymentRefused) as refused:
        await pre_checkout(shop, order, at=timedelta(minutes=15))
    assert "expired" in refused.value.message
    assert shop.statuses(order) == (S.EXPIRED, P.VOID, F.CANCELLED)  # expired on the way
    assert shop.stock.stock(order.lines[0].product_id) == (5, 0)


# ---- pre-checkout re-checks ----


async def test_pre_checkout_refuses_another_currency_or_amount(shop: MoneyShop) -> None:
    order = await placed(shop)
    with pytest.raises(PaymentRefused, match="currency"):
        await pre_checkout(shop, order, currency="EUR")
    for amount in (order.pay_amount - 1, order.pay_amount + 1, 0):
        with pytest.raises(PaymentRefused, match="amount"):
            await pre_checkout(shop, order, amount=amount)
    assert shop.statuses(order)[0] is S.PENDING_PAYMENT  # a bad form is not a reason to cancel


async def test_pre_checkout_refuses_a_stars_invoice_paid_in_the_shop_currency(
    shop: MoneyShop,
) -> None:
    order = await placed(shop, PayMethod.STARS)
    assert (order.pay_currency, order.pay_amount) == ("XTR", 1450)
    with pytest.raises(PaymentRefused, match="currency"):
        await pre_checkout(shop, order, currency="USD", amount=order.total)
    assert (await pre_checkout(shop, order)).id == order.id


async def test_pre_checkout_refuses_a_cancelled_order(shop: MoneyShop) -> None:
    order = await placed(shop)
    await shop.order_service.buyer_action(USER, order.id, Action.CANCEL, NOW)
    with pytest.raises(PaymentRefused) as refused:
        await pre_checkout(shop, order)
    assert refused.value.message == "This order is no longer waiting for payment."


async def test_pre_checkout_refuses_an_already_paid_order(shop: MoneyShop) -> None:
    order = await placed(shop)
    await shop.pay(order)
    with pytest.raises(PaymentRefused, match="no longer waiting"):
        await pre_checkout(shop, order)


async def test_a_price_changed_since_checkout_cancels_instead_of_charging(shop: MoneyShop) -> None:
    order = await placed(shop)
    shop.stock.set_price(order.lines[0].product_id, 1000)  # even a cheaper price
    with pytest.raises(PaymentRefused, match="Prices changed"):
        await pre_checkout(shop, order)
    assert shop.statuses(order) == (S.CANCELLED, P.VOID, F.CANCELLED)
    assert shop.stock.stock(order.lines[0].product_id) == (5, 0)
    assert (await shop.orders.events(order.id))[-1].note == "prices changed"


async def test_a_product_withdrawn_since_checkout_cancels_the_order(shop: MoneyShop) -> None:
    order = await placed(shop)
    shop.stock.set_active(order.lines[0].product_id, False)
    with pytest.raises(PaymentRefused, match="Prices changed"):
        await pre_checkout(shop, order)
    assert shop.statuses(order)[0] is S.CANCELLED


async def test_a_flexible_invoice_expects_the_option_chosen_in_the_form() -> None:
    shop = build_shop(checkout_config(flexible=True))
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 1))
    order = await shop.place(USER, option=None)
    payload = shop.signer.sign(order.id, order.expires_at)
    assert await shop.payments.shipping_options(USER, payload, NOW) == list(shop.config.shipping)
    with pytest.raises(PaymentRefused, match="shipping option"):
        await pre_checkout(shop, order)
    with pytest.raises(PaymentRefused, match="amount"):
        await pre_checkout(shop, order, option="exp")  # 12.00 without the 15.00 of express
    await pre_checkout(shop, order, option="exp", amount=1200 + EXPRESS.price)
    result = await shop.pay(order, amount=2700, option="exp")
    paid = result.change.order  # type: ignore[union-attr]
    assert (paid.status, paid.shipping_option_id, paid.shipping_title) == (
        S.PAID,
        "exp",
        EXPRESS.title,
    )
    assert (paid.shipping, paid.pay_amount, paid.total) == (1500, 2700, 2700)


# ---- the payment ----


async def test_a_payment_is_recorded_with_the_order_paid_and_its_stock_sold(
    shop: MoneyShop,
) -> None:
    mug, cup = shop.stock.add_product(1200, 5), shop.stock.add_product(800, 5)
    shop.coupons.add_coupon("TEN", CouponKind.PERCENT, 10)
    await shop.buy(USER, (mug.id, 2), (cup.id, 1))
    await shop.cart.apply_coupon(USER, "TEN", NOW)
    order = await shop.place(USER)
    # A unit bought leaves the cart as a whole line (storage's rule), even a cup added since.
    await shop.buy(USER, (cup.id, 1))
    pen = shop.stock.add_product(300, 5)
    await shop.buy(USER, (pen.id, 1))  # added after checkout: stays in the cart
    result = await shop.pay(order, now=NOW + timedelta(minutes=1))
    assert result.outcome is PaymentOutcome.PAID
    assert result.change is not None
    assert result.change.order.paid_at == NOW + timedelta(minutes=1)
    assert shop.statuses(order) == (S.PAID, P.PAID, F.UNFULFILLED)
    assert (shop.stock.stock(mug.id), shop.stock.stock(cup.id)) == ((3, 0), (4, 0))
    [payment] = shop.orders.payments
    assert (payment.charge_id, payment.amount, payment.currency, payment.needs_refund) == (
        "charge-1",
        order.pay_amount,
        "USD",
        False,
    )
    assert [i.product_id for i in await shop.carts.items(USER)] == [pen.id]
    assert await shop.carts.coupon_code(USER) is None
    assert shop.coupons.used("TEN") == 1  # the coupon stays used
    assert shop.paid_orders == [order.id]
    assert [e.action for e in await shop.orders.events(order.id)] == [Action.PLACE, Action.PAY]


async def test_the_same_charge_twice_is_one_payment(shop: MoneyShop) -> None:
    order = await placed(shop)
    first = await shop.pay(order, "charge-1")
    again = await shop.pay(order, "charge-1")
    assert (first.outcome, again.outcome) == (PaymentOutcome.PAID, PaymentOutcome.DUPLICATE)
    assert again.change is None
    assert len(shop.orders.payments) == 1
    assert shop.stock.stock(order.lines[0].product_id) == (3, 0)  # sold once
    assert shop.paid_orders == [order.id]
    assert [e.action for e in await shop.orders.events(order.id)] == [Action.PLACE, Action.PAY]


async def test_two_deliveries_that_both_saw_the_order_pending_pay_it_once(
    shop: MoneyShop,
) -> None:
    order = await placed(shop)
    record = PaymentRecord(
        order.id, USER, 1001, "charge-1", "p-1", "USD", order.pay_amount, False, NOW
    )
    assert await shop.order_service.pay(order, record, NOW, {}) is not None
    with pytest.raises(DuplicatePayment):  # the stale copy still says pending
        await shop.order_service.pay(order, record, NOW, {})
    other = replace(record, charge_id="charge-2")  # a different charge for the same order
    assert await shop.order_service.pay(order, other, NOW, {}) is None
    assert [p.charge_id for p in shop.orders.payments] == ["charge-1"]
    assert shop.stock.stock(order.lines[0].product_id) == (3, 0)


async def test_a_second_charge_for_a_paid_order_is_kept_for_a_refund(shop: MoneyShop) -> None:
    order = await placed(shop)
    await shop.pay(order, "charge-1")
    extra = await shop.pay(order, "charge-2")
    assert extra.outcome is PaymentOutcome.EXTRA
    assert [(p.charge_id, p.needs_refund) for p in shop.orders.payments] == [
        ("charge-1", False),
        ("charge-2", True),
    ]
    assert (await shop.orders.events(order.id))[-1].action is Action.EXTRA_PAYMENT
    assert shop.statuses(order) == (S.PAID, P.PAID, F.UNFULFILLED)
    assert shop.stock.stock(order.lines[0].product_id) == (3, 0)
    assert (await shop.pay(order, "charge-2")).outcome is PaymentOutcome.DUPLICATE
    assert len(shop.orders.payments) == 2


async def test_money_arriving_after_the_sweep_expired_the_order_is_refunded_not_sold(
    shop: MoneyShop,
) -> None:
    order = await placed(shop)
    await shop.order_service.expire_overdue(order.expires_at)
    shop.stock.add_product(100, 1)  # the shelf moves on meanwhile
    late = await shop.pay(order, now=order.expires_at + timedelta(minutes=1))
    assert late.outcome is PaymentOutcome.LATE
    assert late.change is not None and late.change.stars_refund is None  # card: the merchant
    assert shop.statuses(order) == (S.REFUND_REQUESTED, P.REFUND_PENDING, F.CANCELLED)
    assert [(p.charge_id, p.needs_refund) for p in shop.orders.payments] == [("charge-1", True)]
    assert shop.stock.stock(order.lines[0].product_id) == (5, 0)  # nothing sold or re-reserved
    assert shop.paid_orders == []
    assert [e.action for e in await shop.orders.events(order.id)] == [
        Action.PLACE,
        Action.EXPIRE,
        Action.PAY_LATE,
    ]
    refunded = await shop.order_service.merchant_action(order.id, Action.REFUND, 9, NOW)
    assert refunded.order.status is S.REFUNDED
    [refund] = shop.orders.refunds
    assert (refund.amount, refund.currency, refund.method, refund.confirmed_by) == (
        order.pay_amount,
        "USD",
        PayMethod.CARD,
        "merchant:9",
    )
    assert (await shop.pay(order, now=NOW)).outcome is PaymentOutcome.DUPLICATE


async def test_late_stars_for_a_cancelled_order_go_straight_back(shop: MoneyShop) -> None:
    order = await placed(shop, PayMethod.STARS)
    await shop.order_service.buyer_action(USER, order.id, Action.CANCEL, NOW)
    late = await shop.pay(order, "star-1")
    assert late.outcome is PaymentOutcome.LATE
    assert late.change is not None and late.change.stars_refund is not None
    assert (late.change.stars_refund.charge_id, late.change.stars_refund.amount) == (
        "star-1",
        1450,
    )
    done = await shop.order_service.stars_refunded(order.id, NOW)  # Telegram said yes
    assert shop.statuses(done.order) == (S.REFUNDED, P.REFUNDED, F.CANCELLED)
    [refund] = shop.orders.refunds
    assert (refund.amount, refund.currency, refund.method, refund.confirmed_by) == (
        1450,
        "XTR",
        PayMethod.STARS,
        "telegram",
    )
    assert shop.stock.stock(order.lines[0].product_id) == (5, 0)


async def test_a_payment_after_the_deadline_but_before_expiry_is_sold_from_the_reservation(
    shop: MoneyShop,
) -> None:
    """Pre-checkout passed in time and the reservation was never released, so the money
    that arrives a moment after expires_at buys the goods it held."""
    order = await placed(shop)
    result = await shop.pay(order, now=order.expires_at + timedelta(seconds=5))
    assert result.outcome is PaymentOutcome.PAID
    assert shop.stock.stock(order.lines[0].product_id) == (3, 0)
    assert await shop.order_service.expire(order.id, order.expires_at) is None


async def test_points_of_an_expired_order_come_back_once_even_when_paid_late() -> None:
    shop = build_shop(loyalty=LoyaltyConfig(redeem_cap_share=100, min_charge=0))
    await shop.ledger.add(credit(USER, 400))
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 1))
    order = await shop.place(USER, points=400)
    assert (order.discount, order.pay_amount) == (400, 1300)
    assert await shop.ledger.balance(USER) == 0
    await shop.order_service.expire_overdue(order.expires_at)
    assert await shop.ledger.balance(USER) == 400
    assert (await shop.pay(order)).outcome is PaymentOutcome.LATE
    await shop.order_service.merchant_action(order.id, Action.REFUND, 9, NOW)
    assert await shop.ledger.balance(USER) == 400
