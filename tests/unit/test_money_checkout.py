"""Placing an order (OrderService.place) over in-memory stores: all lines reserved or none,
shipping and totals in minor units, card and Stars, the invoice, and reservations that end."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.cart.service import CartEmpty, CartItem, CartNeedsReview, OutOfStock
from domain.inventory.ledger import StockLevel, StockReason, StockRefused, StockService
from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.idempotency import handling
from domain.loyalty.rules import LoyaltyConfig
from domain.orders.payments import PaymentRefused, PriceKind
from domain.orders.pricing import CouponKind
from domain.orders.service import OrderNotFound, PaymentsUnavailable, PayMethod
from domain.orders.states import Action, FulfilmentStatus, OrderStatus, PaymentStatus
from domain.orders.types import CheckoutConfig
from domain.staff.audit import AuditService
from tests.unit.admin_fakes import InMemoryAudit
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
S, P, F = OrderStatus, PaymentStatus, FulfilmentStatus


@pytest.fixture
def shop() -> MoneyShop:
    return build_shop()


async def test_placing_reserves_every_line_and_prices_the_order(shop: MoneyShop) -> None:
    mug, cup = shop.stock.add_product(1200, 5), shop.stock.add_product(799, 3)
    await shop.buy(USER, (mug.id, 2), (cup.id, 3))
    order = await shop.place(USER, option="exp")
    assert (shop.stock.stock(mug.id), shop.stock.stock(cup.id)) == ((5, 2), (3, 3))
    assert [(ln.sku, ln.unit_price, ln.quantity) for ln in order.lines] == [
        (mug.sku, 1200, 2),
        (cup.sku, 799, 3),
    ]
    assert (order.subtotal, order.discount, order.shipping) == (4797, 0, 1500)
    assert (order.pay_currency, order.pay_amount, order.total) == ("USD", 6297, 6297)
    assert (order.shipping_option_id, order.shipping_title) == ("exp", EXPRESS.title)
    assert order.address == "1 Main St, Springfield, 12345"
    assert (order.status, order.payment_status, order.fulfilment_status) == (
        S.PENDING_PAYMENT,
        P.UNPAID,
        F.UNFULFILLED,
    )
    assert order.expires_at == NOW + timedelta(minutes=15)
    assert [e.action for e in await shop.orders.events(order.id)] == [Action.PLACE]
    assert len(await shop.carts.items(USER)) == 2  # the cart empties when paid, not before


async def test_two_lines_of_one_sku_are_summed_into_one_reservation(shop: MoneyShop) -> None:
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 2))
    shop.carts.lines[USER][77] = CartItem(77, mug.id, None, 2, 1200, "USD")  # a second line
    order = await shop.place(USER)
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [(mug.sku, 4)]
    assert order.subtotal == 4800
    assert shop.stock.stock(mug.id) == (5, 4)
    assert [(m.delta_reserved, m.reason) for m in shop.stock.movements] == [(4, "reserve")]


async def test_two_lines_of_one_sku_beyond_stock_reserve_nothing(shop: MoneyShop) -> None:
    mug = shop.stock.add_product(1200, 3)
    await shop.buy(USER, (mug.id, 2))
    shop.carts.lines[USER][77] = CartItem(77, mug.id, None, 2, 1200, "USD")
    with pytest.raises(OutOfStock):
        await shop.place(USER)
    assert shop.stock.stock(mug.id) == (3, 0)
    assert shop.orders.orders == {}


async def test_one_short_line_refuses_the_whole_order_and_leaves_nothing_behind() -> None:
    shop = build_shop(loyalty=LoyaltyConfig(redeem_cap_share=100, min_charge=0))
    mug, pen = shop.stock.add_product(1200, 5), shop.stock.add_product(300, 2)
    shop.coupons.add_coupon("TEN", CouponKind.PERCENT, 10, usage_limit=5)
    await shop.ledger.add(credit(USER, 1000))
    await shop.buy(USER, (mug.id, 2), (pen.id, 2))
    await shop.cart.apply_coupon(USER, "ten", NOW)
    await shop.stock.reserve(pen.id, None, 1, "order:other")  # another buyer took one pen
    with pytest.raises(OutOfStock) as refused:
        await shop.place(USER, points=500)
    assert refused.value.params == {"title": pen.title.en}
    assert (shop.stock.stock(mug.id), shop.stock.stock(pen.id)) == ((5, 0), (2, 1))
    assert shop.coupons.used("TEN") == 0 and shop.coupons.uses == []
    assert await shop.ledger.balance(USER) == 1000
    assert shop.orders.orders == {} and shop.orders.payments == []
    assert len(await shop.carts.items(USER)) == 2  # the cart is left for the shopper to fix


async def test_a_short_line_is_decided_by_the_reservation_not_by_the_cart_view(
    shop: MoneyShop,
) -> None:
    """A line flagged short of stock when viewed still reserves if stock came back."""
    mug = shop.stock.add_product(1200, 3)
    await shop.buy(USER, (mug.id, 3))
    await shop.stock.reserve(mug.id, None, 1, "order:other")
    assert (await shop.cart.view(USER)).lines[0].problem == "stock"
    await shop.stock.release(mug.id, None, 1, "order:other")
    assert (await shop.place(USER)).lines[0].quantity == 3
    assert shop.stock.stock(mug.id) == (3, 3)


async def test_an_inactive_unit_is_not_ordered(shop: MoneyShop) -> None:
    tee = shop.stock.add_product(0, 0)
    small = shop.stock.add_variant(tee.id, 2000, 5, "S")
    await shop.buy(USER, (tee.id, 1), variant_id=small.id)
    shop.stock.set_active(tee.id, False, variant_id=small.id)
    with pytest.raises(CartNeedsReview):
        await shop.place(USER)
    assert shop.stock.stock(tee.id, small.id) == (5, 0)


async def test_placing_refuses_what_the_shopper_must_look_at_first(shop: MoneyShop) -> None:
    mug = shop.stock.add_product(1200, 5)
    with pytest.raises(CartEmpty):
        await shop.place(USER)
    await shop.buy(USER, (mug.id, 1))
    shop.stock.set_price(mug.id, 1100)  # cheaper, but still a change the shopper must see
    with pytest.raises(CartNeedsReview):
        await shop.place(USER)
    await shop.cart.accept_changes(USER)
    assert (await shop.place(USER)).subtotal == 1100


@pytest.mark.parametrize("option", [None, "drone"])
async def test_a_shipping_option_of_the_shop_is_required(shop: MoneyShop, option: str) -> None:
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 1))
    with pytest.raises(ValidationError):
        await shop.place(USER, option=option)
    assert shop.stock.stock(mug.id) == (5, 0)


async def test_a_flexible_card_invoice_leaves_shipping_to_telegrams_form() -> None:
    shop = build_shop(checkout_config(flexible=True))
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 1))
    with pytest.raises(ValidationError):  # Stars invoices are never flexible
        await shop.place(USER, PayMethod.STARS, option=None)
    order = await shop.place(USER, option=None)
    assert (order.shipping_option_id, order.shipping, order.pay_amount) == (None, 0, 1200)
    invoice = await shop.payments.invoice(USER, order.id, NOW)
    assert invoice.flexible and invoice.total == 1200


@pytest.mark.parametrize(
    ("config", "method"),
    [
        (checkout_config(stars=False), PayMethod.STARS),
        (checkout_config(card=False), PayMethod.CARD),
        (checkout_config(currency="EUR"), PayMethod.CARD),  # the catalogue is in USD
    ],
)
async def test_a_payment_method_the_shop_cannot_take_is_refused(
    config: CheckoutConfig, method: PayMethod
) -> None:
    shop = build_shop(config)
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 1))
    with pytest.raises(PaymentsUnavailable):
        await shop.place(USER, method)
    assert shop.stock.stock(mug.id) == (5, 0)


async def test_stars_are_the_total_at_the_shops_rate_rounded_up(shop: MoneyShop) -> None:
    mug = shop.stock.add_product(1901, 5)
    await shop.buy(USER, (mug.id, 1))
    order = await shop.place(USER, PayMethod.STARS)  # 19.01 + 5.00 shipping = 2401 cents
    assert (order.currency, order.total) == ("USD", 2401)
    assert (order.pay_method, order.pay_currency, order.pay_amount) == (
        PayMethod.STARS,
        "XTR",
        1201,
    )
    invoice = await shop.payments.invoice(USER, order.id, NOW)
    assert [(p.kind, p.amount) for p in invoice.prices] == [(PriceKind.STARS, 1201)]
    assert invoice.currency == "XTR" and not invoice.flexible


async def test_a_catalogue_priced_in_stars_is_charged_as_is() -> None:
    shop = build_shop(
        checkout_config(currency="XTR", card=False, shipping=(replace(STANDARD, price=0),))
    )
    shop.stock.currency = "XTR"
    sticker = shop.stock.add_product(25, 9)
    await shop.buy(USER, (sticker.id, 3))
    order = await shop.place(USER, PayMethod.STARS)
    assert (order.currency, order.total, order.pay_currency, order.pay_amount) == (
        "XTR",
        75,
        "XTR",
        75,
    )


async def test_the_card_invoice_adds_up_to_what_is_charged(shop: MoneyShop) -> None:
    mug, cup = shop.stock.add_product(1200, 5), shop.stock.add_product(799, 3)
    await shop.buy(USER, (mug.id, 2), (cup.id, 1))
    plain = await shop.payments.invoice(USER, (await shop.place(USER)).id, NOW)
    assert [(p.kind, p.amount, p.quantity) for p in plain.prices] == [
        (PriceKind.ITEM, 2400, 2),
        (PriceKind.ITEM, 799, 1),
        (PriceKind.SHIPPING, 500, 1),
    ]
    assert plain.total == plain.order.pay_amount == 3699
    assert plain.currency == "USD" and not plain.flexible


async def test_a_discounted_invoice_is_one_goods_price_naming_the_coupon(shop: MoneyShop) -> None:
    mug = shop.stock.add_product(1200, 5)
    shop.coupons.add_coupon("FIVE", CouponKind.FIXED, 500)
    await shop.buy(USER, (mug.id, 2))
    await shop.cart.apply_coupon(USER, "FIVE", NOW)
    order = await shop.place(USER)
    invoice = await shop.payments.invoice(USER, order.id, NOW)
    assert [(p.kind, p.amount, p.note) for p in invoice.prices] == [
        (PriceKind.GOODS, 1900, "FIVE"),
        (PriceKind.SHIPPING, 500, ""),
    ]
    assert all(p.amount > 0 for p in invoice.prices)
    assert invoice.total == order.pay_amount == 2400


async def test_an_invoice_only_for_the_buyers_own_pending_order(shop: MoneyShop) -> None:
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 1))
    order = await shop.place(USER)
    with pytest.raises(OrderNotFound):
        await shop.payments.invoice(2, order.id, NOW)
    shop.payments.config = checkout_config(card=False)  # card payments switched off since
    with pytest.raises(PaymentsUnavailable):
        await shop.payments.invoice(USER, order.id, NOW)
    shop.payments.config = shop.config
    await shop.order_service.buyer_action(USER, order.id, Action.CANCEL, NOW)
    with pytest.raises(PaymentRefused):
        await shop.payments.invoice(USER, order.id, NOW)


async def test_an_order_placed_twice_by_one_update_is_placed_once() -> None:
    shop = build_shop(loyalty=LoyaltyConfig(redeem_cap_share=100, min_charge=0))
    mug = shop.stock.add_product(1200, 5)
    await shop.ledger.add(credit(USER, 300))
    await shop.buy(USER, (mug.id, 2))
    with handling("u42"):
        first = await shop.place(USER, points=300)
    with handling("u42"):  # the same update handled again after a crash
        again = await shop.place(USER, points=300)
    with handling("u43"):  # a new update is a new order (points are gone by now)
        with pytest.raises(DomainError):
            await shop.place(USER, points=300)
    assert again == first
    assert shop.stock.stock(mug.id) == (5, 2)
    assert await shop.ledger.balance(USER) == 0


async def test_an_unpaid_order_expires_when_read_releasing_stock_and_coupon(
    shop: MoneyShop,
) -> None:
    mug = shop.stock.add_product(1200, 5)
    shop.coupons.add_coupon("ONCE", CouponKind.PERCENT, 10, once_per_customer=True)
    await shop.buy(USER, (mug.id, 2))
    await shop.cart.apply_coupon(USER, "ONCE", NOW)
    order = await shop.place(USER)
    assert shop.coupons.used("ONCE") == 1
    assert (
        await shop.order_service.get(order.id, order.expires_at - timedelta(seconds=1))
    ).status is S.PENDING_PAYMENT
    expired = await shop.order_service.order(USER, order.id, order.expires_at)
    assert (expired.status, expired.payment_status, expired.fulfilment_status) == (
        S.EXPIRED,
        P.VOID,
        F.CANCELLED,
    )
    assert shop.stock.stock(mug.id) == (5, 0)
    assert shop.coupons.used("ONCE") == 0 and shop.coupons.uses == []
    assert (await shop.cart.view(USER, now=NOW, code="ONCE")).coupon_error is None
    assert await shop.order_service.expire(order.id, order.expires_at) is None  # only once
    assert shop.stock.stock(mug.id) == (5, 0)


async def test_the_sweep_expires_only_overdue_orders(shop: MoneyShop) -> None:
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 1))
    early = await shop.place(USER)
    await shop.buy(2, (mug.id, 1))
    late = await shop.place(2, now=NOW + timedelta(minutes=10))
    changes = await shop.order_service.expire_overdue(NOW + timedelta(minutes=15))
    assert [c.order.id for c in changes] == [early.id]
    assert [c.events[0].action for c in changes] == [Action.EXPIRE]
    assert shop.statuses(late)[0] is S.PENDING_PAYMENT
    assert shop.stock.stock(mug.id) == (5, 1)


async def test_the_buyer_cancels_an_unpaid_order_and_gets_the_stock_released(
    shop: MoneyShop,
) -> None:
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 2))
    order = await shop.place(USER)
    with pytest.raises(OrderNotFound):  # someone else's order looks like a missing one
        await shop.order_service.buyer_action(2, order.id, Action.CANCEL, NOW)
    change = await shop.order_service.buyer_action(USER, order.id, Action.CANCEL, NOW)
    assert (change.order.status, change.order.payment_status) == (S.CANCELLED, P.VOID)
    assert change.stars_refund is None
    assert shop.stock.stock(mug.id) == (5, 0)
    assert [e.action for e in await shop.orders.events(order.id)] == [Action.PLACE, Action.CANCEL]


# ---- the stock ledger beside checkout (domain/inventory/ledger.py) ----


async def test_staff_can_not_take_stock_below_what_open_orders_hold(shop: MoneyShop) -> None:
    stock = StockService(shop.stock, AuditService(InMemoryAudit()))
    mug = shop.stock.add_product(1200, 5)
    await shop.buy(USER, (mug.id, 3))
    order = await shop.place(USER)
    with pytest.raises(StockRefused) as refused:
        await stock.adjust(7, mug.id, None, StockReason.DAMAGED, 3)
    assert refused.value.params == {"on_hand": 5, "reserved": 3}
    assert (await stock.adjust(7, mug.id, None, StockReason.DAMAGED, 2)).available == 0
    with pytest.raises(ValidationError):  # checkout's reasons are not for people
        await stock.adjust(7, mug.id, None, StockReason.SALE, 1)
    await shop.pay(order)
    assert await stock.level(mug.id, None) == StockLevel(mug.id, None, 0, 0)
    received = await stock.adjust(7, mug.id, None, StockReason.RECEIVED, 4)
    assert (received.on_hand, received.reserved, received.available) == (4, 0, 4)


async def test_every_order_movement_is_a_ledger_row_that_adds_up_to_the_stock(
    shop: MoneyShop,
) -> None:
    mug, cup = shop.stock.add_product(1200, 5), shop.stock.add_product(800, 5)
    await shop.buy(USER, (mug.id, 2), (cup.id, 1))
    kept = await shop.place(USER)
    await shop.pay(kept)
    await shop.buy(USER, (mug.id, 1))
    dropped = await shop.place(USER)
    await shop.order_service.buyer_action(USER, dropped.id, Action.CANCEL, NOW)
    await shop.order_service.merchant_action(kept.id, Action.CANCEL, 9, NOW)
    for product in (mug, cup):
        rows = [m for m in shop.stock.movements if m.product_id == product.id]
        on_hand, reserved = shop.stock.stock(product.id)
        assert (5 + sum(m.delta_on_hand for m in rows), sum(m.delta_reserved for m in rows)) == (
            on_hand,
            reserved,
        )
        assert (on_hand, reserved) == (5, 0)
    mug_reasons = [m.reason for m in shop.stock.movements if m.product_id == mug.id]
    assert mug_reasons == ["reserve", "sale", "reserve", "release", "return"]
