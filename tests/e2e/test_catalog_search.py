"""Search end to end: plain text and /search, filters, sorting, Chinese, typos, dead ends,
and inline mode with paging."""

from __future__ import annotations

from demo.harness import Sandboxed
from domain.catalog.service import Localized, ProductDraft
from tests.e2e.catalog_shop import seed_shop


def goods(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [t for t in message.button_texts() if " — " in t]


async def test_search_with_filters_and_sorting(kiosk: Sandboxed) -> None:
    await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    replies = await alice.send("phone")  # plain text outside any dialog searches
    results = replies[-1]
    assert "«phone» — found 11 · page 1/2" in results.content
    assert len(goods(results)) == 8
    await alice.press("↕️ Sort: Relevance")
    await alice.press("Price ↑")
    results = alice.last_bot_message
    assert goods(results)[:2] == ["Basic Phone 1 — $110.00", "Basic Phone 2 — $120.00"]
    assert "↕️ Sort: Price ↑" in results.button_texts()
    await alice.press("▶️")
    assert goods(alice.last_bot_message)[-1] == "Huawei Smartphone P60 — $599.00"
    await alice.press("🏷 Brand")
    menu = alice.last_bot_message
    assert {"Nokia", "Motorola", "Huawei"} <= set(menu.button_texts())
    await alice.press("Huawei")
    results = alice.last_bot_message
    assert "found 1 ·" in results.content and "Filters: 🏷 Huawei" in results.content
    await alice.press("✖️ Clear filters")
    await alice.press("💲 Price")
    await alice.press("$100.00 – $500.00")
    results = alice.last_bot_message
    assert "found 10 ·" in results.content and "Filters: 💲 $100.00 – $500.00" in results.content
    await alice.press("↕️ Sort: Price ↑")
    await alice.press("Price ↓")
    assert goods(alice.last_bot_message)[0] == "Basic Phone 10 — $200.00"
    await alice.press("✖️ Clear filters")
    await alice.press("📂 Category")
    await alice.press("Phones")
    assert "found 11 ·" in alice.last_bot_message.content
    message_ids = {m.message_id for m in alice.bot_messages}
    assert len(message_ids) == 1  # one results message, edited in place


async def test_in_stock_filter_and_newest(kiosk: Sandboxed) -> None:
    await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/search wireless earbuds")
    assert goods(alice.last_bot_message) == ["Wireless Earbuds Air — $49.99"]
    await alice.press("📦 In stock")
    results = alice.last_bot_message
    assert "Nothing found" in results.content and "in stock" in results.content
    assert "✓ 📦 In stock" in results.button_texts()
    await alice.send("phone")
    await alice.press("↕️ Sort: Relevance")
    await alice.press("Newest")
    assert goods(alice.last_bot_message)[0].startswith("Huawei Smartphone P60")


async def test_search_in_chinese(kiosk: Sandboxed) -> None:
    await seed_shop(kiosk)
    li = kiosk.sandbox.user(1003, "Li", language_code="zh-hans")
    replies = await li.send("手机")
    results = replies[-1]
    assert "🔎 «手机» — 找到 11 件 · 第 1/2 页" in results.content
    assert goods(results)[0] == "华为智能手机 P60 — US$599.00"  # segmented: 手机 in 华为智能手机
    await li.press("🏷 品牌")
    await li.press("Huawei")
    filtered = li.last_bot_message.content
    assert "找到 1 件" in filtered and "筛选：🏷 Huawei" in filtered


async def test_typos_dead_ends_and_bad_input(kiosk: Sandboxed) -> None:
    await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    replies = await alice.send("huawie smartphone")
    assert "showing results for «huawei smartphone»" in replies[-1].content
    replies = await alice.send("earbudz zzzqqq")
    results = replies[-1]
    assert "showing results for «earbuds zzzqqq»" in results.content
    assert "match some of them" in results.content
    assert goods(results) == ["Wireless Earbuds Air — $49.99"]
    replies = await alice.send("xylophonez")
    results = replies[-1]
    assert "Nothing found for «xylophonez»" in results.content
    assert "Popular right now" in results.content and goods(results)
    replies = await alice.send("🙂🙂")
    assert "no words to search" in replies[-1].content
    replies = await alice.send("a")
    assert "at least two letters" in replies[-1].content
    replies = await alice.send('" * NEAR - : ( ) OR 1=1; DROP TABLE catalog_products; --')
    assert "«" in replies[-1].content  # just words: answered, never an error or everything
    assert "found 14" not in replies[-1].content
    replies = await alice.send("phone " * 700)  # about 4,200 characters
    assert replies
    replies = await alice.send("/search")
    assert "/search phone" in replies[-1].content


async def test_did_you_mean_button(kiosk: Sandboxed) -> None:
    await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("huawie")
    await alice.press("💲 Price")
    await alice.press("under $20.00")  # the corrected word finds nothing this cheap
    results = alice.last_bot_message
    assert "Nothing found for «huawie»" in results.content
    assert "Filters: 💲 under $20.00" in results.content and "Popular right now" in results.content
    await alice.press("🔎 Did you mean «huawei»?")
    results = alice.last_bot_message
    assert "Nothing found for «huawei»" in results.content
    await alice.press("✖️ Clear filters")
    assert goods(alice.last_bot_message) == ["Huawei Smartphone P60 — $599.00"]


async def test_stale_search_buttons(kiosk: Sandboxed) -> None:
    await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("phone")
    first = alice.last_bot_message
    await alice.send("earbuds")
    await alice.press("💲 Price", message_id=first.message_id)
    assert "expired" in (alice.last_callback_answer or {}).get("text", "")
    await alice.press_data("sr:1:p:999999999999")
    assert (alice.last_callback_answer or {}).get("text")


async def test_card_from_search_goes_back_to_the_results(kiosk: Sandboxed) -> None:
    await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("phone")
    await alice.press("▶️")
    await alice.press("Basic Phone 1 — $110.00")
    assert (
        alice.last_bot_message.photo is None and "Basic Phone 1" in alice.last_bot_message.content
    )
    await alice.press("⬅️ Back")
    assert "page 2/2" in alice.last_bot_message.content


async def test_inline_mode_with_paging(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    answer = await alice.inline_query("phone")
    assert len(answer["results"]) == 11 and answer["next_offset"] == ""
    assert answer["is_personal"] and answer["cache_time"] == 30
    huawei = next(r for r in answer["results"] if r["id"] == f"p{shop.products['huawei']}")
    assert huawei["type"] == "photo" and huawei["thumbnail_url"].startswith("https://")
    button = huawei["reply_markup"]["inline_keyboard"][0][0]
    assert button["url"] == f"https://t.me/kiosk_demo_bot?start=p_{shop.products['huawei']}"
    plain = next(r for r in answer["results"] if r["type"] == "article")
    assert "$" in plain["description"]
    for n in range(21):  # enough phones for two pages of twenty
        draft = ProductDraft(
            sku=f"PX-{n}",
            category_id=shop.categories["phones"],
            title=Localized(f"Extra Phone {n}"),
            price=5_000,
            on_hand=1,
        )
        await kiosk.app.services.catalog.create_product(draft)
    first = await alice.inline_query("extra phone")
    assert len(first["results"]) == 20 and first["next_offset"] == "20"
    second = await alice.inline_query("extra phone", offset=first["next_offset"])
    assert len(second["results"]) == 1 and second["next_offset"] == ""
    ids = {r["id"] for r in first["results"]} | {r["id"] for r in second["results"]}
    assert len(ids) == 21
    again = await alice.inline_query("extra phone")  # served from the short cache
    assert [r["id"] for r in again["results"]] == [r["id"] for r in first["results"]]
    forged = await alice.inline_query("extra phone", offset="-5;DROP")
    assert len(forged["results"]) == 20
    empty = await alice.inline_query("")
    assert empty["results"] and empty["next_offset"] == ""  # popular goods
