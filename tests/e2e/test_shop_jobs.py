"""Shop jobs end to end against the sandbox: the low-stock alert after a purchase crosses the
threshold (once, not per sale), the abandoned-cart reminder (opted-in shoppers only) and the
daily sales report. Jobs are called directly, as the scheduler would (it is off here).
"""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.jobs.scheduler import JobContext
from bot.jobs.shop import abandoned_cart_reminders, daily_sales_report, low_stock_alerts
from demo.harness import Sandboxed
from storage.catalog.models import ProductRow
from storage.models import UserRow
from storage.orders.models import OrderRow
from tests.e2e.shop_fixtures import seed_goods, shop, shop_mode  # noqa: F401
from tests.e2e.test_checkout import checkout_to_invoice

OWNER = 9000


def job_context(shop: Sandboxed) -> JobContext:
    shop.sandbox.user(OWNER, "Owner")  # the owner has a chat with the bot
    return JobContext(bot=shop.app.bot, services=shop.app.services, settings=shop.settings)


def alerts(shop: Sandboxed) -> list[str]:
    owner = shop.sandbox.user(OWNER, "Owner")
    return [m.content for m in owner.bot_messages if "Running low" in m.content]


async def buy_two_mugs(shop: Sandboxed, buyer_id: int, goods) -> OrderRow:  # type: ignore[no-untyped-def]
    buyer = shop.sandbox.user(buyer_id, f"Buyer{buyer_id}")
    order = await checkout_to_invoice(shop, buyer, goods, "💳 Confirm and pay by card")
    assert (await buyer.pay_invoice()).ok, buyer.transcript()
    return await OrderRow.get(id=order.id)


async def test_low_stock_alert_once_per_crossing(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    ctx = job_context(shop)
    await ProductRow.filter(id=goods.mug_id).update(on_hand=8, low_stock_threshold=6)
    await low_stock_alerts(ctx)
    before = alerts(shop)  # the T-shirt's L variant (0 left) is already low: one alert
    assert len(before) == 1 and "TEE-L" in before[0] and "Mug" not in before[0]
    await buy_two_mugs(shop, 1101, goods)  # 8 -> 6: reaches the threshold
    await low_stock_alerts(ctx)
    now_low = alerts(shop)[len(before) :]
    assert len(now_low) == 1, now_low
    assert "Mug (MUG-1): 6 left (threshold 6)" in now_low[0]
    for buyer_id in (1102, 1103):  # 6 -> 4 -> 2: still low, no new alert
        await buy_two_mugs(shop, buyer_id, goods)
        await low_stock_alerts(ctx)
    assert len(alerts(shop)) == len(before) + 1
    assert (await ProductRow.get(id=goods.mug_id)).on_hand == 2


def reminders(person) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.content for m in person.bot_messages if "left" in m.content and "cart" in m.content]


async def test_abandoned_cart_reminder_only_for_opted_in(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    fan, shy = shop.sandbox.user(1201, "Fan"), shop.sandbox.user(1202, "Shy")
    for person, opted_in in ((fan, True), (shy, False)):
        await person.send("/start")
        await person.press_data(f"cart:add:{goods.mug_id}:0")
        await UserRow.filter(telegram_id=person.user_id).update(marketing_opt_in=opted_in)
    ctx = job_context(shop)
    await abandoned_cart_reminders(ctx)  # the carts changed a moment ago: too early
    assert reminders(fan) == [] and reminders(shy) == []
    later = datetime.now(UTC) + timedelta(hours=shop.settings.campaigns.abandoned_cart_hours + 1)
    await abandoned_cart_reminders(ctx, now=later)
    await abandoned_cart_reminders(ctx, now=later + timedelta(hours=1))  # a second run: no repeat
    assert reminders(fan) == [
        "🛒 You left 1 item(s) in your cart. They're still waiting — ready to check out?"
    ]
    assert reminders(shy) == []
    assert fan.last_bot_message is not None
    assert fan.last_bot_message.button_texts() == ["🛒 Open my cart", "🔕 No more promotions"]
    await fan.press("🛒 Open my cart")
    assert "Mug" in fan.last_bot_message.content, fan.transcript()


async def test_daily_sales_report(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    ctx = job_context(shop)
    order = await buy_two_mugs(shop, 1301, goods)
    assert order.paid_at is not None
    await daily_sales_report(ctx, now=order.paid_at + timedelta(days=1))
    owner = shop.sandbox.user(OWNER, "Owner")
    report = owner.last_bot_message
    assert report is not None
    day = order.paid_at.date().isoformat()
    assert report.content.splitlines() == [
        f"📊 Sales on {day}",
        "Orders paid: 1",
        "Revenue: $24.00",
        "Units sold: 2",
        "",
        "Top goods",
        "1. Mug — 2 sold",
    ], report.content
