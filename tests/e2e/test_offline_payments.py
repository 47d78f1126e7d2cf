"""Cash on delivery and bank transfer end to end: the order is placed with its stock reserved
and no invoice, staff mark it paid (/paid or the board's button: the same paid transition as a
card payment, once, audited) and ship it; an offline order nobody marks expires after the
longer offline deadline and releases its stock."""

# ruff: noqa: F811

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from demo.harness import Sandboxed
from storage.admin.models import AuditRow
from storage.catalog.models import ProductRow
from storage.orders.models import OrderRow, PaymentRow
from tests.e2e.conftest import running_kiosk
from tests.e2e.shop_fixtures import PAYMENTS, seed_goods, shop, shop_mode  # noqa: F401
from tests.e2e.test_checkout import add_address

BANK = "Kiosk Ltd, IBAN GB00 KIOS 0000 0000 0000 00"


@pytest_asyncio.fixture
async def offline_shop(
    shop_mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Sandboxed]:
    payments = {**PAYMENTS, "cash_on_delivery": True, "bank_transfer": BANK}
    async with running_kiosk(
        shop_mode,
        request,
        tmp_path,
        payments=payments,
        checkout={"offline_reservation_hours": 48},
        scheduler={"enabled": False},
    ) as running:
        yield running


async def review_of(shop: Sandboxed, telegram_id: int, mug_id: int):  # type: ignore[no-untyped-def]
    user = shop.sandbox.user(telegram_id, "Alice")
    await user.send("/start")
    await user.press_data(f"cart:add:{mug_id}:0")
    await user.send("/cart")
    await user.press("✅ Checkout")
    await add_address(user)
    await user.send("/cart")
    await user.press("✅ Checkout")
    await user.press("⭐ Alice Liddell, Christ Church, St Aldates, Oxford")
    return (await user.press("Standard delivery — $5.00"))[-1]


async def place(shop: Sandboxed, telegram_id: int, goods, button: str):  # type: ignore[no-untyped-def]
    await review_of(shop, telegram_id, goods.mug_id)
    user = shop.sandbox.user(telegram_id, "Alice")
    replies = await user.press(button)
    assert not any(m.raw.get("invoice") for m in user.messages), user.transcript()
    order = await OrderRow.get(user__telegram_id=telegram_id)
    return user, order, replies


async def test_cash_on_delivery_marked_paid_and_shipped(offline_shop: Sandboxed) -> None:
    shop = offline_shop
    goods = await seed_goods(shop.app.services.catalog)
    alice, order, replies = await place(shop, 3001, goods, "💵 Confirm, pay cash on delivery")
    assert "pay $17.00 in cash when it is delivered" in replies[-1].content, alice.transcript()
    assert (order.pay_method, order.status, order.pay_amount) == ("cod", "pending_payment", 1700)
    assert order.expires_at - order.created_at == timedelta(hours=48)
    mug = await ProductRow.get(id=goods.mug_id)
    assert (mug.on_hand, mug.reserved) == (5, 1)
    # The shopper's order has no Pay button (there is no invoice to pay).
    await alice.send("/orders")
    await alice.press(f"#{order.id} · ⏳ Waiting for payment · $17.00")
    assert "💳 Pay" not in alice.last_bot_message.button_texts()
    # Staff see "Mark paid" on the board's order view and press it once...
    owner = shop.sandbox.user(9000, "Merchant")
    await owner.send("/start")
    replies = await owner.press_data(f"ado:o:{order.id}::1")
    assert "💵 Mark paid" in owner.last_bot_message.button_texts(), owner.transcript()
    await owner.press("💵 Mark paid")
    # ... and a second time by command: refused, nothing changes.
    replies = await owner.send(f"/paid {order.id}")
    assert "can't be done" in replies[-1].content, owner.transcript()
    row = await OrderRow.get(id=order.id)
    assert (row.status, row.payment_status) == ("paid", "paid")
    assert await PaymentRow.filter(order_id=order.id).count() == 1
    mug = await ProductRow.get(id=goods.mug_id)
    assert (mug.on_hand, mug.reserved) == (4, 0)
    assert any("Payment received for order" in m.content for m in alice.bot_messages)
    assert (
        await AuditRow.filter(action="orders.mark_paid", target=f"order:{order.id}").count() == 1
    )
    replies = await owner.send(f"/ship {order.id} TRACK-7")
    assert "Shipped" in replies[-1].content
    assert any("TRACK-7" in m.content for m in alice.bot_messages)
    # A shopper can't mark anything paid.
    await alice.send(f"/paid {order.id}")
    assert (await OrderRow.get(id=order.id)).status == "shipped"


async def test_bank_transfer_unmarked_expires_and_releases_stock(offline_shop: Sandboxed) -> None:
    shop = offline_shop
    goods = await seed_goods(shop.app.services.catalog)
    _alice, order, replies = await place(shop, 3002, goods, "🏦 Confirm, pay by bank transfer")
    assert BANK in replies[-1].content and f"#{order.id}" in replies[-1].content
    assert (order.pay_method, order.status) == ("bank", "pending_payment")
    # The card reservation (15 minutes) would have ended; the offline one has not.
    orders = shop.app.services.orders
    assert await orders.expire_overdue(datetime.now(UTC) + timedelta(hours=1)) == []
    changes = await orders.expire_overdue(datetime.now(UTC) + timedelta(hours=49))
    assert [c.order.id for c in changes] == [order.id]
    row = await OrderRow.get(id=order.id)
    assert (row.status, row.payment_status) == ("expired", "void")
    mug = await ProductRow.get(id=goods.mug_id)
    assert (mug.on_hand, mug.reserved) == (5, 0)
    owner = shop.sandbox.user(9000, "Merchant")
    await owner.send("/start")
    replies = await owner.send(f"/paid {order.id}")
    assert "can't be done" in replies[-1].content
    assert await PaymentRow.filter(order_id=order.id).count() == 0


async def test_offline_methods_are_off_unless_the_merchant_turns_them_on(shop: Sandboxed) -> None:
    """A shop without cash on delivery or bank transfer offers neither, and a forged
    callback asking for one places nothing and reserves nothing."""
    goods = await seed_goods(shop.app.services.catalog)
    user = shop.sandbox.user(3003, "Alice")
    await user.send("/start")
    await user.press_data(f"cart:add:{goods.mug_id}:0")
    await user.send("/cart")
    await user.press("✅ Checkout")
    await add_address(user)
    await user.send("/cart")
    await user.press("✅ Checkout")
    await user.press("⭐ Alice Liddell, Christ Church, St Aldates, Oxford")
    review = (await user.press("Standard delivery — $5.00"))[-1]
    buttons = review.button_texts()
    assert "💳 Confirm and pay by card" in buttons, user.transcript()
    assert "Your items are reserved for 15 minutes once you confirm." in review.content
    assert "kept for" not in review.content
    assert not any("cash on delivery" in b or "bank transfer" in b for b in buttons)
    card = review.callback_data("💳 Confirm and pay by card")
    for method in ("cod", "bank"):
        await user.press_data(card.replace(":card:", f":{method}:"))
        answer = user.last_callback_answer or {}  # refused with an alert, whichever check
        assert answer.get("show_alert") and answer.get("text"), user.transcript()
    assert await OrderRow.filter(user__telegram_id=3003).count() == 0
    mug = await ProductRow.get(id=goods.mug_id)
    assert (mug.on_hand, mug.reserved) == (5, 0)


async def test_the_review_says_how_long_each_method_holds_the_items(
    offline_shop: Sandboxed,
) -> None:
    """Card and Stars hold the items for the invoice's 15 minutes; cash on delivery and bank
    transfer for the offline reservation (48 hours here), said in days."""
    goods = await seed_goods(offline_shop.app.services.catalog)
    review = await review_of(offline_shop, 3004, goods.mug_id)
    assert (
        "Once you confirm, your items are reserved for 15 minutes when you pay online, or "
        "kept for 2 days when you choose cash on delivery or bank transfer."
    ) in review.content, review.content
    assert "reserved for 15 minutes once you confirm" not in review.content


@pytest.mark.parametrize("shop_mode", ["polling-sqlite"], indirect=False)
async def test_a_cash_only_shop_says_the_offline_hold(
    shop_mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """A shop taking only cash on delivery (no provider, no Stars) promises its offline hold,
    in the largest unit that states it exactly (36 hours, not "2 days")."""
    payments = {"currency": "USD", "cash_on_delivery": True}
    async with running_kiosk(
        shop_mode,
        request,
        tmp_path,
        payments=payments,
        checkout={"offline_reservation_hours": 36},
        scheduler={"enabled": False},
    ) as shop:
        goods = await seed_goods(shop.app.services.catalog)
        review = await review_of(shop, 3005, goods.mug_id)
        assert review.button_texts()[0] == "💵 Confirm, pay cash on delivery", review.content
        assert (
            "Once you confirm, your items are kept for 36 hours while we wait for your payment."
        ) in review.content, review.content
        assert "minutes" not in review.content
