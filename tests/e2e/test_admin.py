"""Merchant admin end to end: goods dialog, edits, CSV import/export, stock, staff roles, and
non-admins who must not notice the admin exists. Runs on both shapes against the sandbox."""

from __future__ import annotations

from typing import Any

from bot.middlewares import ThrottleMiddleware
from demo.harness import Sandboxed
from domain.catalog.service import CategoryDraft, Localized
from sandbox.messages import add_message
from storage.catalog.models import ProductRow
from storage.inventory.ledger import ledger_balance

OWNER = 9000
UNKNOWN = "I don't know that command. /help lists what I can do."
STALE = "This button is no longer active."
OWNERS_ONLY = "Only the shop's owners can do that."


def relax_throttle(k: Sandboxed) -> None:
    """The script types faster than a person; the flood guard would drop its messages."""
    for middleware in k.app.dp.update.outer_middleware:
        if isinstance(middleware, ThrottleMiddleware):
            middleware.rate, middleware.burst = 1000.0, 1000.0


async def seed_tea(k: Sandboxed) -> None:
    relax_throttle(k)
    catalog = k.app.services.catalog
    tea = await catalog.create_category(CategoryDraft(Localized("Tea", "茶")))
    await catalog.create_category(CategoryDraft(Localized("Green tea", "绿茶"), parent_id=tea.id))


def last(user: Any) -> str:
    return str(user.last_bot_message.content)


async def test_owner_creates_edits_imports_exports_and_adjusts_stock(kiosk: Sandboxed) -> None:
    await seed_tea(kiosk)
    owner = kiosk.sandbox.user(OWNER, "Olga", username="olga")
    await owner.send("/admin")
    menu = owner.last_bot_message.button_texts()
    assert "📦 Goods" in menu and "👥 Staff" in menu and "📣 Campaigns" in menu
    assert "🧾 Orders" in menu and "📊 Reports" in menu  # part 2 (tests/e2e/test_back_office)
    await owner.press("📦 Goods")
    await owner.press("➕ New product")
    await owner.press("📦 Goods we ship")  # the kind of goods (issue 18)
    await owner.send_photo(b"\xff\xd8not-text")
    assert "as text" in last(owner)
    await owner.send("Dragon Well")
    await owner.press("⏭ Skip")
    await owner.send("Spring tea from Hangzhou.")
    await owner.press("Tea ›")
    await owner.press("Green tea")
    await owner.send("-5")
    assert "can't be negative" in last(owner)
    await owner.send("twelve")
    assert "as a number" in last(owner)
    await owner.send("12.505")
    assert "at most 2 decimals" in last(owner)
    await owner.send("12,50")
    await owner.send("a photo please")
    assert "send a photo" in last(owner)
    await owner.send_photo(b"\xff\xd8photo-1")
    await owner.send_photo(b"\xff\xd8photo-2")
    await owner.press("✅ Done")
    await owner.send("Weight: 250 g\nOrigin: Hangzhou")
    await owner.send("-3")
    assert "can't be negative" in last(owner)
    await owner.press("⬅️ Back")  # back to specs, then forward again
    assert "key: value" in owner.bot_messages[-2].content  # the prompt, edited in place
    await owner.send("Weight: 250 g\nOrigin: Hangzhou")
    await owner.send("20")
    await owner.press("⏭ Skip")
    assert "$12.50" in last(owner) and "Photos: 2" in last(owner)
    await owner.press("💾 Save")
    row = await ProductRow.get(title_en="Dragon Well")
    assert (row.price, len(row.photos), row.on_hand, row.currency) == (1250, 2, 20, "USD")
    assert row.specs == [["Weight", "250 g"], ["Origin", "Hangzhou"]]
    assert await ledger_balance(row.id, None) == (20, 0)

    await owner.press("✏️ Price")
    await owner.send("13")
    assert "Saved." in last(owner)
    assert (await ProductRow.get(id=row.id)).price == 1300

    # Import: a file with errors changes nothing and lists every bad line.
    await owner.send("/admin")
    await owner.press("📑 Import / Export")
    await owner.press("⬆️ Import CSV")
    await owner.send("not a file")
    assert "as a file" in last(owner)
    bad = (
        b"sku,title_en,category,price,stock\n"
        b"TEA-1,Sencha,Tea / Green tea,8.00,5\n"
        b"TEA-1,Sencha again,Tea,8.00,5\n"
        b"TEA-2,Hojicha,Coffee,-1,x\n"
    )
    await owner.send_document(bad, file_name="goods.csv", mime_type="text/csv")
    report = last(owner)
    assert "Nothing was imported" in report
    assert "Line 3: SKU TEA-1 is already on line 2." in report
    assert "Line 4: Unknown category: Coffee." in report
    assert "Line 4: price: A price can't be negative." in report
    assert await ProductRow.filter(sku__in=["TEA-1", "TEA-2"]).count() == 0
    good = (
        "\ufeffsku,title_en,category,price,stock\nTEA-1,Sencha,Tea / Green tea,8.00,5\n"
        "TEA-2,Hojicha,Tea,6,\n"
    )
    await owner.send_document(good.encode(), file_name="goods.csv", mime_type="text/csv")
    assert "Imported: 2 new, 0 updated" in last(owner)
    await owner.send("/admin")
    await owner.press("📑 Import / Export")
    await owner.press("⬆️ Import CSV")
    gbk = "sku,title_en,title_zh,category,price\nTEA-2,Hojicha,焙茶,茶/绿茶,6.5\n".encode("gbk")
    await owner.send_document(gbk, file_name="goods.csv", mime_type="text/csv")
    assert "0 new, 1 updated" in last(owner)
    tea2 = await ProductRow.get(sku="TEA-2")
    assert (tea2.title_zh, tea2.price) == ("焙茶", 650)

    await owner.send("/admin")
    await owner.press("📑 Import / Export")
    await owner.press("⬇️ Export CSV")
    document = owner.last_bot_message.document
    assert document is not None and document["file_name"] == "catalogue.csv"
    exported = kiosk.sandbox.files.by_id[document["file_id"]].content.decode("utf-8-sig")
    assert exported.splitlines()[0].startswith("sku,title_en,title_zh")
    assert "TEA-2,Hojicha,焙茶" in exported and "Dragon Well" in exported

    # Stock: TEA-2 came in with no stock, so it is on the low/out list.
    await owner.send("/stock")
    await owner.press("⛔️ Hojicha — 0 left")
    await owner.press("Received")
    await owner.send("0")
    assert "greater than 0" in last(owner)
    await owner.send("10")
    assert "Stock updated" in last(owner) and "10 on hand" in last(owner)
    await owner.press("Damaged")
    await owner.send("11")
    assert "below zero" in last(owner)
    assert await ledger_balance(tea2.id, None) == (10, 0)
    assert (await ProductRow.get(id=tea2.id)).on_hand == 10

    await owner.send("/audit")
    log = last(owner)
    assert "stock.adjust" in log and "catalog.import" in log and "product.create" in log


async def test_staff_roles_and_forged_buttons(kiosk: Sandboxed) -> None:
    await seed_tea(kiosk)
    owner = kiosk.sandbox.user(OWNER, "Olga")
    bob = kiosk.sandbox.user(9200, "Bob", username="bob_the_manager")
    mallory = kiosk.sandbox.user(9300, "Mallory")
    await bob.send("/start")

    # A shopper sees no admin at all: the same answers as unknown commands / stale buttons.
    await mallory.send("/start")
    await mallory.send("/admin")  # told how owners are configured, not who they are
    assert "ADMIN_IDS" in last(mallory) and str(OWNER) not in last(mallory)
    await mallory.send("/stock")
    assert last(mallory) == UNKNOWN
    for forged in ("adm:goods", "adg:open:1::0", "adst:add:0:1", "ads:list:0:0:1:"):
        await mallory.press_data(forged)
        assert mallory.last_callback_answer is not None
        assert mallory.last_callback_answer.get("text") == STALE

    await owner.send("/admin")
    await owner.press("👥 Staff")
    await owner.press("➕ Add manager")
    await owner.send("@nobody_known_here")
    assert "I don't know @nobody_known_here" in last(owner)
    await owner.send("@Bob_The_Manager")
    assert "is a manager now" in last(owner)

    await bob.send("/admin")
    menu = bob.last_bot_message.button_texts()
    assert "📦 Goods" in menu and "👥 Staff" not in menu and "📜 Audit log" not in menu
    await bob.send("/staff")
    assert last(bob) == OWNERS_ONLY
    await bob.press_data("adst:add:0:1")
    assert bob.last_callback_answer is not None
    assert bob.last_callback_answer.get("text") == OWNERS_ONLY
    changed = await bob.press("📦 Goods")  # managers run the goods
    assert any("Goods" in m.content for m in changed)

    # Forwarded message from a person: they become a manager too.
    await owner.send("/staff")
    await owner.press("➕ Add manager")
    seq0 = kiosk.sandbox._seq
    msg = add_message(kiosk.sandbox, owner.bot, owner.chat, False, owner.user_dict, text="hi")
    msg.raw["forward_origin"] = {
        "type": "user",
        "date": msg.date,
        "sender_user": {"id": 9400, "is_bot": False, "first_name": "Carol"},
    }
    await owner._act("message", msg.raw, True, seq0, "forwarded message")
    assert "is a manager now" in last(owner)
    assert await kiosk.app.services.staff.role_of(9400) == "manager"

    # Removing Bob takes effect at once: his old button and /admin stop working.
    await owner.send("/staff")
    await owner.press("➖ Remove Bob")
    await owner.press("➖ Yes, remove")
    await bob.press_data("adm:goods")
    assert bob.last_callback_answer is not None
    assert bob.last_callback_answer.get("text") == STALE
    await bob.send("/admin")  # no longer staff: the explanation, no admin menu
    assert "ADMIN_IDS" in last(bob) and str(OWNER) not in last(bob)
    assert not bob.last_bot_message.button_texts()
