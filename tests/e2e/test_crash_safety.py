"""kill -9 during checkout, payment and a broadcast under load, then restart: nothing is lost
or doubled.

Kiosk runs as a real child process (`python main.py run`) against a sandbox in this process:
polling on SQLite, webhook on PostgreSQL + Redis. Each phase arms a SIGKILL at a seeded random
Bot API call (KIOSK_CRASH_SEED picks other points), after which the process starts again by
itself. Shoppers keep going through the kill; what they sent while the bot was down, or
while it was mid-update, must be handled after the restart (pending updates are never
dropped). Afterwards the database must agree with what happened: one order per checkout, one
payment row per telegram_payment_charge_id, each paid order paid once, carts intact, and
on_hand/reserved equal to the sums of the stock ledger.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from demo.harness import SANDBOX_TOKEN
from domain.campaigns.audiences import AudienceSpec
from domain.campaigns.service import CampaignDraft, CampaignService
from domain.catalog.service import Localized, ProductDraft
from domain.users.service import AddressDraft, TelegramIdentity, UserService
from sandbox import Sandbox, SandboxError, SandboxUser
from storage.campaigns.repository import TortoiseCampaignRepository
from storage.catalog.models import ProductRow
from storage.db import close_db, init_db
from storage.inventory.ledger import ledger_balance
from storage.orders.models import (
    CartLineRow,
    OrderEventRow,
    OrderLineRow,
    OrderRow,
    PaymentRow,
)
from storage.users import TortoiseUserRepository
from tests.conftest import fresh_database, need_pg_and_empty_redis
from tests.e2e.crash_harness import KillableKiosk, wait_until
from tests.services import shop_services

SEED = int(os.environ.get("KIOSK_CRASH_SEED", "8"))
BUYERS = 8
STOCK = 40
AUDIENCE = 30
MARKER = "Crash-safety sale"
REPLIES = {"answercallbackquery", "editmessagetext", "sendmessage", "sendinvoice"}


@pytest.mark.timeout(170)
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_kill_9_during_checkout_payment_and_broadcast(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}-{backend}")
    redis_url = None
    if backend == "postgres":
        redis_url = await need_pg_and_empty_redis()
    db_url = await fresh_database(backend, request, tmp_path)
    await init_db(db_url, run_migrations=False)
    sandbox = Sandbox(
        bot_token=SANDBOX_TOKEN,
        bot_username="kiosk_demo_bot",
        reply_timeout=45.0,
        precheckout_timeout=45.0,
    )
    await sandbox.start()
    mode = "webhook" if backend == "postgres" else "polling"
    kiosk = KillableKiosk(sandbox, db_url, redis_url, mode, tmp_path / "kiosk.log")
    try:
        mug_id = await seed_shop()
        buyers = [sandbox.user(70_000 + n, "Buyer") for n in range(BUYERS)]
        for chat in [9000, *range(80_000, 80_000 + AUDIENCE)]:  # the owner and the audience
            sandbox.user(chat, "Reader")
        await seed_people([b.id for b in buyers], range(80_000, 80_000 + AUDIENCE))
        kiosk.start()
        await buyers[0].send("/help")  # up and answering

        # 1. Checkout: every buyer at once, the bot killed somewhere in the middle.
        ids = {b.id for b in buyers}
        kiosk.kill_at(rng.randint(5, BUYERS * 5), lambda m, d: m in REPLIES and _to(d, ids))
        outcomes = await asyncio.gather(
            *(checkout(b, mug_id) for b in buyers), return_exceptions=True
        )
        assert [o for o in outcomes if o is not None] == [], kiosk.log_path
        await kiosk.wait_restarted()
        await settle(sandbox)
        pending = await OrderRow.filter(status="pending_payment").values_list(
            "user__telegram_id", flat=True
        )
        assert set(pending) == ids, "a checkout was lost"
        # Updates cut mid-handling are handled again after the restart (at least once, so
        # nothing is lost); "add" and "confirm" commit a marker of the update with their change
        # (bot/effects.py), so the second run changes nothing: one order, one unit per buyer.
        assert max(Counter(pending).values()) == 1, f"an order placed twice: {sorted(pending)}"
        await assert_carts(ids, at_least=1, at_most=1)
        await assert_stock_matches_orders(mug_id)

        # 2. Payment: every buyer pays; killed while successful_payment updates are in flight.
        kiosk.kill_at(rng.randint(1, BUYERS // 2), lambda m, d: m == "sendmessage" and _to(d, ids))
        charges = await asyncio.gather(*(pay(b) for b in buyers))
        await kiosk.wait_restarted()
        await wait_until(lambda: _paid_count(BUYERS), 60, f"every order paid ({kiosk.log_path})")
        await settle(sandbox)
        payments = await PaymentRow.all().values_list("charge_id", flat=True)
        assert sorted(payments) == sorted(charges), "a payment was lost or recorded twice"
        paid = await OrderRow.filter(status="paid")
        payers = await OrderRow.filter(status="paid").values_list("user__telegram_id", flat=True)
        assert sorted(payers) == sorted(ids), "an order was paid twice, or not at all"
        for order in paid:
            assert order.payment_status == "paid"
            paid_events = await OrderEventRow.filter(order_id=order.id, target="paid").count()
            assert paid_events == 1, f"order {order.id} paid {paid_events} times"
        # Paying empties the cart of what was ordered.
        await assert_carts(ids, at_least=0, at_most=0)
        await assert_stock_matches_orders(mug_id)

        # 3. A broadcast while shoppers keep using the bot.
        campaigns = CampaignService(TortoiseCampaignRepository())
        campaign = await campaigns.create(9000, CampaignDraft(MARKER, AudienceSpec("everyone")))
        kiosk.kill_at(
            rng.randint(5, AUDIENCE // 2), lambda m, d: m == "sendmessage" and MARKER in str(d)
        )
        await campaigns.send_now(campaign.id)
        browsing = await asyncio.gather(*(browse(b) for b in buyers), return_exceptions=True)
        await kiosk.wait_restarted()
        assert [o for o in browsing if o is not None] == [], kiosk.log_path

        async def done() -> bool:
            return str((await campaigns.get(campaign.id)).state) == "done"

        await wait_until(done, 60, f"the campaign to finish ({kiosk.log_path})")
        recipients = [*ids, *range(80_000, 80_000 + AUDIENCE)]
        received = {
            chat: sum(1 for m in sandbox.chat(chat) if m.from_bot and MARKER in m.content)
            for chat in recipients
        }
        assert max(received.values()) == 1, "someone got the broadcast twice"
        counts = (await campaigns.report(campaign.id)).counts
        assert (counts.pending, counts.sending) == (0, 0)
        # A send cut by the kill can only be 'unknown' (delivered or not); all others 'sent'.
        assert counts.sent + counts.unknown == len(recipients)
        assert 1 <= counts.unknown <= 3 and sum(received.values()) >= counts.sent
        assert kiosk.kills == 3
        assert sandbox.dropped_pending_updates == 0  # no restart dropped pending updates
    finally:
        kiosk.stop()
        await sandbox.stop()
        await close_db()


def _to(data: dict[str, Any], ids: set[int]) -> bool:
    """Whether a Bot API call is about one of `ids` (callback answers carry no chat)."""
    chat = data.get("chat_id")
    return chat is None or (str(chat).lstrip("-").isdigit() and int(chat) in ids)


async def seed_shop() -> int:
    admin = shop_services()
    category = await admin.merchant.create_category(9000, "Home", "家", None)
    draft = ProductDraft("MUG-1", category.id, Localized("Mug", "杯子"), 1200, on_hand=STOCK)
    return (await admin.merchant.create_product(9000, draft)).id


async def seed_people(buyers: list[int], audience: range) -> None:
    users = UserService(TortoiseUserRepository())
    for telegram_id in [*buyers, *audience]:
        user, _ = await users.seen(TelegramIdentity(telegram_id, "Buyer"))
        await users.set_marketing(user.id, True)
        if telegram_id in buyers:
            draft = AddressDraft("Buyer", "+15551234567", "Oxford", "1 High St")
            await users.add_address(user.id, draft)


async def checkout(buyer: SandboxUser, mug_id: int) -> None:
    """Add a mug and check out. A shopper whose screen got out of step with the bot (a reply
    that came twice, or late, around the restart) starts again from /cart, as people do."""
    await buyer.send("/start")
    await buyer.press_data(f"cart:add:{mug_id}:0")
    for _ in range(3):
        try:
            await buyer.send("/cart")
            await buyer.press("✅ Checkout")
            await buyer.press("⭐ Buyer, 1 High St, Oxford")
            await buyer.press("Standard delivery — $5.00")
            await buyer.press("💳 Confirm and pay by card")
        except SandboxError:
            continue
        if any(m.raw.get("invoice") for m in buyer.bot_messages):
            return
    raise AssertionError(f"buyer {buyer.id} never got an invoice:\n{buyer.transcript()}")


async def pay(buyer: SandboxUser) -> str:
    """Pay the newest invoice; a pre-checkout cut by the kill is tried again, like a person
    pressing Pay once more."""
    for _ in range(3):
        result = await buyer.pay_invoice()
        if result.ok:
            assert result.telegram_payment_charge_id is not None
            return result.telegram_payment_charge_id
    raise AssertionError(f"buyer {buyer.id} could not pay: {result.error}")


async def browse(buyer: SandboxUser) -> None:
    for command in ("/orders", "/cart", "/start"):
        await buyer.send(command)


async def settle(sandbox: Sandbox) -> None:
    """Until every queued update was handled and the bot has been quiet for a moment."""
    await sandbox.wait_idle(timeout=45)


async def _paid_count(expected: int) -> bool:
    return await OrderRow.filter(status="paid").count() >= expected


async def assert_carts(telegram_ids: set[int], at_least: int, at_most: int) -> None:
    for telegram_id in telegram_ids:
        lines = await CartLineRow.filter(cart__user__telegram_id=telegram_id).values_list(
            "quantity", flat=True
        )
        assert at_least <= sum(lines) <= at_most, f"cart of {telegram_id}: {lines}"


async def assert_stock_matches_orders(product_id: int) -> None:
    """on_hand/reserved equal the ledger's sums, and the orders: reserved = units of pending
    orders, on_hand = opening stock - units of paid orders."""
    row = await ProductRow.get(id=product_id)
    assert await ledger_balance(product_id, None) == (row.on_hand, row.reserved)
    units = {"pending_payment": 0, "paid": 0}
    for line in await OrderLineRow.filter(product_id=product_id).prefetch_related("order"):
        units[line.order.status] = units.get(line.order.status, 0) + line.quantity
    assert (row.on_hand, row.reserved) == (STOCK - units["paid"], units["pending_payment"])
