"""kill -9 after a digital order's payment is stored and before its code is sent: after the
restart the buyer gets the code, exactly once.

Kiosk runs as a real child process (`python main.py run`, as in test_crash_safety.py): polling
on SQLite, webhook on PostgreSQL + Redis. The kill is armed on the bot's sendMessage that
carries the code and fires *before* "Telegram" accepts it, so the payment and the unit taken
by it are committed while the message never went out. Telegram then delivers the unanswered
successful_payment again; the second run finds the payment recorded (nothing taken twice) and
sends the units not marked sent.

(A kill after Telegram accepted the message but before the bot heard back is the one case no
bot can tell apart from "not sent": the unit is then sent again to the same buyer, never to
anyone else.)
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import pytest

from demo.harness import SANDBOX_TOKEN
from domain.catalog.service import Localized, ProductDraft
from domain.catalog.types import ProductKind
from sandbox import Sandbox, SandboxUser
from storage.catalog.models import DigitalUnitRow, ProductRow
from storage.db import close_db, init_db
from storage.orders.models import OrderRow, PaymentRow
from tests.conftest import fresh_database, need_pg_and_empty_redis
from tests.e2e.crash_harness import KillableKiosk, wait_until
from tests.services import shop_services

CODES = ["CRASH-AAA-1", "CRASH-BBB-2"]
BUYER = 71_001


class KillBeforeSend(KillableKiosk):
    """SIGKILLs the bot when it calls a matching method, before the call is carried out (the
    message is never delivered), then starts it again."""

    async def _handle_call(self, token: str, method: str, p: Any) -> tuple[int, dict[str, Any]]:
        if self._filter is not None and self._filter(method.lower(), p.data):
            self._filter = None
            self.current.send_signal(signal.SIGKILL)
            self.kills += 1
            asyncio.get_running_loop().create_task(self._restart())
            return 500, {"ok": False, "error_code": 500, "description": "killed"}
        return await self._original(token, method, p)


@pytest.mark.timeout(150)
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_kill_9_between_the_payment_and_the_code(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    redis_url = await need_pg_and_empty_redis() if backend == "postgres" else None
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
    kiosk = KillBeforeSend(sandbox, db_url, redis_url, mode, tmp_path / "kiosk.log")
    try:
        key_id = await seed_key()
        buyer = sandbox.user(BUYER, "Buyer")
        kiosk.start()
        await buyer.send("/start")  # up and answering
        await buyer.press_data(f"cart:add:{key_id}:0")
        await buyer.send("/cart")
        await buyer.press("✅ Checkout")
        await buyer.press("⭐ Confirm and pay 250 Stars")
        kiosk.kill_at(1, lambda m, d: m == "sendmessage" and CODES[0] in str(d))
        paid = await buyer.pay_invoice()
        assert paid.ok, paid.error
        await kiosk.wait_restarted()
        await wait_until(lambda: code_messages(buyer), 60, "the code", log(kiosk))
        await wait_until(marked_sent, 30, "the code marked sent", log(kiosk))
        await sandbox.wait_idle(timeout=45)

        assert kiosk.kills == 1
        assert len(code_messages(buyer)) == 1, buyer.transcript()
        order = await OrderRow.get(user__telegram_id=BUYER)
        assert (order.status, order.digital) == ("delivered", True)
        assert await PaymentRow.filter(order_id=order.id).count() == 1
        units = await DigitalUnitRow.filter(product_id=key_id).order_by("id")
        assert [(u.status, u.order_id) for u in units] == [
            ("sold", order.id),
            ("available", None),
        ]
        assert (await ProductRow.get(id=key_id)).on_hand == 1
        assert sandbox.dropped_pending_updates == 0
    finally:
        kiosk.stop()
        await sandbox.stop()
        await close_db()


async def seed_key() -> int:
    admin = shop_services()
    category = await admin.merchant.create_category(9000, "Games", "游戏", None)
    draft = ProductDraft(
        "KEY-1", category.id, Localized("Game key", "游戏激活码"), 500, kind=ProductKind.DIGITAL
    )
    key_id = (await admin.merchant.create_product(9000, draft)).id
    await admin.digital.add_codes(key_id, "\n".join(CODES), actor=9000)
    return key_id


async def marked_sent() -> bool:
    return await DigitalUnitRow.filter(payload=CODES[0], sent_at__isnull=False).exists()


def code_messages(buyer: SandboxUser) -> list[str]:
    return [m.content for m in buyer.bot_messages if CODES[0] in m.content]


def log(kiosk: KillableKiosk) -> Any:
    return lambda: kiosk.log_path.read_text()[-3000:]
