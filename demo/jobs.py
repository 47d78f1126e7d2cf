"""Demo scene of scheduled jobs (used by bot/demo.py): the owner schedules a campaign a few
seconds ahead and it reaches the opted-in shoppers; a sale takes a product down to its
low-stock threshold and the owner gets the alert from the every-minute check."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.jobs.scheduler import JobContext
from bot.jobs.shop import low_stock_alerts
from demo.harness import Sandboxed
from domain.catalog.service import CategoryDraft, Localized, ProductDraft
from domain.orders.service import OrderDraft, OrderLine, PaymentRecord, PayMethod
from sandbox import SandboxUser
from sandbox.models import SandboxMessage

DEMO_OWNER = 9000
PROMO = "🍵 Tea week: 15% off every teapot until Sunday!"


async def _sell(k: Sandboxed, telegram_id: int, product_id: int, quantity: int) -> None:
    """A paid order placed straight through the order service (the demo has no provider)."""
    orders, users = k.app.services.orders, k.app.services.users
    assert orders is not None
    buyer = await users.repo.get_by_telegram_id(telegram_id)
    product = await k.app.services.catalog.detail(product_id)
    assert buyer is not None
    item = product.product
    now = datetime.now(UTC)
    line = OrderLine(item.id, None, item.sku, item.title, "", item.price, quantity)
    draft = OrderDraft(
        user_id=buyer.id,
        lines=(line,),
        currency=item.currency,
        subtotal=line.amount,
        discount=0,
        shipping=0,
        pay_method=PayMethod.CARD,
        pay_currency=item.currency,
        pay_amount=line.amount,
        address="Mei Lin, 8 Nanjing Road, Shanghai",
        shipping_option_id=None,
        shipping_title=None,
        coupon_id=None,
        coupon_code=None,
        once_per_customer=False,
        created_at=now,
        expires_at=now + timedelta(minutes=15),
    )
    order = await orders.repo.place(draft)
    payment = PaymentRecord(
        order.id,
        buyer.id,
        telegram_id,
        f"demo-jobs-{order.id}",
        "demo",
        order.pay_currency,
        order.pay_amount,
        False,
        now,
    )
    await orders.pay(order, payment, now, {})


async def _wait(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = asyncio.get_running_loop().time() + seconds
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


async def owner_schedules_campaign_and_gets_low_stock_alert(k: Sandboxed) -> list[SandboxUser]:
    """Shoppers opt in; the owner composes a promotion and schedules it 3 s ahead; the
    scheduler starts it and the delivery engine sends it. Then a sale takes the matcha whisk
    to its low-stock threshold and the owner is told once."""
    started = asyncio.get_running_loop().time()
    shoppers = []
    for uid, name in ((3001, "Dan"), (3002, "Eve")):
        shopper = k.sandbox.user(uid, name, language_code="en")
        await shopper.send("/settings")
        await shopper.press("🔔 Get promotions")
        shoppers.append(shopper)
    quiet = k.sandbox.user(3003, "Fay", language_code="en")  # never opted in
    await quiet.send("/start")
    await asyncio.sleep(2)  # the owner pauses after the previous scene (flood guard)
    olga = k.sandbox.user(DEMO_OWNER, "Olga", username="olga_owner", language_code="en")
    await olga.send("/campaign")
    await olga.press("➕ New campaign")
    await olga.send(PROMO)
    await olga.press("⏭ No photo")
    await olga.press("⏭ No button")
    await olga.press("Everyone who opted in")
    card = olga.last_bot_message
    assert card is not None and "Campaign #" in card.content
    campaign_id = int(card.content.split("#", 1)[1].split()[0])
    # The composer schedules to the minute; the demo schedules to the second to stay short.
    now = datetime.now(UTC)
    await k.app.services.campaigns.schedule_at(campaign_id, now + timedelta(seconds=3), now)
    print(f"campaign #{campaign_id} scheduled for {now + timedelta(seconds=3):%H:%M:%S} UTC")
    arrived = await _wait(
        lambda: all(any(PROMO in m.content for m in s.bot_messages) for s in shoppers), 12
    )
    print(
        f"promotion delivered to the opted-in shoppers: {arrived}; "
        f"to Fay (not opted in): {any(PROMO in m.content for m in quiet.bot_messages)}"
    )
    # A sale takes the whisk from 5 to 3 = its threshold.
    catalog = k.app.services.catalog
    category = await catalog.create_category(CategoryDraft(Localized("Matcha", "抹茶")))
    whisk = await catalog.create_product(
        ProductDraft(
            sku="WHISK-1",
            category_id=category.id,
            title=Localized("Bamboo matcha whisk", "竹制茶筅"),
            price=1500,
            on_hand=5,
            low_stock_threshold=3,
        )
    )
    ctx = JobContext(bot=k.app.bot, services=k.app.services, settings=k.settings)
    await low_stock_alerts(ctx)  # the every-minute check, run now: nothing new is low yet
    await _sell(k, 3001, whisk.id, 2)
    await low_stock_alerts(ctx)  # the whisk crossed its threshold: one alert
    await _sell(k, 3002, whisk.id, 1)
    await low_stock_alerts(ctx)  # still low: no second alert
    alerts = [m for m in olga.bot_messages if "Running low" in m.content]
    print(
        f"low-stock alerts to the owner: {len(alerts)} (after two sales of the whisk); "
        f"scene took {asyncio.get_running_loop().time() - started:.1f} s"
    )
    # Messages the bot sent on its own (no user action before them) aren't part of a chat's
    # story, so show them here as each person sees them.
    for person, messages in ((shoppers[0], _with(shoppers[0], PROMO)), (olga, alerts)):
        for message in messages:
            print(f"--- {person.first_name} received ---")
            print(message.render(person.bot.first_name, person.first_name), end="")
    return [olga, *shoppers, quiet]


def _with(user: SandboxUser, text: str) -> list[SandboxMessage]:
    return [m for m in user.bot_messages if text in m.content]
