"""The money of one order as storage keeps it, on SQLite and PostgreSQL: refunds never add up to
more than was paid (also when two merchants refund at once), a tier's free shipping survives
a flexible invoice, and a coupon never leaves an order nobody can pay."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.kernel.errors import DomainError, ValidationError
from domain.loyalty.rules import LoyaltyConfig, Tier
from domain.loyalty.service import LoyaltyService
from domain.orders.pricing import CouponKind
from domain.orders.service import Order, PayMethod
from domain.orders.states import Action, OrderStatus, PaymentStatus
from storage.loyalty.repository import TortoiseLoyaltyRepository, record_checkout
from storage.orders.models import OrderRow, RefundRow
from tests.integration.orders_setup import CONFIG, Shop, address_of, build_shop, buyers, goods
from tests.integration.test_orders_concurrency import pay

OWNER = 1
NOW = datetime.now(UTC)


async def refunds_of(order_id: int) -> list[int]:
    return [r.amount for r in await RefundRow.filter(order_id=order_id).order_by("id")]


async def delivered_order(shop: Shop) -> Order:
    """A buyer's paid and delivered card order of two mugs (2 x 10.00 + 5.00 shipping)."""
    mug, _, _ = await goods(shop)
    (buyer,) = await buyers(1)
    await shop.carts.add(buyer.id, mug, None, 2)
    order = await shop.orders.place(buyer.id, address_of(buyer), "std", PayMethod.CARD, NOW)
    await pay(shop, order, "ch-1", NOW)
    await shop.orders.merchant_action(order.id, Action.SHIP, OWNER, NOW, "TRK1")
    await shop.orders.merchant_action(order.id, Action.DELIVER, OWNER, NOW)
    await shop.orders.buyer_action(buyer.id, order.id, Action.REQUEST_REFUND, NOW, "one broken")
    return order


async def test_the_rest_after_a_partial_refund_is_what_is_left(db: str) -> None:
    shop = build_shop()
    order = await delivered_order(shop)
    assert order.pay_amount == 2500
    await shop.orders.merchant_action(order.id, Action.PARTIAL_REFUND, OWNER, NOW, amount=1200)
    with pytest.raises(ValidationError) as refused:
        await shop.orders.merchant_action(order.id, Action.PARTIAL_REFUND, OWNER, NOW, amount=1301)
    assert refused.value.params == {"amount": "13.00 USD"}
    await shop.orders.merchant_action(order.id, Action.RETURN, OWNER, NOW)
    rest = await shop.orders.merchant_action(order.id, Action.REFUND, OWNER, NOW)
    assert rest.order.payment_status is PaymentStatus.REFUNDED
    assert await refunds_of(order.id) == [1200, 1300]
    assert await shop.repo.refunded(order.id) == order.pay_amount


async def test_two_merchants_refunding_a_returned_order_at_once_refund_it_once(db: str) -> None:
    shop = build_shop()
    order = await delivered_order(shop)
    await shop.orders.merchant_action(order.id, Action.PARTIAL_REFUND, OWNER, NOW, amount=1000)
    await shop.orders.merchant_action(order.id, Action.RETURN, OWNER, NOW)
    results = await asyncio.gather(
        *(shop.orders.merchant_action(order.id, Action.REFUND, OWNER + n, NOW) for n in (0, 1)),
        return_exceptions=True,
    )
    assert sum(1 for r in results if not isinstance(r, BaseException)) == 1
    assert all(isinstance(r, DomainError) for r in results if isinstance(r, BaseException))
    assert await refunds_of(order.id) == [1000, 1500]


async def test_a_stars_order_is_never_recorded_as_refunded_in_part(db: str) -> None:
    shop = build_shop()
    mug, _, _ = await goods(shop)
    (buyer,) = await buyers(1)
    await shop.carts.add(buyer.id, mug, None, 1)
    order = await shop.orders.place(buyer.id, address_of(buyer), "std", PayMethod.STARS, NOW)
    await pay(shop, order, "stars-1", NOW)
    await shop.orders.buyer_action(buyer.id, order.id, Action.CANCEL, NOW)
    with pytest.raises(ValidationError, match="in full"):
        await shop.orders.merchant_action(order.id, Action.PARTIAL_REFUND, OWNER, NOW, amount=100)
    assert await refunds_of(order.id) == []
    row = await OrderRow.get(id=order.id)
    assert row.status == OrderStatus.REFUND_REQUESTED


async def test_a_tiers_free_shipping_is_stored_with_a_flexible_order(db: str) -> None:
    loyalty = LoyaltyService(
        TortoiseLoyaltyRepository(), LoyaltyConfig(tiers=(Tier("Gold", 0, free_shipping_over=0),))
    )
    shop = build_shop(
        replace(CONFIG, flexible=True), benefits=loyalty, place_hooks=[record_checkout]
    )
    mug, _, _ = await goods(shop)
    (buyer,) = await buyers(1)
    await shop.carts.add(buyer.id, mug, None, 1)
    order = await shop.orders.place(buyer.id, address_of(buyer), None, PayMethod.CARD, NOW)
    stored = await shop.repo.get(order.id)
    assert stored is not None and stored.free_shipping
    assert (stored.shipping, stored.pay_amount) == (0, 1000)
    payload = shop.payments.signer.sign(order.id, order.expires_at)
    [std] = await shop.payments.shipping_options(buyer.id, payload, NOW)
    assert (std.id, std.price) == ("std", 0)
    await shop.payments.pre_checkout(buyer.id, payload, "USD", 1000, "std", NOW)
    result = await shop.payments.paid(
        buyer.id, 1, payload, "USD", 1000, "ch-f", "p", NOW, shipping_option_id="std"
    )
    assert result.change is not None
    row = await OrderRow.get(id=order.id)
    assert (row.status, row.shipping_option_id, row.shipping, row.pay_amount) == (
        OrderStatus.PAID,
        "std",
        0,
        1000,
    )


async def test_a_full_coupon_leaves_the_minimum_charge_to_pay(db: str) -> None:
    free_pickup = replace(CONFIG, shipping=(replace(CONFIG.shipping[0], price=0),))
    shop = build_shop(free_pickup)
    mug, _, _ = await goods(shop)
    (buyer,) = await buyers(1)
    await shop.coupons.create_coupon("FREE", CouponKind.PERCENT, 100, "USD")
    await shop.carts.add(buyer.id, mug, None, 1)
    await shop.carts.apply_coupon(buyer.id, "FREE", NOW)
    order = await shop.orders.place(buyer.id, address_of(buyer), "std", PayMethod.CARD, NOW)
    invoice = await shop.payments.invoice(buyer.id, order.id, NOW)
    assert (order.discount, order.pay_amount, invoice.total) == (900, 100, 100)
    assert (await pay(shop, order, "ch-min", NOW)).change is not None
    assert (await OrderRow.get(id=order.id)).status == OrderStatus.PAID
