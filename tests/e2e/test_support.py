"""The support line end to end: a shopper writes to the shop (from /help, a product card or an
order) with text, a photo and a file; staff get it in their private chats (or in the shopper's
own forum topic of the staff group) with who the shopper is and their recent orders, answer in
place, and the answer reaches the shopper. Blocking a shopper and closing the shop for
maintenance: the shopper is told, nothing of theirs is processed, staff keep working, and a
payment already under way still completes."""

# ruff: noqa: F811

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from demo.harness import Sandboxed
from domain.support.service import StaffNotBlockable
from sandbox import SandboxUser
from storage.admin.models import AuditRow
from storage.orders.models import CartLineRow, OrderRow
from storage.support.models import SupportConversationRow, SupportMessageRow
from tests.e2e.conftest import running_kiosk
from tests.e2e.shop_fixtures import PAYMENTS, seed_goods, shop, shop_mode  # noqa: F401
from tests.e2e.test_checkout import checkout_to_invoice

GROUP = -1001234567890


def last_with(user: SandboxUser, text: str) -> int:
    """The id of the newest bot message in the user's chat whose text or caption has `text`."""
    found = [m for m in user.bot_messages if text in m.content]
    assert found, user.transcript()
    return found[-1].message_id


@pytest_asyncio.fixture
async def forum_shop(
    shop_mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Sandboxed]:
    """A shop whose staff answer shoppers in a forum supergroup, one topic per shopper."""
    async with running_kiosk(
        shop_mode,
        request,
        tmp_path,
        payments=PAYMENTS,
        scheduler={"enabled": False},
        support={"chat_id": GROUP},
    ) as running:
        yield running


async def test_private_chats_both_ways_with_photo_and_file(shop: Sandboxed) -> None:
    sb = shop.sandbox
    owner = sb.user(9000, "Merchant")
    await owner.send("/start")
    alice = sb.user(3101, "Alice", username="alice")
    await alice.send("/start")
    await alice.send("/help")
    assert "💬 Contact the shop" in alice.last_bot_message.button_texts()
    assert "/contact" in alice.last_bot_message.content
    await alice.press("💬 Contact the shop")
    replies = await alice.send("Where is my parcel?")
    assert "Sent to the shop" in replies[-1].content, alice.transcript()
    await alice.send_photo(b"\x89PNG broken", caption="it arrived broken", expect_reply=False)
    await sb.wait_idle()

    # The owner's private chat: who writes (name, @username, id, no orders), then the copies.
    header = [m for m in owner.bot_messages if "Support #" in m.content]
    assert len(header) == 1, owner.transcript()
    assert "Alice" in header[0].content and "@alice" in header[0].content
    assert "3101" in header[0].content and "No orders yet." in header[0].content
    assert header[0].button_texts() == ["💬 Reply", "🚫 Block"]
    text_copy = last_with(owner, "Where is my parcel?")
    photo = owner.bot_messages[-1]
    assert photo.photo is not None and photo.caption == "it arrived broken", owner.transcript()

    # A reply to the relayed message reaches Alice, with a Reply button of her own.
    replies = await owner.send("It ships tomorrow.", reply_to=text_copy)
    assert "Sent to Alice" in replies[-1].content, owner.transcript()
    answer = alice.bot_messages[-1]
    assert answer.content == "It ships tomorrow." and "💬 Reply" in answer.button_texts()
    # The header's Reply button, then a photo: it reaches Alice as a photo.
    await owner.press("💬 Reply", message_id=header[0].message_id)
    replies = await owner.send_photo(b"\x89PNG new", caption="Like this one?")
    assert "Sent to Alice" in replies[-1].content, owner.transcript()
    assert alice.bot_messages[-1].photo is not None
    assert alice.bot_messages[-1].caption == "Like this one?"
    # Alice answers the staff's message with a file: it reaches the owner.
    await alice.send_document(
        b"%PDF-1.4",
        "receipt.pdf",
        "application/pdf",
        expect_reply=False,
        reply_to=answer.message_id,
    )
    await sb.wait_idle()
    doc = owner.bot_messages[-1]
    assert doc.document is not None and doc.document["file_name"] == "receipt.pdf"

    # Stored: one conversation, five messages; Alice wrote last, so it's open again.
    row = await SupportConversationRow.get(shopper_id=3101)
    assert (row.status, row.message_count) == ("open", 5)
    directions = await SupportMessageRow.filter(conversation_id=row.id).order_by("id")
    assert [(m.direction, m.kind) for m in directions] == [
        ("in", "text"),
        ("in", "photo"),
        ("out", "text"),
        ("out", "photo"),
        ("in", "document"),
    ]
    # Staff list conversations: open, then answered.
    replies = await owner.send("/support")
    assert "open: 1, answered: 0" in replies[-1].content and "Alice" in replies[-1].content
    await owner.press("✅ Answered")
    assert "Nothing here." in owner.last_bot_message.content
    # The reports' response-time figure: one answer to the first unanswered message.
    now = datetime.now(UTC)
    count, wait = await shop.app.services.support.response_figure(now - timedelta(hours=1), now)
    assert count == 1 and wait is not None and 0 <= wait < 60
    await owner.send("/report")
    replies = await owner.press("Today")
    assert any("Support: 1 answered, median wait 0 min" in m.content for m in replies), (
        owner.transcript()
    )


async def test_forum_topic_per_shopper(forum_shop: Sandboxed) -> None:
    sb = forum_shop.sandbox
    group = sb.group(GROUP, "Shop staff")
    goods = await seed_goods(forum_shop.app.services.catalog)
    owner = sb.user(9000, "Merchant")
    alice = sb.user(3201, "Alice")
    await alice.send("/start")
    await alice.send("/catalog")
    await alice.press("Home")
    await alice.press("Mug — $12.00")
    await alice.press("💬 Contact the shop")
    await alice.send("Is the mug dishwasher safe?")
    await alice.send_photo(b"\x89PNG mug", caption="this one", expect_reply=False)
    await sb.wait_idle()
    assert [t["name"] for t in group.topics.values()] == ["Alice (3201)"]
    thread = group.topic_id("Alice (3201)")
    in_topic = group.messages(thread)
    assert f"About: product #{goods.mug_id}" in in_topic[1].content, group.transcript(thread)
    assert in_topic[1].button_texts() == ["🚫 Block"]  # in the topic staff just write
    assert in_topic[2].content == "Is the mug dishwasher safe?"
    assert in_topic[3].photo is not None and in_topic[3].caption == "this one"

    # Staff write in the topic: text and a photo reach Alice.
    await group.post(owner, "Yes, it is.", thread=thread)
    assert alice.bot_messages[-1].content == "Yes, it is.", alice.transcript()
    await group.post(owner, photo=b"\x89PNG label", caption="See the label", thread=thread)
    assert alice.bot_messages[-1].photo is not None
    assert alice.bot_messages[-1].caption == "See the label"
    # Alice writes again (a reply to the answer): the same topic, not a new one.
    await alice.send("Thanks!", reply_to=alice.bot_messages[-1].message_id, expect_reply=False)
    await sb.wait_idle()
    assert len(group.topics) == 1 and group.messages(thread)[-1].content == "Thanks!"
    # A second shopper gets a topic of their own.
    bob = sb.user(3202, "Bob")
    await bob.send("/start")
    await bob.send("/contact")
    await bob.send("Hello?")
    await sb.wait_idle()
    assert sorted(t["name"] for t in group.topics.values()) == ["Alice (3201)", "Bob (3202)"]
    # Chatter in the group outside any topic stays there.
    before = len(alice.bot_messages)
    await group.post(owner, "general chatter")
    assert len(alice.bot_messages) == before
    row = await SupportConversationRow.get(shopper_id=3201)
    assert (row.topic_chat_id, row.topic_id, row.status) == (GROUP, thread, "open")


async def test_blocked_shopper_is_told_and_nothing_is_processed(shop: Sandboxed) -> None:
    sb = shop.sandbox
    goods = await seed_goods(shop.app.services.catalog)
    owner = sb.user(9000, "Merchant")
    await owner.send("/start")
    mallory = sb.user(3301, "Mallory")
    await mallory.send("/start")
    await mallory.send("/contact")
    await mallory.send("You are all crooks")
    await sb.wait_idle()
    header = last_with(owner, "Support #")
    await owner.press("🚫 Block", message_id=header)
    assert "✅ Unblock" in owner.chat.messages[header].button_texts()

    replies = await mallory.send("/cart")
    assert replies[-1].content == "We're sorry, but this shop can't serve you."
    # Told once per notice period: the next messages and presses get nothing processed.
    await mallory.send("/start", expect_reply=False)
    await mallory.send("mug", expect_reply=False)
    await mallory.press_data(f"cart:add:{goods.mug_id}:0", expect_reply=False)
    await sb.wait_idle()
    told = [m for m in mallory.bot_messages if "can't serve you" in m.content]
    assert len(told) == 1, mallory.transcript()
    assert await CartLineRow.filter(cart__user__telegram_id=3301).count() == 0
    # Staff can't be blocked; block and unblock are audited.
    with pytest.raises(StaffNotBlockable):
        await shop.app.services.support.set_blocked(9000, 9000, True)
    actions = await AuditRow.filter(action__startswith="support.").values_list("action", flat=True)
    assert actions == ["support.block"]
    await owner.press("✅ Unblock", message_id=header)
    replies = await mallory.press_data(f"cart:add:{goods.mug_id}:0")
    assert await CartLineRow.filter(cart__user__telegram_id=3301).count() == 1
    actions = await AuditRow.filter(action__startswith="support.").values_list("action", flat=True)
    assert sorted(actions) == ["support.block", "support.unblock"]


async def test_maintenance_mode_and_payments_in_flight(shop: Sandboxed) -> None:
    sb = shop.sandbox
    goods = await seed_goods(shop.app.services.catalog)
    owner = sb.user(9000, "Merchant")
    await owner.send("/start")
    alice = sb.user(3401, "Alice")
    order = await checkout_to_invoice(shop, alice, goods, "⭐ Confirm and pay 1200 Stars")
    # Alice asks about her order from the order itself: staff see which one and her orders.
    await alice.send("/orders")
    await alice.press(f"#{order.id} · ⏳ Waiting for payment · 1200 ⭐")
    await alice.press("💬 Contact the shop")
    await alice.send("Can I pay tomorrow?")
    await sb.wait_idle()
    header = owner.chat.messages[last_with(owner, "Support #")].content
    assert f"About: order #{order.id}" in header and f"#{order.id}" in header.split("Recent")[1]

    await owner.send("/maintenance")
    await owner.press("🚧 Close the shop")
    replies = await owner.send("Back on Monday, we're moving.")
    assert "The shop is closed" in replies[-1].content, owner.transcript()
    assert await AuditRow.filter(action="support.maintenance").count() == 1

    bob = sb.user(3402, "Bob")
    replies = await bob.send("/start")
    assert replies[-1].content == "🚧 The shop is closed for now.\n\nBack on Monday, we're moving."
    replies = await bob.send("/catalog")
    assert "closed for now" in replies[-1].content
    # Staff keep working.
    replies = await owner.send("/admin")
    assert "closed for now" not in replies[-1].content
    assert "🚧 Maintenance" in owner.last_bot_message.button_texts()
    # Alice's invoice was sent before closing: paying it still completes.
    result = await alice.pay_invoice()
    assert result.ok, result.error
    assert (await OrderRow.get(id=order.id)).status == "paid", alice.transcript()
    assert any("Payment received" in m.content for m in result.messages), alice.transcript()

    await owner.send("/maintenance")
    await owner.press("🔓 Reopen the shop")
    replies = await bob.send("/start")
    assert "closed for now" not in replies[-1].content


async def test_a_reply_to_a_shopper_is_an_answer_whatever_dialog_staff_have_open(
    shop: Sandboxed,
) -> None:
    """The owner is half-way through a dialog that takes plain text (here a new product's
    title; "Add codes" would sell it as a code) and replies to a shopper's relayed question:
    the reply reaches the shopper, and the dialog is untouched."""
    sb = shop.sandbox
    owner = sb.user(9000, "Merchant")
    await owner.send("/start")
    bea = sb.user(3108, "Bea")
    await bea.send("/start")
    await bea.send("/contact")
    await bea.send("Do you ship to Lyon?")
    await sb.wait_idle()
    question = last_with(owner, "Do you ship to Lyon?")
    await owner.send("/admin")
    await owner.press("📦 Goods")
    await owner.press("➕ New product")
    await owner.press("📦 Goods we ship")
    assert "Send the product title in English" in owner.last_bot_message.content
    replies = await owner.send("Yes, in three days.", reply_to=question)
    assert "Sent to Bea" in replies[-1].content, owner.transcript()
    (answer,) = bea.catch_up()  # the one message the bot sent Bea since her question
    assert answer.content == "Yes, in three days.", bea.transcript()
    assert "Yes, in three days." in bea.transcript(history=True)
    replies = await owner.send("Lyon travel mug")  # the dialog still waits for its title
    assert "Step 2/9" in replies[-1].content, owner.transcript()
