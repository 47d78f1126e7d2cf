"""A new owner sets the shop up from the chat alone: the checklist from an empty shop to a
paid test order, each step ticking itself and the checklist coming back after each flow."""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

import json

from demo.harness import Sandboxed
from domain.catalog.service import Localized, ProductDraft
from storage.shop.models import ShopDetailsRow
from tests.e2e.shop_fixtures import shop, shop_mode  # noqa: F401
from tests.e2e.test_checkout import add_address

OWNER = 9000


def calls(k: Sandboxed, method: str) -> list[dict[str, object]]:
    return [c.params for c in k.sandbox.calls if c.method.lower() == method.lower() and c.ok]


async def test_an_owner_sets_up_an_empty_shop_to_a_test_order(shop: Sandboxed) -> None:
    owner = shop.sandbox.user(OWNER, "Olga")
    await owner.send("/start")
    text = owner.last_bot_message.content
    # payments are configured by the fixture (a TEST card provider and Stars): 1 step done
    assert "1 of 6 done" in text and "⬜ 3. First category" in text, owner.transcript()

    # 1. name, description, photo: stored, and told to Telegram (the bot's own name)
    await owner.press("1. Shop name, description and photo")
    await owner.send("Tea House")
    await owner.send("Fine loose-leaf teas, shipped fast.")
    await owner.send_photo(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert "2 of 6 done" in owner.last_bot_message.content, owner.transcript()
    row = await ShopDetailsRow.get(id=1)
    assert (row.name, row.description) == ("Tea House", "Fine loose-leaf teas, shipped fast.")
    assert row.photo_file_id
    assert [c["name"] for c in calls(shop, "setMyName")] == ["Tea House"]
    assert calls(shop, "setMyDescription") and calls(shop, "setMyShortDescription")

    # 2. payments: what is configured, and where the Stars price comes from
    await owner.press("✅ Currency and payments")
    text = owner.last_bot_message.content
    assert "TEST provider" in text and "CHECKOUT__MINOR_UNITS_PER_STAR = 2" in text, text
    assert "$8.00 costs 400 ⭐" in text, text
    await owner.press("⬅️ Checklist")

    # 3. the existing category flow, and back to the checklist by itself
    await owner.press("3. First category")
    await owner.press("➕ New category")
    await owner.send("Tea | 茶")
    text = owner.last_bot_message.content
    assert "✅ Done: First category" in text and "3 of 6 done" in text, owner.transcript()

    # 4. a product (here through the service, as an import or the console would add it)
    category = (await shop.app.services.merchant.categories())[0]
    draft = ProductDraft("TEA-1", category.id, Localized("Green tea", "绿茶"), 800, on_hand=5)
    await shop.app.services.merchant.create_product(OWNER, draft)
    await owner.press("4. First product (or a CSV import)")
    await owner.press("⬅️ Checklist")
    assert "4 of 6 done" in owner.last_bot_message.content, owner.transcript()

    # 5. the test order: the owner buys like a shopper, back to the checklist once paid
    await owner.press("5. A test order")
    assert "4242 4242 4242 4242" in owner.last_bot_message.content
    await owner.press("🛒 Put it in my cart")
    await owner.press("✅ Checkout")
    await add_address(owner)  # the address detour comes back to the checkout's next step
    await owner.press("Pick up at the shop — $0.00")
    await owner.press("💳 Confirm and pay by card")
    paid = await owner.pay_invoice()
    assert paid.ok, paid.error
    text = owner.last_bot_message.content
    assert "✅ Done: A test order" in text and "5 of 6 done" in text, owner.transcript()

    # 6. the share links: the bot's t.me link and a product deep link
    await owner.press("6. Share your shop")
    username = shop.sandbox.bot().username
    text = "\n".join(m.content for m in owner.bot_messages[-2:])
    assert f"https://t.me/{username}" in text and "?start=p_" in text, text
    assert "6 of 6 done" in owner.last_bot_message.content, owner.transcript()

    # reopened from /admin (a shop with products opens the menu, the checklist is a section)
    await owner.send("/admin")
    await owner.press("🧭 Setup checklist")
    assert "All done" in owner.last_bot_message.content
    # the owner's own command menu has the staff commands, in both languages
    owners_menu = shop.sandbox.bot().commands
    scope = json.dumps({"chat_id": OWNER, "type": "chat"}, sort_keys=True)
    assert "admin" in {c["command"] for c in owners_menu[(scope, "")]}
    assert "staff" in {c["command"] for c in owners_menu[(scope, "zh")]}
