"""Demo scene of loyalty and alerts (used by bot/demo.py): a shopper invited by a friend
receives her order and both earn points; she asks to hear when a sold-out product is back and
when a favourite gets cheaper, and hears both once."""

from __future__ import annotations

import asyncio

from bot.jobs.alerts import back_in_stock_alerts, price_drop_alerts
from bot.jobs.scheduler import JobContext
from demo.back_office import DEMO_OWNER, seed_paid_order
from demo.harness import Sandboxed
from domain.inventory.ledger import StockReason
from sandbox import SandboxUser
from storage.catalog.models import ProductRow
from storage.inventory.ledger import apply_stock_movement


async def friends_earn_points_and_alerts(k: Sandboxed) -> list[SandboxUser]:
    """Dan invites Erin; her first order completes: points for both. Then a sold-out teapot
    comes back and a favourite's price drops: Erin hears each once."""
    dan = k.sandbox.user(2007, "Dan", language_code="en")
    await dan.send("/start")
    code = await k.app.services.users.repo.get_by_telegram_id(2007)
    assert code is not None
    erin = k.sandbox.user(2008, "Erin", language_code="en")
    await erin.send(f"/start ref_{code.referral_code}")
    order_id = await seed_paid_order(k, 2008, "Erin Gray, 12 Rose Lane, Bath")
    await asyncio.sleep(3)  # the owner comes back to the chat a little later (flood guard)
    olga = k.sandbox.user(DEMO_OWNER, "Olga", username="olga_owner", language_code="en")
    await olga.send(f"/ship {order_id} SF9876543210")
    await olga.send(f"/deliver {order_id}")
    await erin.press("🧾 View order")
    await erin.press("📦 I received it")
    await erin.send("/points")

    # The owner writes the last teapots off; Erin finds it sold out and asks to be told.
    teapot = await ProductRow.get(title_en="Yixing clay teapot")
    left = teapot.on_hand - teapot.reserved
    await apply_stock_movement(teapot.id, None, -left, 0, StockReason.DAMAGED, actor=DEMO_OWNER)
    await erin.send(f"/start p_{teapot.id}")
    await erin.press("🔔 Notify me when it's back")
    await erin.press("♡ Favourite")
    await erin.send("/alerts")
    await erin.press("📉 Get price-drop alerts")
    ctx = JobContext(bot=k.app.bot, services=k.app.services, settings=k.settings)
    await price_drop_alerts(ctx)  # the every-5-minutes sweep notes the favourite's price
    # A delivery arrives and the owner marks the teapot down; the scheduler's sweeps run.
    await apply_stock_movement(teapot.id, None, 6, 0, StockReason.RECEIVED, actor=DEMO_OWNER)
    await k.app.services.catalog.update_product(teapot.id, price=teapot.price * 80 // 100)
    await back_in_stock_alerts(ctx)
    await price_drop_alerts(ctx)
    await back_in_stock_alerts(ctx)  # once each: the second sweeps find nothing to say
    await price_drop_alerts(ctx)
    # Messages the bot sent on its own (no user action before them) aren't part of a chat's
    # story, so show them here as each person sees them.
    for person, needle in ((dan, "points"), (erin, "is back in stock!"), (erin, "cheaper now")):
        received = [m for m in person.bot_messages if needle in m.content]
        print(f"--- {person.first_name} received {len(received)} message(s) about {needle!r} ---")
        for message in received:
            print(message.render(person.bot.first_name, person.first_name), end="")
    await erin.press("🛍 Open the product")
    return [erin, dan]
