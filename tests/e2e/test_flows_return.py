"""Flows that come back where the person was, and refusals that say their real reason where
the person is: the address detour from checkout, a used-up coupon at checkout, a language
change, tier names in the reader's language."""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

from demo.harness import Sandboxed
from domain.orders.pricing import CouponKind
from storage.orders.carts import TortoiseCouponRepository
from storage.orders.models import OrderRow
from tests.e2e.shop_fixtures import seed_goods, shop, shop_mode  # noqa: F401
from tests.e2e.test_checkout import add_address

USED_UP = "Coupon ONCE can't be used: This coupon has been used up."


async def test_address_detour_and_used_up_coupon_at_checkout(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    await TortoiseCouponRepository().create_coupon(
        "ONCE", CouponKind.PERCENT, 10, "USD", usage_limit=1
    )
    alice = shop.sandbox.user(1101, "Alice")
    bob = shop.sandbox.user(1102, "Bob")
    for shopper in (alice, bob):
        await shopper.send("/start")
        await shopper.press_data(f"cart:add:{goods.mug_id}:0")
        await shopper.send("/cart")
        await shopper.press("🎟 Coupon")
        await shopper.send("once")
        assert "Discount (ONCE)" in shopper.last_bot_message.content, shopper.transcript()

    # No address yet: adding one from the checkout comes back to the checkout's next step
    # with the new address chosen (not to the profile's address list).
    await alice.press("✅ Checkout")
    assert "come straight back here" in alice.last_bot_message.content
    await add_address(alice)
    text = alice.last_bot_message.content
    assert "How should we ship to Christ Church, St Aldates, Oxford?" in text, alice.transcript()

    # Bob reaches the review with the discount; Alice takes the coupon's only use first.
    await bob.press("✅ Checkout")
    await add_address(bob)
    await bob.press("Pick up at the shop — $0.00")
    assert "Discount (ONCE)" in bob.last_bot_message.content
    await alice.press("Pick up at the shop — $0.00")
    await alice.press("💳 Confirm and pay by card")
    assert await OrderRow.filter(user__telegram_id=1101).count() == 1

    # Bob's confirmation: the coupon's own reason, on his cart redrawn without the discount.
    await bob.press("💳 Confirm and pay by card")
    assert (bob.last_callback_answer or {}).get("text") == USED_UP, bob.transcript()
    cart = bob.last_bot_message.content
    assert "Your cart" in cart and "Discount (ONCE)" not in cart, cart
    assert "Coupon ONCE doesn't apply: This coupon has been used up." in cart, cart
    assert await OrderRow.filter(user__telegram_id=1102).count() == 0
    # Checkout again names the same reason; without the coupon the order goes through.
    await bob.press("✅ Checkout")
    assert (bob.last_callback_answer or {}).get("text") == USED_UP
    await bob.press("✖️ Coupon ONCE")
    await bob.press("✅ Checkout")
    assert "Where should we deliver?" in bob.last_bot_message.content, bob.transcript()


async def test_language_change_returns_and_tier_names_follow_it(shop: Sandboxed) -> None:
    carol = shop.sandbox.user(1103, "Carol")
    await carol.send("/start")
    # chosen from the main menu: back to the main menu, in the new language
    await carol.press("🌐 Language")
    await carol.press("中文")
    assert "您想做什么？" in carol.last_bot_message.content, carol.transcript()
    assert "👤 Profile" not in carol.last_bot_message.button_texts()
    # chosen from the profile: back to the profile; the tier's name is in Chinese too
    await carol.send("/profile")
    assert "会员等级：会员" in carol.last_bot_message.content, carol.transcript()
    await carol.send("/points")  # the next tier's name too
    points = carol.last_bot_message.content
    assert "会员等级：会员" in points and "银卡" in points, carol.transcript()
    assert "Member" not in points and "Silver" not in points, points
    await carol.send("/profile")
    await carol.press("🌐 语言")
    await carol.press("English")
    text = carol.last_bot_message.content
    assert "Your profile" in text and "Membership tier: Member" in text, carol.transcript()


async def at_review(shopper, mug_id: int) -> None:  # type: ignore[no-untyped-def]
    """A shopper with one mug in the cart, on the checkout's review screen."""
    await shopper.send("/start")
    await shopper.press_data(f"cart:add:{mug_id}:0")
    await shopper.send("/cart")
    await shopper.press("✅ Checkout")
    await add_address(shopper)
    await shopper.press("Pick up at the shop — $0.00")
    assert "Checkout, step 3 of 3" in shopper.last_bot_message.content, shopper.transcript()


async def test_sold_out_at_checkout_says_so_on_the_cart_as_it_is_now(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)  # 5 mugs in stock
    bob, alice = shop.sandbox.user(1104, "Bob"), shop.sandbox.user(1105, "Alice")
    await at_review(bob, goods.mug_id)
    # Alice takes the last five between Bob's cart and his confirmation.
    await alice.send("/start")
    buyer = await shop.app.services.users.repo.get_by_telegram_id(1105)
    assert buyer is not None
    await shop.app.services.carts.add(buyer.id, goods.mug_id, None, 5)
    await alice.send("/cart")
    await alice.press("✅ Checkout")
    await add_address(alice)
    await alice.press("Pick up at the shop — $0.00")
    await alice.press("💳 Confirm and pay by card")
    assert await OrderRow.filter(user__telegram_id=1105).count() == 1

    await bob.press("💳 Confirm and pay by card")
    assert (bob.last_callback_answer or {}).get("text") == "Mug is sold out.", bob.transcript()
    cart = bob.last_bot_message
    assert "Your cart" in cart.content and "Mug × 1" in cart.content, cart.content
    assert "⚠️ Sold out: accepting the changes removes it." in cart.content, cart.content
    assert "✅ Checkout" not in cart.button_texts() and "👌 Accept changes" in cart.button_texts()
    assert await OrderRow.filter(user__telegram_id=1104).count() == 0
    await bob.press("👌 Accept changes")
    assert "Your cart is empty" in bob.last_bot_message.content, bob.transcript()


async def test_price_changed_at_checkout_says_so_on_the_cart_as_it_is_now(
    shop: Sandboxed,
) -> None:
    goods = await seed_goods(shop.app.services.catalog)  # the mug at $12.00
    dora = shop.sandbox.user(1106, "Dora")
    await at_review(dora, goods.mug_id)
    await shop.app.services.catalog.update_product(goods.mug_id, price=1500)

    await dora.press("💳 Confirm and pay by card")
    reason = "The price of Mug changed to $15.00."
    assert (dora.last_callback_answer or {}).get("text") == reason, dora.transcript()
    cart = dora.last_bot_message
    assert "Your cart" in cart.content and "Mug × 1 — $15.00" in cart.content, cart.content
    assert "⚠️ Price changed: was $12.00, now $15.00." in cart.content, cart.content
    assert "👌 Accept changes" in cart.button_texts()
    assert await OrderRow.filter(user__telegram_id=1106).count() == 0
    # Accepted, then changed again while the cart is on screen: Checkout names the new cause
    # on the redrawn cart; once accepted, the price shown is the one charged.
    await dora.press("👌 Accept changes")
    assert "✅ Checkout" in dora.last_bot_message.button_texts(), dora.transcript()
    await shop.app.services.catalog.update_product(goods.mug_id, price=1400)
    await dora.press("✅ Checkout")
    reason = "The price of Mug changed to $14.00."
    assert (dora.last_callback_answer or {}).get("text") == reason, dora.transcript()
    assert "was $15.00, now $14.00" in dora.last_bot_message.content, dora.transcript()
    await dora.press("👌 Accept changes")
    await dora.press("✅ Checkout")
    await dora.press("⭐ Alice Liddell, Christ Church, St Aldates, Oxford")
    await dora.press("Pick up at the shop — $0.00")
    assert "Total: $14.00" in dora.last_bot_message.content, dora.transcript()
