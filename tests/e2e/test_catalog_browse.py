"""/catalog end to end: the tree, paging a category in place, Back, forged ids."""

from __future__ import annotations

from demo.harness import Sandboxed
from tests.e2e.catalog_shop import seed_shop


async def test_browse_the_tree_and_page_through_a_category(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    await alice.press("🛍 Catalog")
    screen = alice.last_bot_message
    assert "Choose a category" in screen.content
    assert screen.button_texts()[:2] == ["Electronics", "Fashion"]
    await alice.press("Electronics")
    screen = alice.last_bot_message
    assert "Electronics" in screen.content and "Items: 12 · page 1/2" in screen.content
    assert "📂 Phones" in screen.button_texts() and "📂 Audio" in screen.button_texts()
    await alice.press("📂 Phones")
    page1 = alice.last_bot_message
    assert "Electronics › Phones" in page1.content and "Items: 11 · page 1/2" in page1.content
    titles = [t for t in page1.button_texts() if "—" in t]
    assert len(titles) == 8 and titles[0].startswith("Huawei Smartphone P60 — $599.00")
    await alice.press("▶️")
    page2 = alice.last_bot_message
    assert page2.message_id == page1.message_id  # edited in place, no chat flooding
    assert "page 2/2" in page2.content
    assert [t for t in page2.button_texts() if "—" in t] == [
        "Basic Phone 3 — $130.00",
        "Basic Phone 2 — $120.00",
        "Basic Phone 1 — $110.00",
    ]
    assert "▶️" not in page2.button_texts()
    await alice.press("⬅️ Back")
    assert "Items: 12" in alice.last_bot_message.content  # up to Electronics
    await alice.press("⬅️ Back")
    assert "Choose a category" in alice.last_bot_message.content
    await alice.press("⬅️ Main menu")
    assert "What would you like to do?" in alice.last_bot_message.content
    assert len(alice.bot_messages) == 1  # the welcome, edited in place throughout
    assert shop.categories


async def test_forged_page_and_category_ids(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/catalog")
    phones = shop.categories["phones"]
    await alice.press_data(f"cc:{phones}:999")
    assert "page 2/2" in alice.last_bot_message.content  # the nearest real page
    await alice.press_data(f"cc:{phones}:-3")
    assert "page 1/2" in alice.last_bot_message.content
    await alice.press_data("cc:987654:1")
    assert "Choose a category" in alice.last_bot_message.content
    assert alice.last_callback_answer is not None
    assert "doesn't exist" in alice.last_callback_answer.get("text", "")
    await alice.press_data("cc:99999999999:1")  # beyond a database id: a stale button
    assert "no longer active" in (alice.last_callback_answer or {}).get("text", "")
    await alice.press_data("cc:abc:1")
    assert "no longer active" in (alice.last_callback_answer or {}).get("text", "")


async def test_an_empty_shop_says_so(kiosk: Sandboxed) -> None:
    alice = kiosk.sandbox.user(1001, "Alice")
    replies = await alice.send("/catalog")
    assert "no goods yet" in replies[0].content
