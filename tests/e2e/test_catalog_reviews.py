"""Reviews on the product card: paged list with merchant replies, hidden ones left out, and
writing a review (refused until the product was received)."""

from __future__ import annotations

from datetime import UTC, datetime

from demo.harness import Sandboxed
from domain.reviews.service import ReviewDraft
from storage.catalog.models import ProductRow
from storage.models import UserRow
from storage.reviews.repository import TortoiseReviewRepository
from tests.e2e.catalog_shop import seed_shop


async def reviewer(n: int, name: str) -> int:
    row = await UserRow.create(
        telegram_id=70_000 + n,
        first_name=name,
        referral_code=f"rvw{n:05d}",
        last_seen_at=datetime.now(UTC),
    )
    return row.id


class Delivered:
    """Stands in for the orders repository: these (user, product) pairs were delivered."""

    def __init__(self, pairs: set[tuple[int, int]]) -> None:
        self.pairs = pairs

    async def has_received(self, user_id: int, product_id: int) -> bool:
        return (user_id, product_id) in self.pairs


async def test_reviews_list_with_replies_and_hidden_ones(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    pid = shop.products["huawei"]
    repo = TortoiseReviewRepository()
    ids = []
    for n in range(7):
        saved = await repo.save(
            await reviewer(n, f"Buyer{n}"), pid, ReviewDraft(5 - n % 3, f"Review <{n}> & text")
        )
        assert saved is not None
        ids.append(saved.id)
    await repo.set_reply(ids[6], "Thanks for <your> feedback!")
    await repo.set_hidden(ids[0], True)
    await repo.save(await reviewer(9, "Pic"), pid, ReviewDraft(4, "", "https://example.com/r.jpg"))
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send(f"/start p_{pid}")
    assert "⭐ 4.0 · reviews: 7" in alice.last_bot_message.content  # hidden one left out
    await alice.press("⭐ Reviews")
    page1 = alice.last_bot_message
    assert page1.photo is None and "Reviews of Huawei Smartphone P60" in page1.content
    assert "Page 1/2" in page1.content and "Pic" in page1.content
    assert "Review <6> & text" in page1.content
    assert "💬 Shop: Thanks for <your> feedback!" in page1.content
    assert "📷 Pic" in page1.button_texts()
    await alice.press("📷 Pic")
    assert alice.last_bot_message.photo is not None
    await alice.press("▶️", message_id=page1.message_id)
    page2 = alice.chat.messages[page1.message_id]  # the list is edited in place
    assert "Page 2/2" in page2.content and "Review <1> & text" in page2.content
    assert "Review <0>" not in page2.content
    await alice.press_data(f"rv:l:{pid}:99:", message_id=page2.message_id)
    assert "Page 2/2" in alice.chat.messages[page2.message_id].content  # nearest real page
    await alice.press("⬅️ Back to product", message_id=page2.message_id)
    assert alice.chat.messages[page2.message_id].deleted
    assert "Huawei Smartphone P60" in alice.last_bot_message.content


async def test_writing_a_review_needs_a_delivered_order(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    pid = shop.products["earbuds"]
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send(f"/start p_{pid}")
    await alice.press("⭐ Reviews")
    assert "No reviews yet" in alice.last_bot_message.content
    await alice.press("✍️ Write a review")
    answer = alice.last_callback_answer or {}
    assert "once you have received it" in answer.get("text", "") and answer.get("show_alert")

    me = await UserRow.get(telegram_id=1001)
    kiosk.app.services.reviews.purchases = Delivered({(me.id, pid)})  # type: ignore[union-attr]
    await alice.press("✍️ Write a review")
    await alice.press("⭐⭐⭐⭐")
    replies = await alice.send("x" * 1001)
    assert "at most 1000 characters" in replies[-1].content
    await alice.send("Good sound,\n\nshort battery.")
    replies = await alice.send_photo(b"\xff\xd8 fake jpeg")
    assert any("Thank you! Your review is published." in m.content for m in replies)
    listing = alice.last_bot_message
    assert (
        "Good sound,\n\nshort battery." in listing.content and "📷 Alice" in listing.button_texts()
    )
    row = await ProductRow.get(id=pid)
    assert (row.rating_avg, row.rating_count) == (4.0, 1)

    await alice.press("✍️ Write a review")  # writing again replaces the review
    assert "a new review replaces it" in alice.last_bot_message.content
    await alice.press("⭐⭐")
    await alice.press("⏭ Skip")
    await alice.press("⏭ Skip")
    row = await ProductRow.get(id=pid)
    assert (row.rating_avg, row.rating_count) == (2.0, 1)
    replies = await alice.send("earbuds")  # the dialog is over: text searches again
    assert "Wireless Earbuds Air" in " ".join(replies[-1].button_texts())


async def test_review_dialog_can_be_cancelled(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    pid = shop.products["earbuds"]
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    me = await UserRow.get(telegram_id=1001)
    kiosk.app.services.reviews.purchases = Delivered({(me.id, pid)})  # type: ignore[union-attr]
    await alice.send(f"/start p_{pid}")
    await alice.press("⭐ Reviews")
    await alice.press("✍️ Write a review")
    await alice.press_data(f"rv:r:{pid}:9:")  # a forged rating
    assert "from 1 to 5" in (alice.last_callback_answer or {}).get("text", "")
    await alice.press("✖️ Cancel")
    assert "No reviews yet" in alice.last_bot_message.content
    assert (await ProductRow.get(id=pid)).rating_count == 0
