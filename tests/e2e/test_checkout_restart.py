"""A restart in the middle of checkout: the cart and the pending order survive and are payable."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.harness import SANDBOX_TOKEN, run_sandboxed
from domain.users.service import AddressDraft
from sandbox import Sandbox
from storage.catalog.models import ProductRow
from storage.orders.models import CartLineRow, OrderRow
from tests.conftest import fresh_database
from tests.e2e.shop_fixtures import PAYMENTS, seed_goods


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_restart_between_invoice_and_payment(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "postgres":
        from tests.conftest import PG_URL, need

        need(PG_URL, "PostgreSQL")
    url = await fresh_database(backend, request, tmp_path)
    sandbox = Sandbox(bot_token=SANDBOX_TOKEN, bot_username="kiosk_demo_bot")
    await sandbox.start()
    options = {"payments": PAYMENTS, "scheduler": {"enabled": False}}
    try:
        async with run_sandboxed(url, "polling", sandbox=sandbox, **options) as first:
            goods = await seed_goods(first.app.services.catalog)
            alice = sandbox.user(1010, "Alice")
            await alice.send("/start")
            await alice.press_data(f"cart:add:{goods.mug_id}:0")
            users = first.app.services.users
            buyer = await users.repo.get_by_telegram_id(1010)
            assert buyer is not None
            await users.add_address(
                buyer.id, AddressDraft("Alice", "+15551234567", "Oxford", "1 High St")
            )
            await alice.send("/cart")
            await alice.press("✅ Checkout")
            await alice.press("⭐ Alice, 1 High St, Oxford")
            await alice.press("Standard delivery — $5.00")
            await alice.press("💳 Confirm and pay by card")
        # The bot is gone; the database is the truth.
        async with run_sandboxed(url, "polling", sandbox=sandbox, **options):
            assert await CartLineRow.filter(cart__user__telegram_id=1010).count() == 1
            order = await OrderRow.get(user__telegram_id=1010)
            assert order.status == "pending_payment"
            replies = await alice.send("/cart")
            assert "Mug × 1" in replies[-1].content
            result = await alice.pay_invoice()  # the invoice sent before the restart
            assert result.ok, result.error
            assert (await OrderRow.get(id=order.id)).status == "paid"
            assert await CartLineRow.filter(cart__user__telegram_id=1010).count() == 0
            assert (await ProductRow.get(id=goods.mug_id)).on_hand == 4
        assert sandbox.errors == []
    finally:
        await sandbox.stop()
