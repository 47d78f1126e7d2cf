"""The merchant's side of digital goods and services, end to end through the sandbox: the chat
admin's new-product dialog asks what is sold and its Stars price (showing the price the shop's
rate would give), the product is created with that kind and bought in Stars; "📎 Add files"
turns a document or a photo into a unit its buyer receives after paying (a video, text or the
same file twice get clear answers, nothing added); the low-stock alert fires as units sell and
adding units to a sold-out product tells the shoppers waiting for it."""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

from bot.jobs.alerts import back_in_stock_alerts
from bot.jobs.scheduler import JobContext
from bot.jobs.shop import low_stock_alerts
from demo.harness import Sandboxed
from domain.catalog.service import CategoryDraft, Localized
from handlers.admin.callbacks import GoodsCb
from handlers.catalog.callbacks import CardCb
from storage.catalog.models import DigitalUnitRow, ProductRow
from storage.orders.models import OrderRow
from tests.e2e.shop_fixtures import shop, shop_mode  # noqa: F401
from tests.e2e.test_admin import relax_throttle

OWNER = 9000
RUNNING_LOW = "Running low"


def job_context(shop: Sandboxed) -> JobContext:
    return JobContext(bot=shop.app.bot, services=shop.app.services, settings=shop.settings)


def sent_to(shop: Sandboxed, chat_id: int, needle: str) -> list[str]:
    """Texts ever sent to the chat containing `needle` (even if edited away since)."""
    return [
        str(c.params.get("text"))
        for c in shop.sandbox.calls
        if c.method == "sendMessage"
        and c.ok
        and str(c.params.get("chat_id")) == str(chat_id)
        and needle in str(c.params.get("text"))
    ]


def last(user) -> str:  # type: ignore[no-untyped-def]
    return str(user.last_bot_message.content)


async def new_product(owner, kind: str, title: str, price: str) -> None:  # type: ignore[no-untyped-def]
    """The dialog up to its Stars question: kind, title, no Chinese title or description,
    the Books category, the price, no photos, no specs."""
    await owner.send("/admin")
    await owner.press("📦 Goods")
    await owner.press("➕ New product")
    assert "What are you selling?" in last(owner), owner.transcript()
    await owner.press(kind)
    await owner.send(title)
    await owner.press("⏭ Skip")
    await owner.press("⏭ Skip")
    await owner.press("Books")
    await owner.send(price)
    await owner.press("✅ Done")
    await owner.press("⏭ Skip")


async def buy_in_stars(shop: Sandboxed, telegram_id: int, product_id: int, stars: int):  # type: ignore[no-untyped-def]
    buyer = shop.sandbox.user(telegram_id, f"Buyer {telegram_id}")
    await buyer.send("/start")
    await buyer.press_data(f"cart:add:{product_id}:0")
    await buyer.send("/cart")
    replies = await buyer.press("✅ Checkout")
    assert f"{stars} ⭐" in replies[-1].content, buyer.transcript()
    replies = await buyer.press(f"⭐ Confirm and pay {stars} Stars")
    [invoice] = [m for m in replies if m.raw.get("invoice")]
    assert (invoice.raw["invoice"]["currency"], invoice.raw["invoice"]["total_amount"]) == (
        "XTR",
        stars,
    )
    paid = await buyer.pay_invoice(invoice.message_id)
    assert paid.ok, paid.error
    return buyer


async def test_merchant_creates_a_digital_good_adds_files_and_buyers_get_them(
    shop: Sandboxed,
) -> None:
    relax_throttle(shop)
    ctx = job_context(shop)
    await shop.app.services.catalog.create_category(CategoryDraft(Localized("Books", "书")))
    owner = shop.sandbox.user(OWNER, "Olga")
    await owner.send("/start")
    await new_product(owner, "🔑 Digital: codes, keys, links or files", "Tea guide", "5")
    # The Stars question shows what the shop's rate (2 cents a Star) would make of $5.00.
    assert "paid in Telegram Stars" in last(owner) and "Skip to use 250 ⭐" in last(owner)
    assert last(owner).startswith("Step 8/9. ")  # a digital good still has its threshold step
    await owner.send("many")
    assert "as a number" in last(owner) or "whole number" in last(owner), owner.transcript()
    await owner.send("120")
    assert "Warn me when stock falls" in last(owner), owner.transcript()
    await owner.send("1")
    summary = last(owner)
    assert "Kind: 🔑 Digital: codes, keys, links or files" in summary, owner.transcript()
    assert "Paid in Stars: 120 ⭐" in summary and "Price: $5.00" in summary
    await owner.press("💾 Save")  # the product's card, then the setup checklist's nudge
    assert any("paid in Stars: 120 ⭐" in m.content for m in owner.bot_messages[-2:])
    row = await ProductRow.get(title_en="Tea guide")
    assert (row.kind, row.stars_price, row.on_hand, row.low_stock_threshold) == (
        "digital",
        120,
        0,
        1,
    )

    # 📎 Add files: a document and a photo become two units; wrong input adds nothing.
    await owner.press("🔑 Codes and files")
    await owner.press("📎 Add files")
    await owner.send("here is the guide")
    assert "Please send a file or a photo (nothing was added)" in last(owner)
    pdf = b"%PDF-1.4\n\x00\x01\x02 binary tea guide"
    replies = await owner.send_document(pdf, "tea-guide.pdf", "application/pdf")
    assert "Added 1. Now 1 left" in replies[-1].content, owner.transcript()
    [sent_pdf] = [m for m in owner.messages if m.raw.get("document") and not m.from_bot]
    replies = await owner.send_document_again(sent_pdf)  # the same file a second time
    assert "That file was added before" in replies[-1].content, owner.transcript()
    replies = await owner.send_photo(b"\xff\xd8 tea map")
    assert "Added 1. Now 2 left" in replies[-1].content, owner.transcript()
    await owner.press("✅ Done")
    assert "2 codes or files left to sell" in last(owner), owner.transcript()
    assert await DigitalUnitRow.filter(product_id=row.id).count() == 2
    assert (await ProductRow.get(id=row.id)).on_hand == 2
    await low_stock_alerts(ctx)  # 2 left, threshold 1: nothing to say yet
    assert sent_to(shop, OWNER, RUNNING_LOW) == []

    # The first buyer gets the document as it was sent; the second, the photo (as a photo:
    # Telegram refuses a photo's file_id in sendDocument, and the sandbox with it).
    alice = await buy_in_stars(shop, 1201, row.id, 120)
    [got] = [m for m in alice.bot_messages if m.raw.get("document")]
    sent = sent_pdf.raw["document"]
    assert got.raw["document"]["file_unique_id"] == sent["file_unique_id"], alice.transcript()
    assert got.raw["document"]["file_name"] == "tea-guide.pdf"
    assert any("Payment received for order" in m.content for m in alice.bot_messages)
    # One left, at the threshold: the owners hear once.
    await low_stock_alerts(ctx)
    await low_stock_alerts(ctx)
    alerts = sent_to(shop, OWNER, RUNNING_LOW)
    assert len(alerts) == 1 and "Tea guide" in alerts[0] and "1 left" in alerts[0], alerts
    bob = await buy_in_stars(shop, 1202, row.id, 120)
    photos = [m for m in bob.bot_messages if m.raw.get("photo")]
    assert len(photos) == 1, bob.transcript()
    orders = await OrderRow.filter(digital=True).order_by("id")
    assert [o.status for o in orders] == ["delivered", "delivered"]

    # Sold out: Carol asks to be told; the owner adds codes; Carol hears once.
    carol = shop.sandbox.user(1203, "Carol")
    await carol.send("/start")
    await carol.press_data(CardCb(a="o", p=row.id, v=0).pack())
    await carol.press("🔔 Notify me when it's back")
    assert "once it's back in stock" in str((carol.last_callback_answer or {}).get("text"))
    await back_in_stock_alerts(ctx)
    assert not any("back in stock!" in m.content for m in carol.bot_messages)
    await owner.press_data(GoodsCb(act="open", id=row.id).pack())
    await owner.press("🔑 Codes and files")
    await owner.press("📋 Add codes")
    replies = await owner.send("TEA-A\nTEA-B\nTEA-C")
    assert "Added 3. Now 3 left" in replies[-1].content, owner.transcript()
    await back_in_stock_alerts(ctx)
    await back_in_stock_alerts(ctx)
    back = [m.content for m in carol.bot_messages if "back in stock!" in m.content]
    assert back == ["🔔 Tea guide is back in stock! Order it before it sells out again."], back
    # Recovered above the threshold; selling down to it again is a new crossing.
    await low_stock_alerts(ctx)
    await buy_in_stars(shop, 1204, row.id, 120)
    await buy_in_stars(shop, 1205, row.id, 120)
    await low_stock_alerts(ctx)
    alerts = sent_to(shop, OWNER, RUNNING_LOW)
    assert len(alerts) == 2 and "Tea guide" in alerts[1], alerts


async def test_merchant_creates_a_service_priced_from_the_rate(shop: Sandboxed) -> None:
    """A service: no threshold step, the Stars price skipped (the summary shows what the rate
    gives), bought in Stars at that price; it has no stock, so it is never "running low"."""
    relax_throttle(shop)
    await shop.app.services.catalog.create_category(CategoryDraft(Localized("Books", "书")))
    owner = shop.sandbox.user(OWNER, "Olga")
    await owner.send("/start")
    await new_product(owner, "🛠 A service (no stock, no shipping)", "Tea tasting call", "7.99")
    assert "Skip to use 400 ⭐" in last(owner), owner.transcript()  # 799 / 2, rounded up
    assert last(owner).startswith("Step 8/8. ")  # a service's last question: no threshold
    await owner.press("⏭ Skip")
    summary = last(owner)  # straight to the summary: a service has no stock to warn about
    assert "Kind: 🛠 A service (no stock, no shipping)" in summary, owner.transcript()
    assert "Paid in Stars: 400 ⭐ (from the shop's rate)" in summary
    await owner.press("💾 Save")  # the merchant's card names the derived Stars price too
    card = "\n".join(m.content for m in owner.bot_messages[-2:])
    assert "Kind: service, paid in Stars: 400 ⭐ (from the shop's rate)" in card, card
    row = await ProductRow.get(title_en="Tea tasting call")
    assert (row.kind, row.stars_price, row.price) == ("service", None, 799)
    buyer = await buy_in_stars(shop, 1206, row.id, 400)
    order = await OrderRow.get(user__telegram_id=1206)
    assert (order.pay_currency, order.pay_amount, order.payment_status) == ("XTR", 400, "paid")
    assert buyer.last_bot_message is not None
    await low_stock_alerts(job_context(shop))
    assert sent_to(shop, OWNER, RUNNING_LOW) == [], owner.transcript()
    replies = await owner.send("/stock")  # nor on the low-stock list
    assert "Tea tasting call" not in replies[-1].content + str(replies[-1].button_texts())
