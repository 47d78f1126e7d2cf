"""Admin paths not covered elsewhere: categories, the audit log, activating and deleting goods."""
# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

from demo.harness import Sandboxed
from storage.catalog.models import CategoryRow, ProductRow
from tests.e2e.shop_fixtures import seed_goods, shop, shop_mode  # noqa: F401
from tests.e2e.test_admin import OWNER, STALE, UNKNOWN, last, relax_throttle, seed_tea
from tests.e2e.test_checkout import checkout_to_invoice


async def test_owner_creates_renames_moves_and_reorders_a_category(kiosk: Sandboxed) -> None:
    await seed_tea(kiosk)
    tea = await CategoryRow.get(name_en="Tea")
    owner = kiosk.sandbox.user(OWNER, "Olga", username="olga")
    await owner.send("/admin")
    await owner.press("🗂 Categories")
    assert "(top level)" in last(owner)
    await owner.press("➕ New here")
    await owner.send("Coffee | 咖啡")
    assert "Category created." in last(owner)
    coffee = await CategoryRow.get(name_en="Coffee")
    assert (coffee.name_zh, coffee.parent_id) == ("咖啡", None)  # type: ignore[attr-defined]

    await owner.press("✏️ Rename")
    await owner.send_photo(b"\xff\xd8 not a name")
    assert "as text" in last(owner)
    await owner.send("Coffee beans | 咖啡豆")
    assert "Renamed." in last(owner)
    await coffee.refresh_from_db()
    assert (coffee.name_en, coffee.name_zh) == ("Coffee beans", "咖啡豆")

    await owner.press("↪️ Move")
    await owner.press("Tea")
    await coffee.refresh_from_db()
    assert coffee.parent_id == tea.id  # type: ignore[attr-defined]
    positions_before = [
        c.id for c in await CategoryRow.filter(parent_id=tea.id).order_by("position", "id")
    ]
    assert positions_before[-1] == coffee.id
    await owner.press("🔼 Up")
    positions_after = [
        c.id for c in await CategoryRow.filter(parent_id=tea.id).order_by("position", "id")
    ]
    assert positions_after[0] == coffee.id

    # A category can't be moved under its own descendant (no cycles are even offered).
    await owner.send("/admin")
    await owner.press("🗂 Categories")
    await owner.press("Tea")
    await owner.press("↪️ Move")
    offered = owner.last_bot_message.button_texts()
    assert not any(text.startswith("Tea") for text in offered), offered

    # Every action above is in the audit log, which only owners read.
    replies = await owner.send("/audit")
    log = replies[-1].content
    assert log.count("categor") >= 3, log


async def test_categories_and_audit_are_invisible_to_non_admins(kiosk: Sandboxed) -> None:
    await seed_tea(kiosk)
    tea = await CategoryRow.get(name_en="Tea")
    mallory = kiosk.sandbox.user(1666, "Mallory")
    await mallory.send("/start")
    assert last(mallory) != ""
    assert (await mallory.send("/audit"))[-1].content == UNKNOWN
    for data in (
        f"adc:open:{tea.id}:0",
        f"adc:move:{tea.id}:0",
        f"adc:to:{tea.id}:0",
        f"adc:up:{tea.id}:0",
        "adm:audit",
        "adm:categories",
    ):
        await mallory.press_data(data)
        assert (mallory.last_callback_answer or {}).get("text") == STALE, data
    await tea.refresh_from_db()
    assert tea.parent_id is None and tea.name_en == "Tea"  # type: ignore[attr-defined]


async def test_goods_deactivate_activate_and_delete_only_when_unreferenced(
    shop: Sandboxed,
) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    relax_throttle(shop)
    alice = shop.sandbox.user(1003, "Alice")
    await checkout_to_invoice(
        shop, alice, goods, "💳 Confirm and pay by card"
    )  # refers to the mug
    owner = shop.sandbox.user(OWNER, "Olga")

    async def open_product(sku: str) -> None:
        await owner.send("/admin")
        await owner.press("📦 Goods")
        await owner.press("🔎 Find a product")
        await owner.send(sku)

    await open_product("MUG-1")
    await owner.press("⏸ Deactivate")
    assert (await ProductRow.get(id=goods.mug_id)).active is False
    replies = await alice.send(f"/start p_{goods.mug_id}")
    assert any("isn't available" in m.content for m in replies)
    await owner.press("▶️ Activate")
    assert (await ProductRow.get(id=goods.mug_id)).active is True
    await owner.press("🗑 Delete")
    await owner.press("🗑 Yes, delete")
    mug = await ProductRow.get(id=goods.mug_id)  # an order refers to it: hidden, not deleted
    assert mug.active is False

    await open_product("TEE-1")
    await owner.press("🗑 Delete")
    await owner.press("🗑 Yes, delete")
    assert not await ProductRow.exists(id=goods.shirt_id)
