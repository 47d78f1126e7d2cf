"""Coupons in the cart and at checkout, and loyalty points redeemed at checkout, over in-memory
stores (domain/orders/pricing.py, domain/cart/service.py, domain/loyalty/)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.cart.service import CartEmpty
from domain.kernel.errors import ValidationError
from domain.loyalty.rules import LoyaltyConfig, NotEnoughPoints, PointsOverCap, Tier
from domain.orders.pricing import CouponInvalid, CouponKind, ShippingOption
from domain.orders.service import PayMethod
from domain.orders.states import Action, OrderStatus
from tests.unit.money_fakes import (
    EXPRESS,
    NOW,
    STANDARD,
    MoneyShop,
    build_shop,
    checkout_config,
    credit,
)

USER = 1


@pytest.fixture
def shop() -> MoneyShop:
    return build_shop()


async def cart_of(shop: MoneyShop, *prices: int, category_id: int = 1) -> list[int]:
    """One of each price in USER's cart (stock 10 each); the product ids."""
    ids = []
    for price in prices:
        product = shop.stock.add_product(price, 10, category_id=category_id)
        await shop.cart.add(USER, product.id, None)
        ids.append(product.id)
    return ids


# ---- coupons ----


async def test_a_percent_coupon_rounds_down_and_is_kept_for_checkout(shop: MoneyShop) -> None:
    shop.coupons.add_coupon("TEN", CouponKind.PERCENT, 10)
    await cart_of(shop, 1999)
    cart = await shop.cart.apply_coupon(USER, "  t en ", NOW)  # typed by a person
    assert (cart.coupon_code, cart.totals.discount, cart.totals.total) == ("TEN", 199, 1800)
    assert await shop.carts.coupon_code(USER) == "TEN"
    order = await shop.place(USER)
    assert (order.coupon_code, order.discount, order.pay_amount) == ("TEN", 199, 1800 + 500)
    assert shop.coupons.used("TEN") == 1


async def test_a_fixed_coupon_never_takes_more_than_the_goods(shop: MoneyShop) -> None:
    shop.coupons.add_coupon("BIG", CouponKind.FIXED, 5000)
    await cart_of(shop, 1200, 800)
    cart = await shop.cart.apply_coupon(USER, "BIG", NOW)
    assert (cart.totals.subtotal, cart.totals.discount) == (2000, 2000)
    order = await shop.place(USER)
    assert (order.discount, order.shipping, order.pay_amount) == (2000, 500, 500)


async def test_a_fixed_coupon_in_another_currency_is_refused(shop: MoneyShop) -> None:
    shop.coupons.add_coupon("EURO", CouponKind.FIXED, 500, currency="EUR")
    shop.coupons.add_coupon("PCT", CouponKind.PERCENT, 5, currency="EUR")  # no money in it
    await cart_of(shop, 1200)
    with pytest.raises(CouponInvalid, match="another currency"):
        await shop.cart.apply_coupon(USER, "EURO", NOW)
    assert (await shop.cart.apply_coupon(USER, "PCT", NOW)).totals.discount == 60


async def test_the_minimum_counts_the_covered_goods_before_shipping(shop: MoneyShop) -> None:
    shop.coupons.add_coupon("MIN20", CouponKind.FIXED, 300, min_order=2000)
    await cart_of(shop, 1999)
    with pytest.raises(CouponInvalid) as refused:
        await shop.cart.apply_coupon(USER, "MIN20", NOW)
    assert refused.value.params == {"amount": "20.00 USD"}
    assert await shop.carts.coupon_code(USER) is None
    await cart_of(shop, 1)  # exactly the minimum now
    assert (await shop.cart.apply_coupon(USER, "MIN20", NOW)).totals.discount == 300


async def test_a_coupon_is_valid_from_its_start_until_just_before_its_end(shop: MoneyShop) -> None:
    start, end = NOW, NOW + timedelta(days=1)
    shop.coupons.add_coupon("WEEK", CouponKind.PERCENT, 10, starts_at=start, ends_at=end)
    await cart_of(shop, 1000)
    with pytest.raises(CouponInvalid, match="isn't valid yet"):
        await shop.cart.apply_coupon(USER, "WEEK", start - timedelta(seconds=1))
    assert (await shop.cart.apply_coupon(USER, "WEEK", start)).totals.discount == 100
    last = end - timedelta(seconds=1)
    assert (await shop.cart.view(USER, now=last)).totals.discount == 100
    expired = await shop.cart.view(USER, now=end)  # the stored code no longer applies
    assert expired.coupon is None and expired.totals.discount == 0
    assert isinstance(expired.coupon_error, CouponInvalid)
    assert expired.coupon_error.message == "This coupon has expired."
    with pytest.raises(CouponInvalid, match="expired"):
        await shop.place(USER, now=end)
    assert shop.orders.orders == {} and shop.coupons.used("WEEK") == 0


async def test_unknown_disabled_and_malformed_codes_are_refused(shop: MoneyShop) -> None:
    shop.coupons.add_coupon("OFF", CouponKind.PERCENT, 10, active=False)
    with pytest.raises(CartEmpty):
        await shop.cart.apply_coupon(USER, "OFF", NOW)
    await cart_of(shop, 1000)
    with pytest.raises(CouponInvalid, match="no coupon"):
        await shop.cart.apply_coupon(USER, "NOPE", NOW)
    with pytest.raises(CouponInvalid):
        await shop.cart.apply_coupon(USER, "OFF", NOW)
    for typed in ("x", "no way!", "A" * 33):
        with pytest.raises(ValidationError):
            await shop.cart.apply_coupon(USER, typed, NOW)
    assert await shop.carts.coupon_code(USER) is None


async def test_a_coupon_applies_to_its_category_and_those_below_it(shop: MoneyShop) -> None:
    shop.stock.add_category(2)  # kitchen
    shop.stock.add_category(3, parent_id=2)  # kitchen / mugs
    shop.stock.add_category(4)  # garden
    shop.coupons.add_coupon("KITCHEN", CouponKind.PERCENT, 50, category_id=2)
    shop.coupons.add_coupon("GARDEN", CouponKind.PERCENT, 50, category_id=4)
    await cart_of(shop, 1000, category_id=2)
    await cart_of(shop, 600, category_id=3)
    await cart_of(shop, 4000, category_id=1)
    cart = await shop.cart.apply_coupon(USER, "KITCHEN", NOW)
    assert (cart.totals.subtotal, cart.totals.discount) == (5600, 800)
    with pytest.raises(CouponInvalid, match="doesn't apply"):
        await shop.cart.apply_coupon(USER, "GARDEN", NOW)
    shop.coupons.add_coupon("KIT50", CouponKind.FIXED, 5000, category_id=2)
    cart = await shop.cart.apply_coupon(USER, "KIT50", NOW)
    assert cart.totals.discount == 1600  # all of the kitchen goods, nothing of the rest
    shop.coupons.add_coupon("KITMIN", CouponKind.FIXED, 100, category_id=2, min_order=2000)
    with pytest.raises(CouponInvalid, match="at least"):  # 16.00 of kitchen goods in 56.00
        await shop.cart.apply_coupon(USER, "KITMIN", NOW)


async def test_a_usage_limit_is_claimed_when_placing_and_given_back_on_cancel(
    shop: MoneyShop,
) -> None:
    shop.coupons.add_coupon("ONE", CouponKind.PERCENT, 10, usage_limit=1)
    [mug] = await cart_of(shop, 1000)
    await shop.cart.apply_coupon(USER, "ONE", NOW)
    order = await shop.place(USER)
    await shop.cart.add(2, mug, None)
    with pytest.raises(CouponInvalid, match="used up"):
        await shop.cart.apply_coupon(2, "ONE", NOW)
    await shop.order_service.buyer_action(USER, order.id, Action.CANCEL, NOW)
    assert shop.coupons.used("ONE") == 0
    assert (await shop.cart.apply_coupon(2, "ONE", NOW)).totals.discount == 100


async def test_the_last_use_taken_by_someone_else_meanwhile_refuses_the_order(
    shop: MoneyShop,
) -> None:
    """Usage limits are decided by the claim when placing (a conditional increment), so two
    shoppers who both saw one use left can't both have it: the loser's order is not placed."""
    shop.coupons.add_coupon("ONE", CouponKind.PERCENT, 10, usage_limit=1)
    [mug] = await cart_of(shop, 1000)
    await shop.cart.apply_coupon(USER, "ONE", NOW)
    await shop.cart.add(2, mug, None)
    await shop.cart.apply_coupon(2, "ONE", NOW)

    async def the_other_shopper_places_first() -> None:
        shop.orders.before_place.clear()
        await shop.place(2)

    shop.orders.before_place.append(the_other_shopper_places_first)
    with pytest.raises(CouponInvalid, match="used up"):
        await shop.place(USER)
    assert [o.user_id for o in shop.orders.orders.values()] == [2]
    assert shop.stock.stock(mug) == (10, 1)  # only the winner's reservation
    assert shop.coupons.used("ONE") == 1


async def test_once_per_customer_until_the_order_that_used_it_is_void(shop: MoneyShop) -> None:
    shop.coupons.add_coupon("HELLO", CouponKind.FIXED, 200, once_per_customer=True)
    [mug] = await cart_of(shop, 1000)
    await shop.cart.apply_coupon(USER, "HELLO", NOW)
    first = await shop.place(USER)
    await shop.pay(first)
    await shop.cart.add(USER, mug, None)
    with pytest.raises(CouponInvalid, match="already used"):
        await shop.cart.apply_coupon(USER, "HELLO", NOW)
    await shop.cart.add(2, mug, None)
    assert (await shop.cart.apply_coupon(2, "HELLO", NOW)).totals.discount == 200
    second = await shop.place(2)
    await shop.order_service.expire_overdue(second.expires_at)
    assert (await shop.cart.view(2, now=NOW)).coupon_error is None  # free for user 2 again


async def test_a_used_once_coupon_still_in_a_second_cart_is_refused_at_checkout(
    shop: MoneyShop,
) -> None:
    shop.coupons.add_coupon("HELLO", CouponKind.FIXED, 200, once_per_customer=True)
    [mug] = await cart_of(shop, 1000)
    await shop.cart.apply_coupon(USER, "HELLO", NOW)
    await shop.pay(await shop.place(USER))
    await shop.cart.add(USER, mug, None)
    await shop.carts.set_coupon_code(USER, "HELLO")  # e.g. applied in the Mini App meanwhile
    with pytest.raises(CouponInvalid, match="already used"):
        await shop.place(USER)
    assert shop.coupons.used("HELLO") == 1


# ---- points ----


POINTS = LoyaltyConfig(point_value=1, redeem_cap_share=50, min_charge=100)


async def test_points_are_capped_by_share_and_by_the_minimum_charge() -> None:
    shop = build_shop(loyalty=POINTS)
    await shop.ledger.add(credit(USER, 5000))
    await cart_of(shop, 1000)
    cart = await shop.cart.view(USER, now=NOW, shipping=STANDARD)
    quote = await shop.order_service.checkout_totals(USER, cart, 0, NOW)
    assert (quote.benefits.points_max, quote.benefits.balance) == (500, 5000)  # half of 10.00
    with pytest.raises(PointsOverCap) as refused:
        await shop.place(USER, points=501)
    assert refused.value.params == {"points": 500}
    order = await shop.place(USER, points=500)
    assert (order.subtotal, order.discount, order.shipping, order.pay_amount) == (
        1000,
        500,
        500,
        1000,
    )
    assert await shop.ledger.balance(USER) == 4500


async def test_points_never_bring_the_total_below_the_minimum_charge() -> None:
    shop = build_shop(loyalty=LoyaltyConfig(redeem_cap_share=100, min_charge=1000))
    await shop.ledger.add(credit(USER, 5000))
    await cart_of(shop, 1200)
    cart = await shop.cart.view(USER, now=NOW, shipping=STANDARD)
    quote = await shop.order_service.checkout_totals(USER, cart, 0, NOW)
    assert quote.benefits.points_max == 700  # 12.00 goods + 5.00 shipping - 10.00 minimum
    with pytest.raises(PointsOverCap):
        await shop.place(USER, points=701)
    order = await shop.place(USER, points=700)
    assert order.pay_amount == 1000


async def test_points_over_the_balance_or_negative_are_refused() -> None:
    shop = build_shop(loyalty=POINTS)
    await shop.ledger.add(credit(USER, 100))
    [mug] = await cart_of(shop, 5000)
    cart = await shop.cart.view(USER, now=NOW, shipping=STANDARD)
    with pytest.raises(NotEnoughPoints) as refused:  # already when the shopper reviews
        await shop.order_service.checkout_totals(USER, cart, 101, NOW)
    assert refused.value.params == {"balance": 100}
    with pytest.raises(NotEnoughPoints):
        await shop.place(USER, points=101)
    with pytest.raises(ValidationError):
        await shop.place(USER, points=-1)
    assert shop.stock.stock(mug) == (10, 0) and await shop.ledger.balance(USER) == 100


async def test_points_can_not_be_used_where_the_shop_has_no_loyalty() -> None:
    shop = build_shop(with_loyalty=False)
    await cart_of(shop, 1000)
    with pytest.raises(ValidationError, match="Points"):
        await shop.place(USER, points=10)
    assert (await shop.place(USER)).pay_amount == 1500


async def test_points_spent_elsewhere_meanwhile_refuse_the_whole_order() -> None:
    shop = build_shop(loyalty=POINTS)
    shop.coupons.add_coupon("TEN", CouponKind.PERCENT, 10, usage_limit=3)
    await shop.ledger.add(credit(USER, 300))
    [mug] = await cart_of(shop, 5000)
    await shop.cart.apply_coupon(USER, "TEN", NOW)

    async def another_checkout_spends_them() -> None:
        await shop.ledger.add(credit(USER, -250))

    shop.orders.before_place.append(another_checkout_spends_them)
    with pytest.raises(NotEnoughPoints):
        await shop.place(USER, points=300)
    assert shop.orders.orders == {}
    assert shop.stock.stock(mug) == (10, 0)  # the reservation made first was rolled back
    assert shop.coupons.used("TEN") == 0 and shop.coupons.uses == []
    assert await shop.ledger.balance(USER) == 50


async def test_a_tier_takes_its_share_after_the_coupon_and_ships_free() -> None:
    gold = Tier("Gold", 10_000, percent_off=10, free_shipping_over=2000)
    shop = build_shop(loyalty=LoyaltyConfig(tiers=(gold,), redeem_cap_share=50, min_charge=100))
    shop.ledger.spend[99] = (USER, 10_000, NOW - timedelta(days=1), False)  # a past order
    shop.coupons.add_coupon("FIVE", CouponKind.FIXED, 500)
    await cart_of(shop, 3000)
    await shop.cart.apply_coupon(USER, "FIVE", NOW)
    await shop.ledger.add(credit(USER, 2000))
    # 30.00 - 5.00 coupon = 25.00; Gold 10% = 2.50; points at most half of 22.50 = 11.25
    with pytest.raises(PointsOverCap) as refused:
        await shop.place(USER, points=1126)
    assert refused.value.params == {"points": 1125}
    order = await shop.place(USER, points=1000)
    assert (order.subtotal, order.discount, order.shipping) == (3000, 500 + 250 + 1000, 0)
    assert order.pay_amount == 1250


async def test_stars_are_the_total_after_points_converted() -> None:
    shop = build_shop(loyalty=LoyaltyConfig(redeem_cap_share=100, min_charge=0))
    await shop.ledger.add(credit(USER, 701))
    await cart_of(shop, 1200)
    order = await shop.place(USER, PayMethod.STARS, points=701)
    assert (order.total, order.pay_currency, order.pay_amount) == (999, "XTR", 500)


async def test_redeemed_points_come_back_when_the_unpaid_order_is_cancelled() -> None:
    shop = build_shop(loyalty=POINTS)
    await shop.ledger.add(credit(USER, 300))
    await cart_of(shop, 5000)
    order = await shop.place(USER, points=300)
    change = await shop.order_service.buyer_action(USER, order.id, Action.CANCEL, NOW)
    assert change.order.status is OrderStatus.CANCELLED
    assert await shop.ledger.balance(USER) == 300
    await shop.loyalty.order_changed(change.order, NOW)  # the catch-up sweep runs it again
    assert await shop.ledger.balance(USER) == 300


async def test_a_coupon_stops_at_the_minimum_charge_so_the_order_can_be_paid() -> None:
    """A 100% coupon with free shipping would make a 0 invoice, which Telegram refuses: the
    order could never be paid and would hold its stock until it expired. Discounts stop at
    the shop's minimum charge (CheckoutConfig.min_charge, the floor points keep too)."""
    shop = build_shop(checkout_config(shipping=(ShippingOption("pick", STANDARD.title, 0),)))
    shop.coupons.add_coupon("FREE", CouponKind.PERCENT, 100)
    await cart_of(shop, 1000)
    await shop.cart.apply_coupon(USER, "FREE", NOW)
    cart = await shop.cart.view(USER, now=NOW, shipping=shop.config.option("pick"))
    quote = await shop.order_service.checkout_totals(USER, cart, 0, NOW)
    assert (quote.coupon_discount, quote.total, quote.held_at_minimum) == (900, 100, True)
    order = await shop.place(USER, option="pick")
    assert (order.discount, order.pay_amount, order.coupon_code) == (900, 100, "FREE")
    invoice = await shop.payments.invoice(USER, order.id, NOW)
    assert invoice.total == 100 and all(p.amount > 0 for p in invoice.prices)
    assert (await shop.pay(order)).outcome.value == "paid"


async def test_a_coupon_may_take_all_the_goods_when_shipping_keeps_the_minimum() -> None:
    shop = build_shop()
    shop.coupons.add_coupon("FREE", CouponKind.PERCENT, 100)
    await cart_of(shop, 1000)
    await shop.cart.apply_coupon(USER, "FREE", NOW)
    order = await shop.place(USER)  # standard shipping, 5.00
    assert (order.discount, order.shipping, order.pay_amount) == (1000, 500, 500)


async def test_the_tier_gives_way_before_the_coupon_at_the_minimum() -> None:
    gold = Tier("Gold", 0, percent_off=60, free_shipping_over=0)
    shop = build_shop(loyalty=LoyaltyConfig(tiers=(gold,), min_charge=100))
    shop.coupons.add_coupon("MOST", CouponKind.PERCENT, 80)
    await cart_of(shop, 1000)
    await shop.cart.apply_coupon(USER, "MOST", NOW)
    # 10.00 - 8.00 coupon = 2.00; Gold would take 1.20 and ship free: trimmed to 1.00 off
    order = await shop.place(USER)
    assert (order.subtotal, order.discount, order.shipping, order.pay_amount) == (
        1000,
        800 + 100,
        0,
        100,
    )


async def test_an_order_below_the_minimum_keeps_no_discount_and_no_coupon_use() -> None:
    shop = build_shop(checkout_config(shipping=(ShippingOption("pick", STANDARD.title, 0),)))
    shop.coupons.add_coupon("ONCE", CouponKind.FIXED, 50, once_per_customer=True)
    await cart_of(shop, 90)
    await shop.cart.apply_coupon(USER, "ONCE", NOW)
    order = await shop.place(USER, option="pick")
    assert (order.discount, order.pay_amount, order.coupon_code) == (0, 90, None)
    assert shop.coupons.used("ONCE") == 0 and shop.coupons.uses == []


async def test_a_tier_that_ships_free_ships_free_in_a_flexible_invoice_too() -> None:
    gold = Tier("Gold", 0, free_shipping_over=1000)
    shop = build_shop(checkout_config(flexible=True), LoyaltyConfig(tiers=(gold,)))
    await cart_of(shop, 3000)
    cart = await shop.cart.view(USER, now=NOW)
    quote = await shop.order_service.checkout_totals(USER, cart, 0, NOW)
    assert quote.benefits.free_shipping  # the review says so before the form opens
    order = await shop.place(USER, option=None)
    assert (order.shipping, order.pay_amount, order.free_shipping) == (0, 3000, True)
    assert shop.payments.expected_amount(order, STANDARD.id) == 3000
    payload = shop.signer.sign(order.id, order.expires_at)
    offered = await shop.payments.shipping_options(USER, payload, NOW)
    assert [(o.id, o.price) for o in offered] == [("std", 0), ("exp", 0)]
    await shop.payments.pre_checkout(USER, payload, "USD", 3000, "exp", NOW)
    paid = await shop.pay(order, amount=3000, option="exp")
    assert paid.change is not None
    assert (paid.change.order.shipping_option_id, paid.change.order.shipping) == ("exp", 0)
    assert paid.change.order.pay_amount == 3000


async def test_below_its_threshold_a_tier_charges_the_option_chosen_in_the_form() -> None:
    gold = Tier("Gold", 0, free_shipping_over=5000)
    shop = build_shop(checkout_config(flexible=True), LoyaltyConfig(tiers=(gold,)))
    await cart_of(shop, 3000)
    order = await shop.place(USER, option=None)
    assert (order.shipping, order.pay_amount, order.free_shipping) == (0, 3000, False)
    assert shop.payments.expected_amount(order, EXPRESS.id) == 4500
    paid = await shop.pay(order, amount=4500, option="exp")
    assert paid.change is not None and paid.change.order.pay_amount == 4500
