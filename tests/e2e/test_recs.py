"""Recommendations end to end: synthetic history -> /rebuild_recs -> every surface, with the
out-of-stock product never shown and live events (views, cart, favourites, search clicks,
purchases) recorded by the bot."""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from demo.harness import Sandboxed
from domain.catalog.service import CategoryDraft, Localized, ProductDraft
from domain.recommend import Interaction, InteractionKind
from storage.catalog.models import ProductRow
from storage.models import UserRow
from storage.recs.models import RecsEventRow
from tests.e2e.shop_fixtures import seed_goods, shop, shop_mode  # noqa: F401
from tests.e2e.test_checkout import checkout_to_invoice

OWNER = 9000
GUARD = "Alpha Screen Guard"  # sold out: must never be recommended


@dataclass
class RecsShop:
    ids: dict[str, int] = field(default_factory=dict)


async def seed(kiosk: Sandboxed) -> RecsShop:
    """Goods plus an hour-old history: phone A goes with its case (and the sold-out guard),
    phone C with the charger."""
    catalog = kiosk.app.services.catalog
    shop = RecsShop()
    phones = (await catalog.create_category(CategoryDraft(Localized("Phones", "手机")))).id
    extras = (await catalog.create_category(CategoryDraft(Localized("Accessories", "配件")))).id
    goods = [
        ("a", phones, "Alpha Phone", 10), ("b", phones, "Beta Phone", 10),
        ("c", phones, "Gamma Phone", 10), ("case", extras, "Alpha Case", 10),
        ("charger", extras, "Fast Charger", 10), ("guard", extras, GUARD, 0),
    ]  # fmt: skip
    for key, category, title, stock in goods:
        photos = ("https://shop.example/alpha-case.jpg",) if key == "case" else ()
        draft = ProductDraft(
            sku=key.upper(), category_id=category, title=Localized(title, title),
            price=1_000, on_hand=stock, photos=photos,
        )  # fmt: skip
        shop.ids[key] = (await catalog.create_product(draft)).id
    at = datetime.now(UTC) - timedelta(hours=1)
    recs = kiosk.app.services.recs
    assert recs is not None
    for n in range(10):
        row = await UserRow.create(
            telegram_id=500 + n, first_name=f"Shopper {n}", last_seen_at=at,
            referral_code=secrets.token_hex(8),
        )  # fmt: skip
        if n < 8:
            for key in ("a", "case", "guard"):
                recs.recorder.record(Interaction(row.id, shop.ids[key], InteractionKind.CART, at))
            recs.recorder.record(Interaction(row.id, shop.ids["b"], InteractionKind.VIEW, at))
        else:
            for key in ("c", "charger"):
                recs.recorder.record(Interaction(row.id, shop.ids[key], InteractionKind.VIEW, at))
    await recs.recorder.flush()
    return shop


def goods_in(message) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.split(" — ")[0] for t in message.button_texts() if " — " in t]


async def rebuild(kiosk: Sandboxed) -> None:
    owner = kiosk.sandbox.user(OWNER, "Owner")
    replies = await owner.send("/rebuild_recs")
    assert "Recommendations rebuilt" in replies[-1].content, owner.transcript()
    assert "goods in the model" in replies[-1].content


async def test_card_cart_search_and_for_you(kiosk: Sandboxed) -> None:
    shop = await seed(kiosk)
    mallory = kiosk.sandbox.user(1003, "Mallory")
    await mallory.send("/start")
    replies = await mallory.send("/rebuild_recs")  # not an owner: an unknown command
    assert "Recommendations rebuilt" not in replies[-1].content
    await rebuild(kiosk)

    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    await alice.send(f"/start p_{shop.ids['a']}")
    await alice.press("🧩 Similar")
    similar = goods_in(alice.last_bot_message)
    assert "Similar to <b>" not in alice.last_bot_message.content
    assert {"Alpha Case", "Beta Phone"} <= set(similar), alice.transcript()
    assert GUARD not in similar and "Alpha Phone" not in similar
    await alice.press("⬅️ Back")
    await alice.press("🛍 Bought together")
    together = goods_in(alice.last_bot_message)
    assert together[0] == "Alpha Case" and GUARD not in together, alice.transcript()
    assert "Often bought together" in alice.last_bot_message.content

    # Complete your order: the case goes with phone A, never phone A itself.
    await alice.press("⬅️ Back")
    await alice.press("🛒 Add to cart")
    await alice.send("/cart")
    await alice.press("🧺 Complete your order")
    complete = goods_in(alice.last_bot_message)
    assert complete and complete[0] == "Alpha Case", alice.transcript()
    assert "Alpha Phone" not in complete and GUARD not in complete
    await alice.press("⬅️ Back to cart")
    assert "Your cart" in alice.last_bot_message.content

    # For you: the bot's own events (view, cart) are Alice's history.
    await kiosk.app.services.recs.recorder.flush()  # type: ignore[union-attr]
    replies = await alice.send("/start")
    assert len(replies) == 2 and "Welcome back" in replies[0].content
    picks = goods_in(replies[1])
    assert "Picked for you" in replies[1].content and picks[0] == "Alpha Case"
    assert "Alpha Phone" not in picks and GUARD not in picks
    await alice.send("/start")
    await alice.press("✨ For you")
    assert "Picked for you" in alice.last_bot_message.content
    assert goods_in(alice.last_bot_message)[0] == "Alpha Case"
    # The list is shown with the photo of the first offered product that has one.
    assert alice.last_bot_message.photo is not None

    # A newcomer with no history gets only the welcome; trending on an empty search.
    bob = kiosk.sandbox.user(1002, "Bob")
    assert len(await bob.send("/start")) == 1
    assert len(await bob.send("/start")) == 1  # returning, but no history of his own
    replies = await bob.send("/search")
    assert "Trending now" in replies[-1].content
    trending = goods_in(replies[-1])
    assert trending[:2] == ["Alpha Phone", "Alpha Case"] and GUARD not in trending
    await bob.press("🆕 New arrivals")
    assert "New arrivals" in bob.last_bot_message.content
    assert GUARD not in goods_in(bob.last_bot_message)

    # Stock runs out after the build: gone from every list at once.
    await ProductRow.filter(id=shop.ids["case"]).update(on_hand=0)
    await alice.send(f"/start p_{shop.ids['a']}")
    await alice.press("🧩 Similar")
    assert "Alpha Case" not in goods_in(alice.last_bot_message)
    await alice.press("⬅️ Back")
    await alice.press("🛍 Bought together")
    assert "Alpha Case" not in goods_in(alice.last_bot_message)


async def test_live_events_are_recorded(kiosk: Sandboxed) -> None:
    shop = await seed(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    await alice.send("gamma")
    await alice.press("Gamma Phone — $10.00")
    await alice.press("♡ Favourite")
    await alice.press("🛒 Add to cart")
    await kiosk.app.services.recs.recorder.flush()  # type: ignore[union-attr]
    me = await UserRow.get(telegram_id=1001)
    rows = (
        await RecsEventRow.filter(user_id=me.id)
        .order_by("id")
        .values_list("item_id", "kind", "query")
    )
    c = shop.ids["c"]
    assert rows == [
        (c, "view", None), (c, "search_click", "gamma"), (c, "favourite", None), (c, "cart", None)
    ]  # fmt: skip


async def test_paid_order_records_purchases(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    alice = shop.sandbox.user(1002, "Alice")
    order = await checkout_to_invoice(shop, alice, goods, "⭐ Confirm and pay 1200 Stars")
    recs = shop.app.services.recs
    assert recs is not None
    await recs.recorder.flush()
    assert not await RecsEventRow.filter(kind="purchase").exists()  # not paid yet
    assert (await alice.pay_invoice(deliver_times=2)).ok
    await recs.recorder.flush()
    bought = await RecsEventRow.filter(kind="purchase").values_list("user_id", "item_id")
    assert bought == [(order.user_id, goods.mug_id)]  # type: ignore[attr-defined]
