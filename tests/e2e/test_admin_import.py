"""The chat's CSV import with categories that don't exist yet (issue 19 item 3): the import
screen explains categories and sends a template that imports as it is; a file naming missing
categories lists them with "Create them and import", which creates them and the goods in one
transaction; "Add another" after creating a category stays at the same level."""

from __future__ import annotations

from demo.harness import Sandboxed
from storage.catalog.models import CategoryRow, ProductRow
from tests.e2e.test_admin import OWNER, last, seed_tea


async def test_import_offers_to_create_missing_categories(kiosk: Sandboxed) -> None:
    await seed_tea(kiosk)
    owner = kiosk.sandbox.user(OWNER, "Olga", username="olga")
    await owner.send("/admin")
    await owner.press("📑 Import / Export")
    assert "Goods live in categories" in last(owner)
    await owner.press("📄 Template file")
    template = owner.last_bot_message.document
    assert template is not None and template["file_name"] == "kiosk-import-template.csv"
    content = kiosk.sandbox.files.by_id[template["file_id"]].content

    await owner.send("/admin")
    await owner.press("📑 Import / Export")
    await owner.press("⬆️ Import CSV")
    missing = (
        "sku,title_en,category,price,stock\n"
        "OO-1,Oolong,Tea / Oolong,9.00,5\n"
        "HB-1,Chamomile,Herbal,4.00,8\n"
    )
    await owner.send_document(missing.encode(), file_name="goods.csv", mime_type="text/csv")
    report = last(owner)
    assert "these categories don't exist" in report
    assert "• Tea / Oolong" in report and "• Herbal" in report
    assert await ProductRow.filter(sku__in=["OO-1", "HB-1"]).count() == 0
    assert await CategoryRow.filter(name_en="Herbal").count() == 0
    offer = owner.last_bot_message
    data = [
        b["callback_data"] for row in offer.inline_buttons for b in row if "Create" in b["text"]
    ]
    await owner.press("➕ Create them and import")
    assert "Imported: 2 new, 0 updated." in last(owner) and "Categories created: 2." in last(owner)
    tea = await CategoryRow.get(name_en="Tea")
    oolong = await CategoryRow.get(name_en="Oolong")
    assert oolong.parent_id == tea.id  # type: ignore[attr-defined]
    assert (await ProductRow.get(sku="OO-1")).category_id == oolong.id  # type: ignore[attr-defined]
    # Pressing again imports nothing twice: the preview was used up.
    await owner.press_data(data[0])
    answer = str((owner.last_callback_answer or {}).get("text", "")) + last(owner)
    assert "expired" in answer
    assert await CategoryRow.filter(name_en="Oolong").count() == 1

    # The template imports as it is (into the shop's first category).
    await owner.send("/admin")
    await owner.press("📑 Import / Export")
    await owner.press("⬆️ Import CSV")
    await owner.send_document(content, file_name="template.csv", mime_type="text/csv")
    assert "Imported: 2 new, 0 updated." in last(owner)
    assert await ProductRow.filter(sku__startswith="SAMPLE-").count() == 2


async def test_add_another_category_at_the_same_level(kiosk: Sandboxed) -> None:
    await seed_tea(kiosk)
    owner = kiosk.sandbox.user(OWNER, "Olga", username="olga")
    await owner.send("/admin")
    await owner.press("🗂 Categories")
    await owner.press("Tea")
    await owner.press("➕ New here")
    await owner.send("Oolong | 乌龙茶")
    assert "Category created." in last(owner)
    await owner.press("➕ Add another")
    await owner.send("Black tea | 红茶")
    tea = await CategoryRow.get(name_en="Tea")
    black = await CategoryRow.get(name_en="Black tea")
    assert black.parent_id == tea.id  # type: ignore[attr-defined]
