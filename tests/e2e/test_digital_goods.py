"""Digital goods through the sandbox: the merchant adds codes in the chat admin (bad input
refused whole), a shopper buys one in Stars and gets the code at once, sees it again from
/orders (nobody else can), a refund revokes it; a mixed cart becomes two invoices."""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

from demo.harness import Sandboxed
from domain.catalog.service import CategoryDraft, Localized, ProductDraft
from domain.catalog.types import ProductKind
from storage.catalog.models import DigitalUnitRow, ProductRow
from storage.orders.models import OrderRow, PaymentRow
from tests.e2e.shop_fixtures import seed_goods, shop, shop_mode  # noqa: F401
from tests.e2e.test_checkout import add_address


async def seed_key(shop: Sandboxed) -> int:
    """A $5.00 game key (250 Stars at the shop's rate of 2 cents a star)."""
    catalog = shop.app.services.catalog
    category = await catalog.create_category(CategoryDraft(Localized("Games", "游戏")))
    key = await catalog.create_product(
        ProductDraft(
            "KEY-1",
            category.id,
            Localized("Game key", "游戏激活码"),
            500,
            kind=ProductKind.DIGITAL,
        )
    )
    return key.id


async def test_merchant_adds_codes_and_a_shopper_buys_one_in_stars(shop: Sandboxed) -> None:
    key_id = await seed_key(shop)
    owner = shop.sandbox.user(9000, "Merchant")
    await owner.send("/start")
    await owner.send("/admin")
    await owner.press("📦 Goods")
    await owner.press("🔎 Find a product")
    await owner.send("KEY-1")
    await owner.press("🔑 Codes and files")
    await owner.press("📋 Add codes")
    # Bad input is refused whole, with the reason; nothing is added.
    replies = await owner.send("AAA-111\nBBB-222\nAAA-111")
    assert "Line 3 repeats line 1" in replies[-1].content, owner.transcript()
    replies = await owner.send("AAA-111\n\nBBB-222")
    assert "Line 2 is empty" in replies[-1].content
    replies = await owner.send_document(bytes(range(256)) * 64, "codes.txt", "text/plain")
    assert "isn't a text list" in replies[-1].content, owner.transcript()
    replies = await owner.send_document(b"A" * (50 * 1024 * 1024), "huge.txt", "text/plain")
    assert "at most 1 MB" in replies[-1].content, owner.transcript()
    assert await DigitalUnitRow.filter(product_id=key_id).count() == 0
    replies = await owner.send_document(b"code\nAAA-111\nBBB-222\n", "codes.csv", "text/csv")
    assert "Added 2. Now 2 left" in replies[-1].content, owner.transcript()
    replies = await owner.send("BBB-222\nCCC-333")
    assert "already in the pool" in replies[-1].content
    assert (await ProductRow.get(id=key_id)).on_hand == 2

    alice = shop.sandbox.user(1101, "Alice")
    await alice.send("/start")
    await alice.press_data(f"cart:add:{key_id}:0")
    await alice.send("/cart")
    replies = await alice.press("✅ Checkout")  # nothing to ship: straight to the review
    review = replies[-1].content
    assert "paid in Telegram Stars" in review and "250 ⭐" in review, alice.transcript()
    replies = await alice.press("⭐ Confirm and pay 250 Stars")
    [invoice] = [m for m in replies if m.raw.get("invoice")]
    assert invoice.raw["invoice"]["currency"] == "XTR"
    paid = await alice.pay_invoice(deliver_times=3)  # Telegram delivering it three times
    assert paid.ok and paid.currency == "XTR", paid.error
    got = [m for m in alice.bot_messages if "AAA-111" in m.content]
    assert len(got) == 1 and "Payment received" in got[0].content, alice.transcript()
    order = await OrderRow.get(user__telegram_id=1101)
    assert (order.status, order.fulfilment_status, order.digital) == (
        "delivered",
        "delivered",
        True,
    )
    assert await PaymentRow.filter(order_id=order.id).count() == 1

    # /orders shows it again, to its buyer only.
    await alice.send("/orders")
    await alice.press(f"#{order.id} · 📬 Delivered · 250 ⭐")
    replies = await alice.press("🔑 Show what I bought")
    assert any("AAA-111" in m.content for m in replies), alice.transcript()
    mallory = shop.sandbox.user(1102, "Mallory")
    await mallory.send("/start")
    await mallory.press_data(f"ord:k:{order.id}:1", expect_reply=False)
    assert "doesn't exist" in str(mallory.last_callback_answer) + mallory.transcript()
    assert not any("AAA-111" in m.content for m in mallory.bot_messages), mallory.transcript()

    # A refund gives the Stars back and revokes the code: never shown nor sold again.
    await alice.send("/orders")
    await alice.press(f"#{order.id} · 📬 Delivered · 250 ⭐")
    await alice.press("↩️ Ask for a refund")
    await alice.send("wrong region")
    assert [r["telegram_payment_charge_id"] for r in shop.sandbox.refunds] == [
        paid.telegram_payment_charge_id
    ]
    unit = await DigitalUnitRow.get(payload="AAA-111")
    assert unit.status == "revoked"
    assert (await ProductRow.get(id=key_id)).on_hand == 1  # BBB-222 only
    await alice.press_data(f"ord:k:{order.id}:1", expect_reply=False)
    assert "nothing to show" in (alice.last_callback_answer or {}).get("text", "")


async def test_a_mixed_cart_becomes_two_invoices(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    key_id = await seed_key(shop)
    await shop.app.services.digital.add_codes(key_id, "MIX-1\nMIX-2", actor=9000)
    bob = shop.sandbox.user(1103, "Bob")
    await bob.send("/start")
    await bob.press_data(f"cart:add:{goods.mug_id}:0")
    await bob.press_data(f"cart:add:{key_id}:0")
    await bob.send("/cart")
    await bob.press("✅ Checkout")
    await add_address(bob)
    await bob.send("/cart")
    await bob.press("✅ Checkout")
    await bob.press("⭐ Alice Liddell, Christ Church, St Aldates, Oxford")
    replies = await bob.press("Standard delivery — $5.00")
    review = replies[-1].content
    assert "two invoices" in review and "Goods we ship" in review, bob.transcript()
    replies = await bob.press("💳 Confirm and pay by card + 250 ⭐ (two invoices)")
    invoices = [m for m in replies if m.raw.get("invoice")]
    assert [
        (m.raw["invoice"]["currency"], m.raw["invoice"]["total_amount"]) for m in invoices
    ] == [
        ("USD", 1700),
        ("XTR", 250),
    ], bob.transcript()
    assert (await bob.pay_invoice(invoices[1].message_id)).ok
    assert any("MIX-1" in m.content for m in bob.bot_messages), bob.transcript()
    assert (await bob.pay_invoice(invoices[0].message_id)).ok
    orders = await OrderRow.filter(user__telegram_id=1103).order_by("digital")
    assert [(o.digital, o.status) for o in orders] == [(False, "paid"), (True, "delivered")]
    assert (await ProductRow.get(id=goods.mug_id)).on_hand == 4
