"""Recommendations end to end: synthetic history -> /rebuild_recs -> every surface, with the
out-of-stock product never shown and live events (views, cart, favourites, search clicks,
purchases) recorded by the bot."""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from demo.harness import Sandboxed
from domain.catalog.service import CategoryDraft, Localized, ProductDraft
from domain.recommend import Interaction, InteractionKind
from storage.catalog.models import ProductRow
from storage.models import UserRow
from storage.recs.models import RecsEventRow
from tests.e2e.back_office_seed import paid_order
from tests.e2e.shop_fixtures import seed_goods, shop, shop_mode  # noqa: F401
from tests.e2e.test_admin import relax_throttle
from tests.e2e.test_back_office import files_arrived
from tests.e2e.test_checkout import checkout_to_invoice

OWNER = 9000
GUARD = "Alpha Screen Guard"  # sold out: must never be recommended


@dataclass
class RecsShop:
    ids: dict[str, int] = field(default_factory=dict)


async def seed(kiosk: Sandboxed) -> RecsShop:
    """Goods plus an hour-old history: phone A goes with its case (and the sold-out guard),
    phone C with the charger."""
    # A reply's second message (a card, a list) may come later than the sandbox's default
    # 0.15 s of quiet on a loaded machine; wait a little longer before calling it done.
    kiosk.sandbox.settle = 0.5
    catalog = kiosk.app.services.catalog
    shop = RecsShop()
    phones = (await catalog.create_category(CategoryDraft(Localized("Phones", "手机")))).id
    extras = (await catalog.create_category(CategoryDraft(Localized("Accessories", "配件")))).id
    goods = [
        ("a", phones, "Alpha Phone", 10),
        ("b", phones, "Beta Phone", 10),
        ("c", phones, "Gamma Phone", 10),
        ("case", extras, "Alpha Case", 10),
        ("charger", extras, "Fast Charger", 10),
        ("guard", extras, GUARD, 0),
    ]
    for key, category, title, stock in goods:
        photos = ("https://shop.example/alpha-case.jpg",) if key == "case" else ()
        draft = ProductDraft(
            sku=key.upper(),
            category_id=category,
            title=Localized(title, title),
            price=1_000,
            on_hand=stock,
            photos=photos,
        )
        shop.ids[key] = (await catalog.create_product(draft)).id
    at = datetime.now(UTC) - timedelta(hours=1)
    recs = kiosk.app.services.recs_runtime
    assert recs is not None
    for n in range(10):
        row = await UserRow.create(
            telegram_id=500 + n,
            first_name=f"Shopper {n}",
            last_seen_at=at,
            referral_code=secrets.token_hex(8),
        )
        if n < 8:
            for key in ("a", "case", "guard"):
                recs.recorder.record(Interaction(row.id, shop.ids[key], InteractionKind.CART, at))
            recs.recorder.record(Interaction(row.id, shop.ids["b"], InteractionKind.VIEW, at))
        else:
            for key in ("c", "charger"):
                recs.recorder.record(Interaction(row.id, shop.ids[key], InteractionKind.VIEW, at))
    await recs.recorder.flush()
    return shop


async def start_replies(user, count: int = 2) -> list:  # type: ignore[no-untyped-def]
    """/start's welcome and, for a returning shopper, the list that follows it a moment
    later (the sandbox's quiet period is shorter than a loaded machine's DB round trips)."""
    before = len(user.bot_messages)
    await user.send("/start")
    for _ in range(100):
        if len(user.bot_messages) >= before + count:
            break
        await asyncio.sleep(0.05)
    return user.bot_messages[before:]


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
    await kiosk.app.services.recs_runtime.recorder.flush()  # type: ignore[union-attr]
    replies = await start_replies(alice)
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
    await kiosk.app.services.recs_runtime.recorder.flush()  # type: ignore[union-attr]
    me = await UserRow.get(telegram_id=1001)
    rows = (
        await RecsEventRow.filter(user_id=me.id)
        .order_by("id")
        .values_list("item_id", "kind", "query")
    )
    c = shop.ids["c"]
    assert rows == [
        (c, "view", None),
        (c, "search_click", "gamma"),
        (c, "favourite", None),
        (c, "cart", None),
    ]


async def test_paid_order_records_purchases(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    alice = shop.sandbox.user(1002, "Alice")
    order = await checkout_to_invoice(shop, alice, goods, "⭐ Confirm and pay 1200 Stars")
    recs = shop.app.services.recs_runtime
    assert recs is not None
    await recs.recorder.flush()
    assert not await RecsEventRow.filter(kind="purchase").exists()  # not paid yet
    assert (await alice.pay_invoice(deliver_times=2)).ok
    await recs.recorder.flush()
    bought = await RecsEventRow.filter(kind="purchase").values_list("user_id", "item_id")
    assert bought == [(order.user_id, goods.mug_id)]  # type: ignore[attr-defined]


async def test_buy_again_shelf_after_two_orders(kiosk: Sandboxed) -> None:
    """Two paid orders: /start offers them again with a one-tap add, and so does the cart;
    goods with variants open their card instead, a sold-out good is not offered."""
    relax_throttle(kiosk)
    shop = await seed(kiosk)
    alice = kiosk.sandbox.user(1001, "Alice")
    await alice.send("/start")
    buyer = await kiosk.app.services.users.repo.get_by_telegram_id(1001)
    assert buyer is not None
    await paid_order(kiosk, buyer, shop.ids["case"], qty=1)
    await paid_order(kiosk, buyer, shop.ids["charger"], qty=1)
    await kiosk.app.services.recs_runtime.recorder.flush()  # type: ignore[union-attr]
    await rebuild(kiosk)

    replies = await start_replies(alice)
    assert len(replies) == 2 and "Buy again" in replies[1].content, alice.transcript()
    offered = goods_in(replies[1])
    assert set(offered) == {"Alpha Case", "Fast Charger"}, alice.transcript()
    assert replies[1].button_texts().count("➕ To cart") == 2
    await alice.press("➕ To cart", expect_reply=False)
    answer = alice.last_callback_answer
    assert answer is not None and "Added" in answer["text"], alice.transcript()
    await alice.send("/cart")
    assert "Alpha Case" in alice.last_bot_message.content or "Fast Charger" in (
        alice.last_bot_message.content
    )
    await alice.press("🔁 Buy again")
    assert "Buy again" in alice.last_bot_message.content
    assert set(goods_in(alice.last_bot_message)) == {"Alpha Case", "Fast Charger"}
    await alice.press("⬅️ Back to cart")
    assert "Your cart" in alice.last_bot_message.content

    # Sold out now: no longer offered; a newcomer has nothing to buy again.
    await ProductRow.filter(id=shop.ids["charger"]).update(on_hand=0)
    await alice.send("/buyagain")
    assert goods_in(alice.last_bot_message) == ["Alpha Case"], alice.transcript()
    bob = kiosk.sandbox.user(1002, "Bob")
    await bob.send("/buyagain")
    assert "Nothing to buy again yet" in bob.last_bot_message.content

    # Alice clears her history: her events go at once, and she is gone from the next model.
    await alice.send(f"/start p_{shop.ids['case']}")  # a viewed card, so the button shows
    await alice.send("/profile")
    await alice.press("🕘 Recently viewed")
    await alice.press("🧹 Clear history")
    assert not await RecsEventRow.filter(user_id=buyer.id).exists()
    await rebuild(kiosk)
    model = kiosk.app.services.recs.model
    assert model is not None and buyer.id not in model.ledger.pair_user.tolist()
    await alice.send("/buyagain")
    assert "Nothing to buy again yet" in alice.last_bot_message.content, alice.transcript()


async def seed_regulars(kiosk: Sandboxed, shoppers: int = 30, teas: int = 14) -> None:
    """Shoppers who order weekly for five weeks, each their own tea every time (more teas
    than a list of ten holds, so bestsellers cannot cover everyone)."""
    catalog = kiosk.app.services.catalog
    category = (await catalog.create_category(CategoryDraft(Localized("Tea", "茶")))).id
    tea_ids = []
    for n in range(teas):
        draft = ProductDraft(
            sku=f"TEA-{n}",
            category_id=category,
            title=Localized(f"Tea {n}", f"茶 {n}"),
            price=500,
            on_hand=50,
        )
        tea_ids.append((await catalog.create_product(draft)).id)
    recorder = kiosk.app.services.recs_runtime.recorder
    start = datetime.now(UTC) - timedelta(days=40)
    for n in range(shoppers):
        row = await UserRow.create(
            telegram_id=700 + n,
            first_name=f"Regular {n}",
            last_seen_at=start,
            referral_code=secrets.token_hex(8),
        )
        for week in range(5):
            at = start + timedelta(days=7 * week, hours=n)
            event = Interaction(row.id, tea_ids[n % teas], InteractionKind.PURCHASE, at)
            recorder.record(event)
    await recorder.flush()


async def test_merchant_sees_the_chosen_blend_and_its_hit_rate(kiosk: Sandboxed) -> None:
    relax_throttle(kiosk)
    await seed(kiosk)
    owner = kiosk.sandbox.user(OWNER, "Owner")
    replies = await owner.send("/rebuild_recs")
    assert "Too few repeat customers" in replies[-1].content, owner.transcript()

    await seed_regulars(kiosk)
    replies = await owner.send("/rebuild_recs full")
    answer = replies[-1].content
    assert "Serving: buy again" in answer, owner.transcript()
    assert "Hit rate on 30 customers' latest orders: 100.0% (bestsellers" in answer
    assert "× bestsellers" in answer and "(bestsellers 100.0%)" not in answer
    await owner.send("/report")
    await owner.press("30 days")
    sent = await files_arrived(owner)
    report = sent[0].content
    assert "Recommendations" in report and "Serving: buy again" in report
    assert "Hit rate on 30 customers' latest orders" in report
