"""`python main.py demo`: the whole bot offline, against the local Telegram emulator.

Starts the sandbox and Kiosk (with its Mini App storefront) on loopback with a fresh SQLite
database, seeds a small shop, plays scripted conversations and a Mini App purchase, prints the
transcripts and exits 0 — or 1 if the bot made any call that real Telegram would have refused.
`python main.py demo --browse` then keeps everything running and prints the links that open
the storefront in one's own browser.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.settings import Settings
from demo.back_office import owner_ships_and_reports
from demo.digital import owner_sells_keys_and_shopper_asks
from demo.harness import Sandboxed, run_sandboxed, storefront_url
from demo.jobs import owner_schedules_campaign_and_gets_low_stock_alert
from demo.loyalty import friends_earn_points_and_alerts
from demo.miniapp import shopper_buys_in_mini_app
from sandbox import SandboxUser

log = logging.getLogger(__name__)

Scene = Callable[[Sandboxed], Awaitable[list[SandboxUser]]]


async def shopper_registers(k: Sandboxed) -> list[SandboxUser]:
    """A friend invites Alice; she fills in her profile and switches to Chinese."""
    bob = k.sandbox.user(2002, "Bob", username="bob", language_code="en")
    await bob.send("/start")
    code = await k.app.services.users.repo.get_by_telegram_id(2002)
    assert code is not None
    alice = k.sandbox.user(2001, "Alice", username="alice", language_code="en")
    await alice.send(f"/start ref_{code.referral_code}")
    await alice.send("/profile")
    await alice.press("✏️ Name")
    await alice.send("Alice Liddell 🌸")
    await alice.press("📱 Phone")
    await alice.tap("📱 Share my phone number")
    await alice.send("/profile")
    await alice.press("📍 Addresses")
    await alice.press("➕ Add address")
    await alice.send("Alice Liddell")
    await alice.press("Use +15551234567")
    await alice.send("Oxford")
    await alice.send("Christ Church, St Aldates")
    await alice.send("OX1 1DP")
    await alice.press("✅ Save")
    await alice.press("⬅️ Profile")
    await alice.press("🌐 Language")
    await alice.press("中文")
    await alice.send("/help")
    await alice.send("/teleport")
    return [bob, alice]


async def shopper_browses_and_searches(k: Sandboxed) -> list[SandboxUser]:
    """Carol browses the catalogue, opens a card, keeps a favourite and searches; Li searches
    in Chinese and shares a product from inline mode."""
    from demo.seed import seed_demo_catalog

    if not await k.app.services.catalog.children(None):
        await seed_demo_catalog(n=60, seed=42)

    def first_product(user: SandboxUser) -> str:
        message = user.last_bot_message
        assert message is not None
        return next(t for t in message.button_texts() if " — " in t)

    carol = k.sandbox.user(2003, "Carol", language_code="en")
    await carol.send("/start")
    await carol.press("🛍 Catalog")
    await carol.press("Electronics")
    await carol.press("📂 Smartphones")
    await carol.press(first_product(carol))
    await carol.press("▶️")
    await carol.press("♡ Favourite")
    await carol.press("⭐ Reviews")
    await carol.press("⬅️ Back to product")
    await carol.press("⬅️ Back")
    await carol.send("wireless earbuds")
    await carol.press("↕️ Sort: Relevance")
    await carol.press("Price ↑")
    await carol.press("📦 In stock")
    await carol.send("/favorites")
    li = k.sandbox.user(2004, "Li", language_code="zh-hans")
    await li.send("手机")
    answer = await li.inline_query("huawei")
    found, more = len(answer["results"]), answer["next_offset"]
    print(f"inline @bot huawei: {found} results, next_offset={more!r}")
    return [carol, li]


DEMO_OWNER = 9000  # in ADMIN_IDS for the demo run
# Test credentials: the sandbox plays the payment provider; nothing here can charge anyone.
DEMO_PAYMENTS = {"provider_token": "284685063:TEST:kiosk-sandbox", "use_stars": True}


def button_starting(user: SandboxUser, prefix: str) -> str:
    """The text of the newest bot message's button that starts with `prefix`."""
    message = user.last_bot_message
    assert message is not None
    return next(t for t in message.button_texts() if t.startswith(prefix))


async def shopper_buys_and_pays(k: Sandboxed) -> list[SandboxUser]:
    """A shopper opens a product from its deep link, checks out and pays with Telegram Stars."""
    product = next(
        p
        for p in await k.app.services.catalog.popular(limit=20)
        if not p.has_variants and p.available >= 2
    )
    carol = k.sandbox.user(2005, "Carol", language_code="en")
    await carol.send("/start")
    await carol.send(f"/start p_{product.id}")
    await carol.press("🛒 Add to cart")
    await carol.send("/cart")
    await carol.press("✅ Checkout")
    await carol.press("➕ Add address")
    for answer in ("Carol Baker", "+44 20 7946 0958", "London", "221B Baker Street"):
        await carol.send(answer)
    await carol.press("Skip")
    await carol.press("✅ Save")
    await carol.send("/cart")
    await carol.press("✅ Checkout")
    await carol.press(button_starting(carol, "⭐ Carol Baker"))
    await carol.press(button_starting(carol, "Pick up at the shop"))
    await carol.press(button_starting(carol, "⭐ Confirm and pay"))
    await carol.pay_invoice()
    await carol.send("/orders")
    return [carol]


async def owner_adds_goods_and_stock(k: Sandboxed) -> list[SandboxUser]:
    """The shop owner adds a category and a product with a photo, then receives stock."""
    olga = k.sandbox.user(DEMO_OWNER, "Olga", username="olga_owner", language_code="en")
    await olga.send("/admin")
    await olga.press("🗂 Categories")
    await olga.press("➕ New here")
    await olga.send("Tea ware | 茶具")
    await olga.press("⬅️ Back")
    await olga.press("⬅️ Admin menu")
    await olga.press("📦 Goods")
    await olga.press("➕ New product")
    await olga.press("📦 Goods we ship")  # not a digital good (codes) nor a service
    await olga.send("Yixing clay teapot")
    await olga.send("宜兴紫砂壶")
    await olga.send("Hand-made from purple clay, 200 ml.")
    await olga.press("Tea ware")
    await olga.send("-3")
    await olga.send("39,90")
    await olga.send_photo(b"\xff\xd8 demo teapot photo")
    await olga.press("✅ Done")
    await olga.send("Volume: 200 ml\nMaterial: zisha clay")
    await olga.send("4")
    await olga.press("⏭ Skip")
    await olga.press("💾 Save")
    await olga.press("📦 Adjust stock")
    await olga.press("Received")
    await olga.send("12")
    await olga.send("/stock")
    return [olga]


SCENES: list[tuple[str, Scene]] = [
    ("A shopper registers through a friend's link and fills in her profile", shopper_registers),
    ("Shoppers browse the catalogue, search in English and Chinese", shopper_browses_and_searches),
    ("A shopper checks out and pays with Telegram Stars", shopper_buys_and_pays),
    (
        "A shopper buys in the Mini App storefront and pays with openInvoice",
        shopper_buys_in_mini_app,
    ),
    ("The owner adds a product with a photo and receives stock", owner_adds_goods_and_stock),
    ("The owner ships an order and opens a report with its chart", owner_ships_and_reports),
    (
        "The owner schedules a promotion; a sale triggers the low-stock alert",
        owner_schedules_campaign_and_gets_low_stock_alert,
    ),
    (
        "Friends earn points; a sold-out favourite comes back cheaper",
        friends_earn_points_and_alerts,
    ),
    (
        "The owner sells licence keys; a shopper gets one at once and asks the shop a question",
        owner_sells_keys_and_shopper_asks,
    ),
]


def print_transcript(title: str, users: list[SandboxUser]) -> None:
    print(f"\n=== {title} ===")
    for user in users:
        print(f"--- chat with {user.first_name} ---")
        print(user.transcript(history=True))


async def run_demo(settings: Settings, browse: bool = False) -> int:
    """Play every scene; with `browse`, then keep the shop running for a person's browser
    (until Ctrl-C)."""
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as tmp:
        database_url = f"sqlite://{Path(tmp) / 'demo.sqlite3'}"
        async with run_sandboxed(
            database_url,
            storefront=True,
            shop={"name": settings.shop.name},
            admin_ids=[DEMO_OWNER],
            payments=DEMO_PAYMENTS,
        ) as running:
            print(
                f"Kiosk demo: sandbox Telegram at {running.sandbox.base_url}, "
                f"database {database_url}"
            )
            for title, scene in SCENES:
                print_transcript(title, await scene(running))
            if browse:
                await keep_open_for_a_person(running)
            refused = running.sandbox.errors
            for call in refused:
                print(f"REFUSED by Telegram rules: {call.method}: {call.description}")
            print(f"\n{len(running.sandbox.calls)} Bot API calls, {len(refused)} refused.")
            return 1 if refused else 0


BROWSING_SHOPPERS = ((2100, "en"), (2101, "zh"))


async def keep_open_for_a_person(k: Sandboxed) -> None:
    """Print the links that open the storefront as a shopper in one's own browser (inside
    the emulator's Telegram client, signed just then), then echo what the bot tells those
    shoppers in the chat (receipts after paying), until interrupted."""
    open_url = f"{k.sandbox.base_url}/miniapp/open"
    shoppers = []
    for user_id, lang in BROWSING_SHOPPERS:
        shopper = k.sandbox.user(user_id, "Shopper", language_code=lang)
        await shopper.send("/start")
        shoppers.append(shopper)
    print("\n=== The storefront is open: shop in your own browser ===")
    print(f"  English:           {open_url}?user=2100")
    print(f"  中文:              {open_url}?user=2101&lang=zh")
    print(f"  dark theme:        {open_url}?user=2100&theme=dark")
    print(f"  open a product:    {open_url}?user=2100&start_param=p_1")
    print(f"  (the storefront itself: {storefront_url(k.settings)}; Ctrl-C stops the demo)")
    print("Messages the bot sends these shoppers in the chat appear below.", flush=True)
    seen = {s.user_id: max((m.change_seq for m in s.messages), default=0) for s in shoppers}
    try:
        while True:
            await asyncio.sleep(0.5)
            for shopper in shoppers:
                for message in shopper.changed_since(seen[shopper.user_id]):
                    seen[shopper.user_id] = max(seen[shopper.user_id], message.change_seq)
                    print(
                        message.render(k.sandbox.bot().first_name, f"user {shopper.user_id}"),
                        flush=True,
                    )
    except asyncio.CancelledError:  # Ctrl-C: end normally, so the summary below still prints
        print("\nstopping the demo")
