"""Refunds, cancellations of paid orders and returns over in-memory stores: what each one gives
back (stock, points, coupon use), card refunds confirmed by the merchant, Stars through
Telegram, along the transition table in domain/orders/states.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.kernel.errors import ValidationError
from domain.loyalty.rules import LoyaltyConfig, Tier
from domain.loyalty.service import EntryKind
from domain.orders.pricing import CouponKind
from domain.orders.service import Order, OrderNotFound, PayMethod
from domain.orders.states import (
    Action,
    FulfilmentStatus,
    OrderStatus,
    PaymentStatus,
    TransitionRefused,
)
from tests.unit.money_fakes import NOW, MoneyShop, build_shop, credit

USER, MERCHANT = 1, 9
S, P, F, A = OrderStatus, PaymentStatus, FulfilmentStatus, Action


@pytest.fixture
def shop() -> MoneyShop:
    return build_shop()


async def paid(shop: MoneyShop, method: PayMethod = PayMethod.CARD, coupon: bool = False) -> Order:
    """USER's paid order of 2 mugs at 12.00 (stock 5 -> 3), standard shipping 5.00."""
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 2))
    if coupon:
        shop.coupons.add_coupon("ONCE", CouponKind.FIXED, 400, once_per_customer=True)
        await shop.cart.apply_coupon(USER, "ONCE", NOW)
    order = await shop.place(USER, method)
    await shop.pay(order, f"{method}-charge")
    return await shop.order(order.id)


async def delivered(shop: MoneyShop, method: PayMethod = PayMethod.CARD) -> Order:
    order = await paid(shop, method)
    await shop.order_service.merchant_action(order.id, A.SHIP, MERCHANT, NOW, tracking="TRK1")
    await shop.order_service.merchant_action(order.id, A.DELIVER, MERCHANT, NOW)
    return await shop.order(order.id)


def mug_stock(shop: MoneyShop, order: Order) -> tuple[int, int]:
    return shop.stock.stock(order.lines[0].product_id)


async def test_a_card_refund_is_requested_by_the_buyer_and_confirmed_by_the_merchant(
    shop: MoneyShop,
) -> None:
    order = await delivered(shop)
    change = await shop.order_service.buyer_action(
        USER, order.id, A.REQUEST_REFUND, NOW, "  arrived   broken "
    )
    assert change.stars_refund is None  # card money moves outside Telegram
    assert shop.statuses(order) == (S.REFUND_REQUESTED, P.REFUND_PENDING, F.DELIVERED)
    assert change.order.refund_reason == "arrived broken"
    assert shop.orders.refunds == []  # requested is not refunded
    with pytest.raises(TransitionRefused):  # and only the merchant confirms it
        await shop.order_service.buyer_action(USER, order.id, A.REFUND, NOW)
    done = await shop.order_service.merchant_action(order.id, A.REFUND, MERCHANT, NOW)
    assert shop.statuses(done.order) == (S.REFUNDED, P.REFUNDED, F.DELIVERED)
    [refund] = shop.orders.refunds
    assert (refund.amount, refund.currency, refund.method, refund.confirmed_by, refund.reason) == (
        2900,
        "USD",
        PayMethod.CARD,
        "merchant:9",
        "arrived broken",
    )
    assert mug_stock(shop, order) == (3, 0)  # the goods are still with the buyer


@pytest.mark.parametrize("reason", ["", "  ", "ok"])
async def test_a_refund_request_needs_a_reason(shop: MoneyShop, reason: str) -> None:
    order = await delivered(shop)
    with pytest.raises(ValidationError):
        await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, reason)
    assert shop.statuses(order)[0] is S.DELIVERED


async def test_only_the_buyer_asks_and_only_after_the_goods_left(shop: MoneyShop) -> None:
    order = await paid(shop)
    with pytest.raises(TransitionRefused):  # unshipped: that is a cancel, not a refund
        await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, "changed")
    with pytest.raises(TransitionRefused):  # the buyer can't confirm their own refund
        await shop.order_service.buyer_action(USER, order.id, A.REFUND, NOW)
    await shop.order_service.merchant_action(order.id, A.SHIP, MERCHANT, NOW, tracking="T")
    with pytest.raises(OrderNotFound):
        await shop.order_service.buyer_action(2, order.id, A.REQUEST_REFUND, NOW, "mine now")
    with pytest.raises(TransitionRefused):  # shipped goods can't be cancelled
        await shop.order_service.merchant_action(order.id, A.CANCEL, MERCHANT, NOW)
    with pytest.raises(TransitionRefused):  # nor refunded before anyone asked
        await shop.order_service.merchant_action(order.id, A.REFUND, MERCHANT, NOW)
    assert shop.orders.refunds == []


async def test_an_unpaid_order_is_never_refunded(shop: MoneyShop) -> None:
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 1))
    order = await shop.place(USER)
    for action in (A.REFUND, A.PARTIAL_REFUND, A.RETURN):
        with pytest.raises(TransitionRefused):
            await shop.order_service.merchant_action(order.id, action, MERCHANT, NOW)
    assert shop.orders.refunds == [] and shop.statuses(order)[0] is S.PENDING_PAYMENT


async def test_a_partial_refund_then_the_goods_back_then_the_rest(shop: MoneyShop) -> None:
    order = await delivered(shop)
    await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, "one broken")
    for amount in (0, -5, order.pay_amount + 1):
        with pytest.raises(ValidationError):
            await shop.order_service.merchant_action(
                order.id, A.PARTIAL_REFUND, MERCHANT, NOW, amount=amount
            )
    part = await shop.order_service.merchant_action(
        order.id, A.PARTIAL_REFUND, MERCHANT, NOW, amount=1200
    )
    assert shop.statuses(part.order) == (S.PARTIALLY_REFUNDED, P.PARTIALLY_REFUNDED, F.DELIVERED)
    assert [r.amount for r in shop.orders.refunds] == [1200]
    back = await shop.order_service.merchant_action(order.id, A.RETURN, MERCHANT, NOW)
    assert shop.statuses(back.order) == (S.RETURNED, P.PARTIALLY_REFUNDED, F.RETURNED)
    assert mug_stock(shop, order) == (5, 0)  # both mugs on the shelf again
    rest = await shop.order_service.merchant_action(order.id, A.REFUND, MERCHANT, NOW)
    assert shop.statuses(rest.order) == (S.RETURNED, P.REFUNDED, F.RETURNED)
    assert [r.amount for r in shop.orders.refunds] == [1200, order.pay_amount - 1200]
    with pytest.raises(TransitionRefused):  # refunded in full: nothing more to give
        await shop.order_service.merchant_action(order.id, A.REFUND, MERCHANT, NOW)
    with pytest.raises(TransitionRefused):
        await shop.order_service.merchant_action(order.id, A.RETURN, MERCHANT, NOW)
    assert mug_stock(shop, order) == (5, 0)


async def test_the_refunds_of_an_order_never_add_up_to_more_than_was_paid(
    shop: MoneyShop,
) -> None:
    order = await delivered(shop)
    await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, "one broken")
    await shop.order_service.merchant_action(
        order.id, A.PARTIAL_REFUND, MERCHANT, NOW, amount=1200
    )
    await shop.order_service.merchant_action(order.id, A.REFUND, MERCHANT, NOW)  # "the rest"
    assert sum(r.amount for r in shop.orders.refunds_of(order.id)) == order.pay_amount


async def test_a_refund_amount_is_measured_against_what_is_left(shop: MoneyShop) -> None:
    order = await delivered(shop)  # 29.00 paid
    await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, "one broken")
    await shop.order_service.merchant_action(
        order.id, A.PARTIAL_REFUND, MERCHANT, NOW, amount=1200
    )
    back = await shop.order_service.merchant_action(order.id, A.RETURN, MERCHANT, NOW)
    assert back.order.payment_status is P.PARTIALLY_REFUNDED
    with pytest.raises(ValidationError) as refused:  # 17.00 is left, not 29.00
        await shop.order_service.merchant_action(
            order.id, A.PARTIAL_REFUND, MERCHANT, NOW, amount=1701
        )
    assert refused.value.params == {"amount": "17.00 USD"}
    # exactly what is left is the whole rest: a full refund, not a "partial" one
    rest = await shop.order_service.merchant_action(
        order.id, A.PARTIAL_REFUND, MERCHANT, NOW, amount=1700
    )
    assert shop.statuses(rest.order) == (S.RETURNED, P.REFUNDED, F.RETURNED)
    assert [r.amount for r in shop.orders.refunds_of(order.id)] == [1200, 1700]
    assert rest.events[0].action is A.REFUND


async def test_a_whole_partial_refund_is_a_refund(shop: MoneyShop) -> None:
    order = await delivered(shop)
    await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, "all broken")
    change = await shop.order_service.merchant_action(
        order.id, A.PARTIAL_REFUND, MERCHANT, NOW, amount=order.pay_amount
    )
    assert shop.statuses(change.order) == (S.REFUNDED, P.REFUNDED, F.DELIVERED)
    assert [r.amount for r in shop.orders.refunds] == [order.pay_amount]


async def test_stars_go_back_through_telegram_at_the_buyers_request(shop: MoneyShop) -> None:
    """Documented in OrderService._refund_stars_if_any: Stars are refunded at once (the
    adapter calls refundStarPayment, then stars_refunded); card refunds wait for the merchant."""
    order = await delivered(shop, PayMethod.STARS)
    change = await shop.order_service.buyer_action(
        USER, order.id, A.REQUEST_REFUND, NOW, "not as shown"
    )
    assert change.stars_refund is not None
    assert (change.stars_refund.charge_id, change.stars_refund.amount) == ("stars-charge", 1450)
    assert shop.statuses(order)[0] is S.REFUND_REQUESTED  # not refunded until Telegram says so
    done = await shop.order_service.stars_refunded(order.id, NOW)
    assert shop.statuses(done.order) == (S.REFUNDED, P.REFUNDED, F.DELIVERED)
    [refund] = shop.orders.refunds
    assert (refund.amount, refund.currency, refund.method, refund.confirmed_by) == (
        1450,
        "XTR",
        PayMethod.STARS,
        "telegram",
    )
    with pytest.raises(TransitionRefused):  # a second confirmation changes nothing
        await shop.order_service.stars_refunded(order.id, NOW)
    assert len(shop.orders.refunds) == 1


async def test_a_merchants_stars_refund_is_checked_before_telegram_moves_any_stars(
    shop: MoneyShop,
) -> None:
    order = await delivered(shop, PayMethod.STARS)
    with pytest.raises(TransitionRefused):  # nobody asked for a refund
        await shop.order_service.merchant_action(order.id, A.REFUND, MERCHANT, NOW)
    await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, "not as shown")
    change = await shop.order_service.merchant_action(order.id, A.REFUND, MERCHANT, NOW)
    assert change.stars_refund is not None and change.events == ()
    assert shop.statuses(order)[0] is S.REFUND_REQUESTED and shop.orders.refunds == []


async def test_a_stars_order_cannot_be_refunded_in_part(shop: MoneyShop) -> None:
    order = await delivered(shop, PayMethod.STARS)
    await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, "half")
    with pytest.raises(ValidationError, match="Stars can only be refunded in full"):
        await shop.order_service.merchant_action(
            order.id, A.PARTIAL_REFUND, MERCHANT, NOW, amount=500
        )
    assert shop.orders.refunds == [] and shop.statuses(order)[0] is S.REFUND_REQUESTED
    # the whole amount is a refund: the Stars go back through Telegram
    change = await shop.order_service.merchant_action(
        order.id, A.PARTIAL_REFUND, MERCHANT, NOW, amount=order.pay_amount
    )
    assert change.stars_refund is not None and change.stars_refund.amount == order.pay_amount


async def test_cancelling_a_paid_order_restocks_and_frees_the_coupon(shop: MoneyShop) -> None:
    order = await paid(shop, coupon=True)
    assert (order.discount, order.pay_amount) == (400, 2500)
    assert mug_stock(shop, order) == (3, 0) and shop.coupons.used("ONCE") == 1
    change = await shop.order_service.merchant_action(
        order.id, A.CANCEL, MERCHANT, NOW, reason="out of paint"
    )
    assert shop.statuses(order) == (S.REFUND_REQUESTED, P.REFUND_PENDING, F.CANCELLED)
    assert change.order.refund_reason == "out of paint"
    assert mug_stock(shop, order) == (5, 0)
    assert shop.coupons.used("ONCE") == 0 and shop.coupons.uses == []
    with pytest.raises(TransitionRefused):  # never sent, so never "returned" a second time
        await shop.order_service.merchant_action(order.id, A.RETURN, MERCHANT, NOW)
    await shop.order_service.merchant_action(order.id, A.REFUND, MERCHANT, NOW)
    assert mug_stock(shop, order) == (5, 0)
    assert [r.amount for r in shop.orders.refunds] == [2500]


async def test_a_buyer_cancelling_a_paid_stars_order_gets_the_stars_back(
    shop: MoneyShop,
) -> None:
    order = await paid(shop, PayMethod.STARS)
    change = await shop.order_service.buyer_action(USER, order.id, A.CANCEL, NOW)
    assert change.stars_refund is not None and change.stars_refund.amount == 1450
    assert mug_stock(shop, order) == (5, 0)
    await shop.order_service.stars_refunded(order.id, NOW)
    assert shop.statuses(order) == (S.REFUNDED, P.REFUNDED, F.CANCELLED)


async def test_a_refund_after_delivery_keeps_the_coupon_used(shop: MoneyShop) -> None:
    order = await paid(shop, coupon=True)
    await shop.order_service.merchant_action(order.id, A.SHIP, MERCHANT, NOW, tracking="T")
    await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, "lost")
    await shop.order_service.merchant_action(order.id, A.REFUND, MERCHANT, NOW)
    assert shop.coupons.used("ONCE") == 1  # only cancel and expiry release it (the table)


async def test_a_refund_gives_redeemed_points_back_and_takes_earned_ones_once() -> None:
    config = LoyaltyConfig(redeem_cap_share=100, min_charge=0, tiers=(Tier("Silver", 1500),))
    shop = build_shop(loyalty=config)
    await shop.ledger.add(credit(USER, 500))
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 2))
    order = await shop.place(USER, points=500)
    assert (order.discount, order.pay_amount) == (500, 2400)
    await shop.pay(order)
    await shop.order_service.merchant_action(order.id, A.SHIP, MERCHANT, NOW, tracking="T")
    done = await shop.order_service.buyer_action(USER, order.id, A.COMPLETE, NOW)
    assert [n.params for n in done.notices] == [{"points": 19, "id": order.id}, {"tier": "Silver"}]
    assert await shop.ledger.balance(USER) == 19  # 24.00 - 5.00 of points paid for goods
    await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, "sorry")
    assert await shop.ledger.balance(USER) == 19  # asked is not refunded
    await shop.order_service.merchant_action(order.id, A.REFUND, MERCHANT, NOW)
    assert await shop.ledger.balance(USER) == 500
    assert (await shop.loyalty.tier(USER, NOW))[0] is None  # the spend no longer counts
    await shop.order_service.merchant_action(order.id, A.RETURN, MERCHANT, NOW)  # runs again
    assert await shop.ledger.balance(USER) == 500
    kinds = [(e.kind, e.points) for e in shop.ledger.entries if e.order_id == order.id]
    assert kinds == [
        (EntryKind.REDEEM, -500),
        (EntryKind.EARN, 19),
        (EntryKind.REVERSAL, 500),
        (EntryKind.REVERSAL, -19),
    ]


async def test_earned_points_already_spent_are_taken_back_only_as_far_as_there_are_any() -> None:
    shop = build_shop(loyalty=LoyaltyConfig(redeem_cap_share=100, min_charge=0))
    order = await delivered(shop)
    await shop.order_service.buyer_action(USER, order.id, A.COMPLETE, NOW)
    assert await shop.ledger.balance(USER) == 24
    mug = shop.stock.add_product(2000, 5)
    await shop.buy(USER, (mug.id, 1))
    await shop.place(USER, points=20)  # spends most of them
    await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, "sorry")
    await shop.order_service.merchant_action(order.id, A.REFUND, MERCHANT, NOW)
    assert await shop.ledger.balance(USER) == 0  # never below zero


async def test_a_partial_refund_leaves_the_points(shop: MoneyShop) -> None:
    order = await delivered(shop)
    await shop.order_service.buyer_action(USER, order.id, A.COMPLETE, NOW)
    await shop.order_service.buyer_action(USER, order.id, A.REQUEST_REFUND, NOW, "scratch")
    await shop.order_service.merchant_action(order.id, A.PARTIAL_REFUND, MERCHANT, NOW, amount=300)
    assert await shop.ledger.balance(USER) == 24


async def test_delivered_orders_complete_by_themselves_and_earn_once(shop: MoneyShop) -> None:
    order = await delivered(shop)
    assert await shop.order_service.complete_delivered(NOW + timedelta(days=6)) == []
    changes = await shop.order_service.complete_delivered(NOW + timedelta(days=7))
    assert [(c.order.id, c.order.status) for c in changes] == [(order.id, S.COMPLETED)]
    assert await shop.ledger.balance(USER) == 24
    assert await shop.order_service.complete_delivered(NOW + timedelta(days=8)) == []
    await shop.loyalty.order_changed(await shop.order(order.id), NOW)  # a listener re-run
    assert await shop.ledger.balance(USER) == 24
