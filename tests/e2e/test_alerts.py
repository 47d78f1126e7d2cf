"""Back-in-stock and price-drop alerts end to end against the sandbox (both modes).

The sweeps are called directly, as the scheduler would (it is off in the `shop` fixture).
"""

# ruff: noqa: F811  (pytest fixtures imported from shop_fixtures are named as arguments)

from __future__ import annotations

import pytest

from bot.jobs.alerts import BackInStockWaker, back_in_stock_alerts, price_drop_alerts
from bot.jobs.scheduler import JobContext
from demo.harness import Sandboxed
from domain.alerts.back_in_stock import MAX_SUBSCRIPTIONS
from domain.catalog.service import Localized, ProductDraft
from domain.inventory.ledger import StockReason
from domain.kernel.errors import LimitReached
from handlers.alerts.shopper import AlertCb
from handlers.catalog.callbacks import CardCb
from storage.alerts.models import StockSubscriptionRow
from storage.inventory.ledger import apply_stock_movement
from storage.models import UserRow
from tests.e2e.shop_fixtures import seed_goods, shop, shop_mode  # noqa: F401
from tests.e2e.test_campaigns import wait_for

NOTIFY = "🔔 Notify me when it's back"
BACK = "is back in stock!"


def job_context(shop: Sandboxed) -> JobContext:
    return JobContext(bot=shop.app.bot, services=shop.app.services, settings=shop.settings)


def told(person, needle: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.content for m in person.bot_messages if needle in m.content]


def sent_to(shop: Sandboxed, chat_id: int, needle: str) -> int:
    """Messages ever sent to the chat containing `needle` (even if later edited away)."""
    return sum(
        1
        for c in shop.sandbox.calls
        if c.method == "sendMessage"
        and c.ok
        and str(c.params.get("chat_id")) == str(chat_id)
        and needle in str(c.params.get("text"))
    )


async def open_card(person, product_id: int, variant_id: int = 0) -> None:  # type: ignore[no-untyped-def]
    await person.press_data(CardCb(a="o", p=product_id, v=variant_id).pack())


async def test_back_in_stock_alert_once_after_restock(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    ctx = job_context(shop)
    fan = shop.sandbox.user(1401, "Fan")
    await fan.send("/start")
    await open_card(fan, goods.shirt_id, goods.shirt_l_id)  # size L: none left
    assert fan.last_bot_message is not None
    buttons = fan.last_bot_message.button_texts()
    assert NOTIFY in buttons and "🛒 Add to cart" not in buttons, fan.transcript()
    await fan.press(NOTIFY)
    assert fan.last_callback_answer is not None
    assert "once it's back in stock" in str(fan.last_callback_answer.get("text"))
    await fan.press(NOTIFY)  # twice: a clear answer, still one subscription
    assert "already on the list" in str(fan.last_callback_answer.get("text"))
    assert await StockSubscriptionRow.all().count() == 1

    await back_in_stock_alerts(ctx)  # still sold out: nothing to say
    assert told(fan, BACK) == []

    await apply_stock_movement(
        goods.shirt_id, goods.shirt_l_id, 4, 0, StockReason.CORRECTION, actor=9000
    )
    await back_in_stock_alerts(ctx)
    alerts = told(fan, BACK)
    assert alerts == ["🔔 T-shirt (L) is back in stock! Order it before it sells out again."]
    assert fan.last_bot_message is not None
    assert fan.last_bot_message.button_texts() == ["🛍 Open the product"]
    await fan.press("🛍 Open the product")
    assert "T-shirt" in fan.last_bot_message.content and "L" in fan.last_bot_message.content
    assert "🛒 Add to cart" in fan.last_bot_message.button_texts(), fan.transcript()

    # The subscription ended: another sell-out and restock tells nobody.
    await apply_stock_movement(goods.shirt_id, goods.shirt_l_id, -4, 0, StockReason.CORRECTION)
    await apply_stock_movement(goods.shirt_id, goods.shirt_l_id, 2, 0, StockReason.CORRECTION)
    await back_in_stock_alerts(ctx)
    await back_in_stock_alerts(ctx)
    assert sent_to(shop, 1401, BACK) == 1
    assert await StockSubscriptionRow.all().count() == 0


async def test_back_in_stock_in_chinese_and_via_alerts_list(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    await apply_stock_movement(goods.mug_id, None, -5, 0, StockReason.CORRECTION)  # sold out
    zh = shop.sandbox.user(1402, "小明", language_code="zh-hans")
    await zh.send("/start")
    await open_card(zh, goods.mug_id)
    await zh.press("🔔 到货通知我")
    await zh.send("/alerts")
    assert "正在等待以下商品到货" in zh.last_bot_message.content, zh.transcript()
    assert "杯子" in zh.last_bot_message.content
    await apply_stock_movement(goods.mug_id, None, 3, 0, StockReason.RETURN)
    await back_in_stock_alerts(job_context(shop))
    assert told(zh, "已到货") == ["🔔 杯子 已到货！趁还没再次售罄赶快下单吧。"]
    assert zh.last_bot_message.button_texts() == ["🛍 查看商品"]


async def test_unsubscribe_from_the_list(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    fan = shop.sandbox.user(1403, "Fan")
    await fan.send("/start")
    await open_card(fan, goods.shirt_id, goods.shirt_l_id)
    await fan.press(NOTIFY)
    await fan.send("/profile")
    await fan.press("🔔 My alerts")
    assert "T-shirt (L)" in fan.last_bot_message.content, fan.transcript()
    await fan.press("✖")
    assert "You're not waiting for anything" in fan.last_bot_message.content
    await apply_stock_movement(goods.shirt_id, goods.shirt_l_id, 4, 0, StockReason.CORRECTION)
    await back_in_stock_alerts(job_context(shop))
    assert told(fan, BACK) == []


async def test_bad_subscriptions_get_clear_answers(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    catalog = shop.app.services.catalog
    person = shop.sandbox.user(1404, "Picky")
    await person.send("/start")
    await open_card(person, goods.mug_id)  # 5 in stock: no Notify button
    assert NOTIFY not in person.last_bot_message.button_texts()
    await person.press_data(AlertCb(a="n", p=goods.mug_id).pack())  # forged anyway
    assert "in stock right now" in str(person.last_callback_answer.get("text"))
    await person.press_data(AlertCb(a="n", p=goods.shirt_id, v=goods.shirt_m_id).pack())
    assert "in stock right now" in str(person.last_callback_answer.get("text"))
    await catalog.update_product(goods.shirt_id, active=False)  # taken off sale
    await person.press_data(AlertCb(a="n", p=goods.shirt_id, v=goods.shirt_l_id).pack())
    assert "no longer available" in str(person.last_callback_answer.get("text"))
    await person.press_data(AlertCb(a="n", p=2**31 - 2).pack())  # never existed / deleted
    assert "no longer available" in str(person.last_callback_answer.get("text"))
    await person.press_data(AlertCb(a="n", p=goods.mug_id, v=goods.shirt_l_id).pack())
    assert "no longer available" in str(person.last_callback_answer.get("text"))
    await person.press_data(AlertCb(a="x", s=12345).pack())  # someone else's / none
    assert "no longer active" in str(person.last_callback_answer.get("text"))
    await person.press_data("al:n:-1:0:0")  # does not parse: the fallback answers
    assert person.last_callback_answer is not None
    assert await StockSubscriptionRow.all().count() == 0


async def test_price_drop_alert_for_opted_in_favourite_only(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    catalog = shop.app.services.catalog
    ctx = job_context(shop)
    fan, shy = shop.sandbox.user(1501, "Fan"), shop.sandbox.user(1502, "Shy")
    for person in (fan, shy):
        await person.send("/start")
        await open_card(person, goods.mug_id)
        await person.press("♡ Favourite")
    await fan.send("/settings")
    await fan.press("🔔 My alerts")
    await fan.press("📉 Get price-drop alerts")
    assert "Price-drop alerts for your favourites: on" in fan.last_bot_message.content
    await price_drop_alerts(ctx)  # first sight: the reference is the current price
    await catalog.update_product(goods.mug_id, price=900)
    await price_drop_alerts(ctx)
    await price_drop_alerts(ctx)  # the same drop: not again
    drop = "📉 Your favourite Mug is cheaper now: $12.00 → $9.00"
    assert told(fan, "cheaper now") == [drop], fan.transcript()
    assert told(shy, "cheaper now") == []
    assert fan.last_bot_message.button_texts() == [
        "🛍 Open the product",
        "📉 Stop price-drop alerts",
    ]

    await catalog.update_product(goods.mug_id, price=800)  # a further drop
    await price_drop_alerts(ctx)
    await catalog.update_product(goods.mug_id, price=1000)  # a rise: silent
    await price_drop_alerts(ctx)
    await catalog.update_product(goods.mug_id, price=800)  # the same drop again: a new drop
    await price_drop_alerts(ctx)
    assert told(fan, "cheaper now")[1:] == [
        "📉 Your favourite Mug is cheaper now: $9.00 → $8.00",
        "📉 Your favourite Mug is cheaper now: $10.00 → $8.00",
    ]
    await fan.press("📉 Stop price-drop alerts")
    assert "Price-drop alerts off" in str(fan.last_callback_answer.get("text"))
    await catalog.update_product(goods.mug_id, price=500)
    await price_drop_alerts(ctx)
    assert len(told(fan, "cheaper now")) == 3
    assert told(shy, "cheaper now") == []


async def test_blocked_subscriber_is_marked_and_not_retried(shop: Sandboxed) -> None:
    goods = await seed_goods(shop.app.services.catalog)
    gone = shop.sandbox.user(1601, "Gone")
    await gone.send("/start")
    await open_card(gone, goods.shirt_id, goods.shirt_l_id)
    await gone.press(NOTIFY)
    shop.sandbox.block(1601)
    await apply_stock_movement(goods.shirt_id, goods.shirt_l_id, 1, 0, StockReason.CORRECTION)
    await back_in_stock_alerts(job_context(shop))
    refused = [c for c in shop.sandbox.calls if not c.ok]
    assert [c.method for c in refused] == ["sendMessage"]  # the 403, once; expected here
    shop.sandbox.calls = [c for c in shop.sandbox.calls if c.ok]
    assert (await UserRow.get(telegram_id=1601)).is_blocked
    assert await StockSubscriptionRow.all().count() == 0


async def test_admin_restock_wakes_the_sweep_without_waiting_for_the_interval(
    shop: Sandboxed,
) -> None:
    """The owner's /stock flow books the stock; the leader's waker sweeps a moment later."""
    goods = await seed_goods(shop.app.services.catalog)
    await apply_stock_movement(goods.mug_id, None, -5, 0, StockReason.CORRECTION)  # sold out
    fan = shop.sandbox.user(1701, "Fan")
    await fan.send("/start")
    await open_card(fan, goods.mug_id)
    await fan.press(NOTIFY)
    waker = BackInStockWaker(job_context(shop))
    await waker.start()
    try:
        owner = shop.sandbox.user(9000, "Owner")
        await owner.send("/stock")
        await owner.press("⛔️ Mug — 0 left")
        await owner.press("Received")
        await owner.send("3")
        assert "Stock updated" in owner.last_bot_message.content, owner.transcript()
        await wait_for(lambda: told(fan, BACK))
    finally:
        await waker.stop()
    assert told(fan, BACK) == ["🔔 Mug is back in stock! Order it before it sells out again."]
    assert await StockSubscriptionRow.all().count() == 0


async def test_a_full_alerts_list_fits_one_message(shop: Sandboxed) -> None:
    """The most subscriptions a shopper may hold, with the longest titles, in one valid screen
    (the sandbox refuses texts over 4096 characters and keyboards over 100 buttons)."""
    goods = await seed_goods(shop.app.services.catalog)
    catalog = shop.app.services.catalog
    alerts = shop.app.services.stock_alerts
    hoarder = shop.sandbox.user(1801, "Hoarder")
    await hoarder.send("/start")
    user_id = (await UserRow.get(telegram_id=1801)).id
    for n in range(MAX_SUBSCRIPTIONS):
        product = await catalog.create_product(
            ProductDraft(
                sku=f"LONG-{n}",
                category_id=goods.category_id,
                title=Localized(f"{n} " + "Very long title " * 12, "很长的标题" * 40),
                price=100,
            )
        )
        await alerts.subscribe(user_id, product.id)
    with pytest.raises(LimitReached):
        await alerts.subscribe(user_id, goods.shirt_id, goods.shirt_l_id)
    await hoarder.send("/alerts")
    screen = hoarder.last_bot_message
    assert screen is not None and "Waiting for these" in screen.content
    assert len(screen.button_texts()) == 2 * MAX_SUBSCRIPTIONS + 2
