"""Demo scene of the merchant back office: a paid order is shipped from the orders board and
the owner opens a 7-day report with its chart (used by bot/demo.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from demo.harness import Sandboxed
from domain.catalog.service import Localized
from domain.orders.service import OrderDraft, OrderLine, PaymentRecord, PayMethod
from sandbox import SandboxUser
from storage.catalog.models import ProductRow

DEMO_OWNER = 9000


async def seed_paid_order(
    k: Sandboxed, telegram_id: int, address: str = "Mei Lin, 8 Nanjing Road, Shanghai"
) -> int:
    """A paid order for the teapot the owner created, placed and paid straight through the
    order service (the demo has no payment provider)."""
    orders, users = k.app.services.orders, k.app.services.users
    assert orders is not None
    buyer = await users.repo.get_by_telegram_id(telegram_id)
    teapot = await ProductRow.filter(title_en="Yixing clay teapot").first()
    assert buyer is not None and teapot is not None
    now = datetime.now(UTC)
    line = OrderLine(
        teapot.id,
        None,
        teapot.sku,
        Localized(teapot.title_en, teapot.title_zh),
        "",
        teapot.price,
        2,
    )
    draft = OrderDraft(
        user_id=buyer.id,
        lines=(line,),
        currency=teapot.currency,
        subtotal=line.amount,
        discount=0,
        shipping=0,
        pay_method=PayMethod.CARD,
        pay_currency=teapot.currency,
        pay_amount=line.amount,
        address=address,
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
        f"demo-{order.id}",
        "demo",
        order.pay_currency,
        order.pay_amount,
        False,
        now,
    )
    await orders.pay(order, payment, now, {})
    return order.id


async def owner_ships_and_reports(k: Sandboxed) -> list[SandboxUser]:
    """The owner ships a paid order with a tracking number, then opens a 7-day report."""
    mei = k.sandbox.user(1201, "Mei", language_code="zh-hans")
    await mei.send("/start")
    order_id = await seed_paid_order(k, 1201)
    # Olga just finished the previous scene; a person pauses between two tasks, and the flood
    # guard (4 updates/s, burst 10) would drop a script's uninterrupted burst.
    await asyncio.sleep(3)
    olga = k.sandbox.user(DEMO_OWNER, "Olga", username="olga_owner", language_code="en")
    await olga.send("/admin")
    await olga.press("🧾 Orders")
    board = olga.last_bot_message
    assert board is not None
    await olga.press(next(b for b in board.button_texts() if b.startswith("💰 Paid (")))
    paid = olga.last_bot_message
    assert paid is not None
    await olga.press(next(b for b in paid.button_texts() if b.startswith(f"#{order_id} ")))
    await olga.press("🚚 Ship")
    await olga.send("SF Express")
    await olga.send("SF1234567890")
    await olga.send("/report")
    await olga.press("7 days")
    for _ in range(100):  # the chart and the CSV follow once rendered
        last = olga.last_bot_message
        if last is not None and last.document is not None:
            break
        await asyncio.sleep(0.1)
    await mei.send("/orders")  # the buyer was told; her order list shows it on its way
    return [olga, mei]
