"""The money path end to end: cart -> coupon -> address -> shipping -> invoice -> payment."""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

from demo.harness import Sandboxed
from domain.orders.pricing import CouponKind
from storage.catalog.models import ProductRow, VariantRow
from storage.orders.carts import TortoiseCouponRepository
from storage.orders.models import OrderRow, PaymentRow, RefundRow
from tests.e2e.shop_fixtures import seed_goods, shop, shop_mode  # noqa: F401


async def add_address(user) -> None:  # type: ignore[no-untyped-def]
    await user.press("➕ Add address")
    await user.send("Alice Liddell")
    await user.send("+1 555 123 4567")
    await user.send("Oxford")
    await user.send("Christ Church, St Aldates")
    await user.press("Skip")
    await user.press("✅ Save")


async def test_card_checkout_with_coupon(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    await TortoiseCouponRepository().create_coupon("SAVE10", CouponKind.PERCENT, 10, "USD")
    alice = shop.sandbox.user(1001, "Alice")
    await alice.send("/start")
    replies = await alice.send("/cart")
    assert "Your cart is empty" in replies[-1].content
    await alice.press_data(f"cart:add:{goods.mug_id}:0")
    await alice.press_data(f"cart:add:{goods.shirt_id}:{goods.shirt_m_id}")
    replies = await alice.send("/cart")
    assert "Mug × 1" in replies[-1].content and "T-shirt (M) × 1" in replies[-1].content
    await alice.press("🎟 Coupon")
    replies = await alice.send("nope")
    assert "no coupon" in replies[0].content
    await alice.send("save10")
    text = alice.last_bot_message.content
    assert "Discount (SAVE10)" in text, alice.transcript()
    await alice.press("✅ Checkout")
    await add_address(alice)
    await alice.send("/cart")
    await alice.press("✅ Checkout")
    await alice.press("⭐ Alice Liddell, Christ Church, St Aldates, Oxford")
    await alice.press("Standard delivery — $5.00")
    replies = await alice.press("💳 Confirm and pay by card")
    invoice = [m for m in replies if m.raw.get("invoice")]
    assert invoice, alice.transcript()
    # (12 + 20) - 10% = 28.80 + 5.00 shipping
    assert invoice[0].raw["invoice"]["total_amount"] == 3380
    result = await alice.pay_invoice()
    assert result.ok, result.error
    assert any("Payment received" in m.content for m in result.messages), alice.transcript()
    order = await OrderRow.get(user__telegram_id=1001)
    assert (order.status, order.payment_status) == ("paid", "paid")
    mug = await ProductRow.get(id=goods.mug_id)
    assert (mug.on_hand, mug.reserved) == (4, 0)
    m = await VariantRow.get(id=goods.shirt_m_id)
    assert (m.on_hand, m.reserved) == (2, 0)
    assert await PaymentRow.filter(order_id=order.id).count() == 1


async def checkout_to_invoice(shop: Sandboxed, user, goods, pay_button: str):  # type: ignore[no-untyped-def]
    await user.send("/start")
    await user.press_data(f"cart:add:{goods.mug_id}:0")
    await user.send("/cart")
    await user.press("➕")
    await user.press("✅ Checkout")
    await add_address(user)
    await user.send("/cart")
    await user.press("✅ Checkout")
    await user.press("⭐ Alice Liddell, Christ Church, St Aldates, Oxford")
    await user.press("Pick up at the shop — $0.00")
    replies = await user.press(pay_button)
    assert any(m.raw.get("invoice") for m in replies), user.transcript()
    return await OrderRow.get(user__telegram_id=user.user_id)


async def test_stars_payment_duplicates_and_cancel_refund(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    alice = shop.sandbox.user(1002, "Alice")
    order = await checkout_to_invoice(shop, alice, goods, "⭐ Confirm and pay 1200 Stars")
    assert (order.pay_currency, order.pay_amount) == ("XTR", 1200)  # $24.00 at 2 cents a star
    result = await alice.pay_invoice(deliver_times=3)
    assert result.ok and result.currency == "XTR", result.error
    told = [m for m in result.messages if "Payment received" in m.content]
    assert len(told) == 1, alice.transcript()
    assert await PaymentRow.filter(order_id=order.id).count() == 1
    assert (await ProductRow.get(id=goods.mug_id)).on_hand == 3
    # Stars only go back whole (refundStarPayment): a part is refused, nothing is recorded.
    admin = shop.sandbox.user(9000, "Merchant")
    await admin.send("/start")
    replies = await admin.send(f"/refunded {order.id} 500")
    assert "Stars can only be refunded in full" in replies[-1].content, admin.transcript()
    assert shop.sandbox.refunds == [] and await RefundRow.filter(order_id=order.id).count() == 0
    assert (await OrderRow.get(id=order.id)).status == "paid"
    # Cancel before shipping: the Stars go back through refundStarPayment, goods to the shelf.
    await alice.send("/orders")
    await alice.press(f"#{order.id} · 💰 Paid · 1200 ⭐")
    await alice.press("✖️ Cancel order")
    await alice.press("Yes, cancel it")
    assert [r["telegram_payment_charge_id"] for r in shop.sandbox.refunds] == [
        result.telegram_payment_charge_id
    ]
    row = await OrderRow.get(id=order.id)
    assert (row.status, row.payment_status) == ("refunded", "refunded")
    assert (await ProductRow.get(id=goods.mug_id)).on_hand == 5
    assert any("has been refunded" in m.content for m in alice.bot_messages)


async def test_card_tracking_receipt_and_refund(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    alice = shop.sandbox.user(1003, "Alice")
    admin = shop.sandbox.user(9000, "Merchant")
    await admin.send("/start")
    order = await checkout_to_invoice(shop, alice, goods, "💳 Confirm and pay by card")
    assert (await alice.pay_invoice()).ok
    replies = await admin.send(f"/ship {order.id} TRACK-42")
    assert "Shipped" in replies[-1].content
    assert any("Tracking number: TRACK-42" in m.content for m in alice.bot_messages)
    await alice.press("🧾 View order")
    assert "TRACK-42" in alice.last_bot_message.content
    await admin.send(f"/deliver {order.id}")
    await alice.press("🧾 View order")
    await alice.press("📦 I received it")
    assert "Completed" in alice.last_bot_message.content
    # Having received it, she may review it: the real purchase check, through the card.
    await alice.send(f"/start p_{goods.mug_id}")
    await alice.press("⭐ Reviews")
    await alice.press("✍️ Write a review")
    await alice.press("⭐⭐⭐⭐⭐")
    await alice.press("⏭ Skip")
    await alice.press("⏭ Skip")
    mug = await ProductRow.get(id=goods.mug_id)
    assert (mug.rating_avg, mug.rating_count) == (5.0, 1)
    # A refund with a reason; the merchant confirms it, then the goods come back.
    await alice.press("↩️ Ask for a refund")
    replies = await alice.send("it broke")
    assert "Refund requested" in replies[-1].content, alice.transcript()
    await admin.send(f"/refunded {order.id}")
    row = await OrderRow.get(id=order.id)
    assert (row.status, row.payment_status, row.refund_reason) == (
        "refunded",
        "refunded",
        "it broke",
    )
    refund = await RefundRow.get(order_id=order.id)
    assert refund.confirmed_by == "merchant:9000" and refund.amount == 2400
    assert (await ProductRow.get(id=goods.mug_id)).on_hand == 3
    await admin.send(f"/returned {order.id}")
    assert (await ProductRow.get(id=goods.mug_id)).on_hand == 5
    # Forged and foreign ids look like missing orders.
    bob = shop.sandbox.user(1004, "Bob")
    await bob.send("/start")
    replies = await bob.press_data(f"ord:v:{order.id}:1")
    assert "doesn't exist" in (bob.last_callback_answer or {}).get("text", ""), bob.transcript()
    replies = await bob.send(f"/ship {order.id} X")  # not an admin: no merchant powers
    assert (await OrderRow.get(id=order.id)).tracking_number == "TRACK-42"


async def test_flexible_invoice_answers_shipping_query(shop: Sandboxed) -> None:
    from dataclasses import replace

    goods = await seed_goods(shop.app.services.catalog)
    orders = shop.app.services.orders
    assert orders is not None and shop.app.services.payments is not None
    flexible = replace(orders.config, flexible=True)
    orders.config = shop.app.services.payments.config = flexible
    alice = shop.sandbox.user(1005, "Alice")
    await alice.send("/start")
    await alice.press_data(f"cart:add:{goods.mug_id}:0")
    await alice.send("/cart")
    await alice.press("✅ Checkout")
    await add_address(alice)
    await alice.send("/cart")
    await alice.press("✅ Checkout")
    replies = await alice.press("⭐ Alice Liddell, Christ Church, St Aldates, Oxford")
    assert "chosen in the payment form" in replies[-1].content
    replies = await alice.press("💳 Confirm and pay by card")
    invoice = next(m for m in replies if m.raw.get("invoice"))
    assert invoice.raw["invoice"]["total_amount"] == 1200
    result = await alice.pay_invoice(shipping_option_id="express")
    assert result.ok and result.total_amount == 2700, result.error
    row = await OrderRow.get(user__telegram_id=1005)
    assert (row.status, row.shipping_option_id, row.shipping, row.pay_amount) == (
        "paid",
        "express",
        1500,
        2700,
    )
    assert "San Francisco" in row.address


async def test_a_full_coupon_still_leaves_an_invoice_that_can_be_paid(shop: Sandboxed) -> None:
    """A 100% coupon with free pick-up would be an invoice of 0, which Telegram refuses: the
    discount stops at the minimum charge and the review says why."""
    goods = await seed_goods(shop.app.services.catalog)
    await TortoiseCouponRepository().create_coupon("FREE", CouponKind.PERCENT, 100, "USD")
    alice = shop.sandbox.user(1006, "Alice")
    await alice.send("/start")
    await alice.press_data(f"cart:add:{goods.mug_id}:0")
    await alice.send("/cart")
    await alice.press("🎟 Coupon")
    await alice.send("FREE")
    await alice.press("✅ Checkout")
    await add_address(alice)
    await alice.send("/cart")
    await alice.press("✅ Checkout")
    await alice.press("⭐ Alice Liddell, Christ Church, St Aldates, Oxford")
    replies = await alice.press("Pick up at the shop — $0.00")
    review = replies[-1].content
    assert "Discount (FREE): −$11.00" in review, alice.transcript()
    assert "Discounts stop at $1.00, the smallest payment we can take." in review
    assert "Total: $1.00" in review
    replies = await alice.press("💳 Confirm and pay by card")
    invoice = next(m for m in replies if m.raw.get("invoice"))
    assert invoice.raw["invoice"]["total_amount"] == 100
    result = await alice.pay_invoice()
    assert result.ok, result.error
    row = await OrderRow.get(user__telegram_id=1006)
    assert (row.status, row.discount, row.pay_amount, row.coupon_code) == (
        "paid",
        1100,
        100,
        "FREE",
    )


async def test_the_quantity_cap_is_not_blamed_on_stock(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    await ProductRow.filter(id=goods.mug_id).update(on_hand=500)
    alice = shop.sandbox.user(1007, "Alice")
    await alice.send("/start")
    buyer = await shop.app.services.users.repo.get_by_telegram_id(1007)
    assert buyer is not None
    await shop.app.services.carts.add(buyer.id, goods.mug_id, None, 99)
    await alice.send("/cart")
    await alice.press("➕")
    answer = (alice.last_callback_answer or {}).get("text", "")
    assert answer == "At most 99 of one item fit in an order.", alice.transcript()
    assert "Mug × 99" in alice.last_bot_message.content


async def test_a_tier_that_ships_free_ships_free_in_the_payment_form(shop: Sandboxed) -> None:
    from dataclasses import replace

    from domain.loyalty.rules import Tier

    goods = await seed_goods(shop.app.services.catalog)
    services = shop.app.services
    assert services.orders is not None and services.payments is not None
    flexible = replace(services.orders.config, flexible=True)
    services.orders.config = services.payments.config = flexible
    loyalty = services.loyalty
    loyalty.config = replace(loyalty.config, tiers=(Tier("Member", 0, free_shipping_over=1000),))
    alice = shop.sandbox.user(1008, "Alice")
    await alice.send("/start")
    await alice.press_data(f"cart:add:{goods.mug_id}:0")
    await alice.send("/cart")
    await alice.press("✅ Checkout")
    await add_address(alice)
    await alice.send("/cart")
    await alice.press("✅ Checkout")
    replies = await alice.press("⭐ Alice Liddell, Christ Church, St Aldates, Oxford")
    assert "Free shipping (Member)" in replies[-1].content, alice.transcript()
    replies = await alice.press("💳 Confirm and pay by card")
    invoice = next(m for m in replies if m.raw.get("invoice"))
    assert invoice.raw["invoice"]["total_amount"] == 1200
    result = await alice.pay_invoice(shipping_option_id="express")
    assert result.ok and result.total_amount == 1200, result.error
    row = await OrderRow.get(user__telegram_id=1008)
    assert (row.status, row.shipping_option_id, row.shipping, row.pay_amount) == (
        "paid",
        "express",
        0,
        1200,
    )
    assert row.free_shipping
