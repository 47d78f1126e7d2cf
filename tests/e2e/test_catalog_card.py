"""Product cards end to end: gallery, variants, favourites, share, similar, deep links, and
a product that disappears while its card is open."""

from __future__ import annotations

from demo.harness import Sandboxed
from handlers.common import utf16_len
from tests.e2e.catalog_shop import seed_shop


def _url_of(message, text: str) -> str:  # type: ignore[no-untyped-def]
    return next(b["url"] for row in message.inline_buttons for b in row if b["text"] == text)


async def test_card_gallery_caption_and_back(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/catalog")
    await alice.press("Electronics")
    await alice.press("📂 Phones")
    list_id = alice.last_bot_message.message_id
    await alice.press("Huawei Smartphone P60 — $599.00")
    card = alice.last_bot_message
    assert card.photo is not None and card.message_id != list_id
    caption = card.content
    assert utf16_len(caption) <= 1024 and caption.endswith("…")  # long description trimmed
    assert "$699.00 $599.00" in caption and "⚠️ Only 2 left" in caption
    assert "⭐ 4.5 · reviews: 2" in caption and "📷 1/3" in caption
    assert "A <great> phone & more." in caption  # escaped HTML came through as text
    assert any(e["type"] == "strikethrough" for e in card.entities or [])
    pid = shop.products["huawei"]
    assert card.callback_data("🛒 Add to cart") == f"cart:add:{pid}:0"
    assert _url_of(card, "📤 Share").endswith(
        "url=https%3A%2F%2Ft.me%2Fkiosk_demo_bot%3Fstart%3Dp_"
        + str(pid)
        + "&text=Huawei%20Smartphone%20P60"
    )
    first_photo = card.photo[-1]["file_id"]
    await alice.press("▶️")
    card = alice.last_bot_message
    assert "📷 2/3" in card.content and card.photo[-1]["file_id"] != first_photo
    await alice.press("◀️")
    await alice.press("◀️")
    assert "📷 3/3" in alice.last_bot_message.content  # wraps around
    assert len([m for m in alice.bot_messages if m.photo]) == 1
    await alice.press("⬅️ Back")
    back = alice.last_bot_message
    assert back.photo is None and "Electronics › Phones" in back.content
    assert alice.chat.messages[list_id].deleted  # the list was replaced, not piled up


async def test_variants_switch_price_and_stock(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/catalog")
    await alice.press("Fashion")
    await alice.press("Cotton T-Shirt — from $15.00")
    card = alice.last_bot_message
    assert card.photo is None  # no photo: a text card
    assert "from $15.00" in card.content and "Choose an option below." in card.content
    assert "🛒 Add to cart" not in card.button_texts()
    await alice.press("M")
    card = alice.last_bot_message
    assert "$20.00 $17.00" in card.content and "Option: M" in card.content
    assert "❌ Out of stock" in card.content and "✓ M" in card.button_texts()
    assert "🛒 Add to cart" not in card.button_texts()
    await alice.press("L")
    card = alice.last_bot_message
    assert "$19.00" in card.content and "⚠️ Only 1 left" in card.content
    pid = shop.products["tshirt"]
    data = card.callback_data("🛒 Add to cart")
    assert data.startswith(f"cart:add:{pid}:") and not data.endswith(":0")
    await alice.press_data(f"pc:v:{pid}:777777:0:")  # a variant of nothing
    assert "no longer available" in (alice.last_callback_answer or {}).get("text", "")


async def test_favourite_toggle_and_favourites_list(kiosk: Sandboxed) -> None:
    await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/favorites")
    assert "no favourites yet" in alice.last_bot_message.content
    await alice.send("/catalog")
    await alice.press("Electronics")
    await alice.press("Wireless Earbuds Air — $49.99")
    card = alice.last_bot_message
    assert "❌ Out of stock" in card.content and "🛒 Add to cart" not in card.button_texts()
    await alice.press("♡ Favourite")
    assert (alice.last_callback_answer or {}).get("text") == "Added to favourites."
    assert "♥ In favourites" in alice.last_bot_message.button_texts()
    await alice.send("/favorites")
    favourites = alice.last_bot_message
    assert "Your favourites</b>" not in favourites.content and "(1)" in favourites.content
    await alice.press("Wireless Earbuds Air — $49.99")
    await alice.press("♥ In favourites")
    assert (alice.last_callback_answer or {}).get("text") == "Removed from favourites."
    await alice.press("⬅️ Back")  # back to the favourites list, now empty
    assert "no favourites yet" in alice.last_bot_message.content


async def test_history_from_the_profile(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send(f"/start p_{shop.products['earbuds']}")
    await alice.send(f"/start p_{shop.products['huawei']}")
    await alice.send("/profile")
    await alice.press("🕘 Recently viewed")
    history = alice.last_bot_message
    assert "Recently viewed</b>" not in history.content and "(2)" in history.content
    assert [t for t in history.button_texts() if "—" in t] == [
        "Huawei Smartphone P60 — $599.00",
        "Wireless Earbuds Air — $49.99",
    ]
    await alice.press("🧹 Clear history")
    assert "haven't viewed any products" in alice.last_bot_message.content
    await alice.press("⬅️ Profile")
    assert "Your profile" in alice.last_bot_message.content


async def test_deep_link_opens_the_card(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    bob = kiosk.sandbox.user(1002, "Bob")
    replies = await bob.send(f"/start p_{shop.products['huawei']}")
    assert "Welcome" in replies[0].content
    assert replies[-1].photo is not None and "Huawei Smartphone P60" in replies[-1].content
    await bob.press("⬅️ Back")  # no origin: the product's own category
    assert "Electronics › Phones" in bob.last_bot_message.content
    replies = await bob.send("/start p_424242")
    assert replies[-1].content == "That product isn't available."
    replies = await bob.send("/start p_99999999999999")
    assert replies[-1].content == "That product isn't available."


async def test_similar_items(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send(f"/start p_{shop.products['phone3']}")
    await alice.press("🧩 Similar")
    similar = alice.last_bot_message
    assert "Similar to <b>" not in similar.content and "Basic Phone 3" in similar.content
    titles = [t for t in similar.button_texts() if "—" in t]
    assert titles and all("Phone" in t or "Smartphone" in t for t in titles)
    assert "Basic Phone 3 — $130.00" not in titles
    await alice.press("⬅️ Back")
    assert "Basic Phone 3" in alice.last_bot_message.content


async def test_product_deactivated_while_its_card_is_open(kiosk: Sandboxed) -> None:
    shop = await seed_shop(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    pid = shop.products["huawei"]
    await alice.send(f"/start p_{pid}")
    await kiosk.app.services.catalog.update_product(pid, active=False)
    await alice.press("▶️")
    assert (alice.last_callback_answer or {}).get("text") == "This product is no longer available."
    await alice.press("♡ Favourite")
    assert "no longer available" in (alice.last_callback_answer or {}).get("text", "")
    await alice.press("⭐ Reviews")
    assert "no longer available" in (alice.last_callback_answer or {}).get("text", "")
    await alice.press("⬅️ Back")  # Back still leads somewhere: the top of the catalogue
    assert "Choose a category" in alice.last_bot_message.content
    await kiosk.app.services.catalog.delete_product(shop.products["phone1"])
    await alice.press_data(f"pc:o:{shop.products['phone1']}:0:0:")
    assert "no longer available" in (alice.last_callback_answer or {}).get("text", "")
