"""Pre-checkout refuses, with a reason, everything that must not be charged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.orders.payments import PaymentRefused
from domain.orders.service import PayMethod
from tests.integration.orders_setup import address_of, build_shop, buyers, goods


async def setup():  # type: ignore[no-untyped-def]
    shop = build_shop()
    mug, _, _ = await goods(shop, mug_stock=10)
    alice, bob = await buyers(2)
    now = datetime.now(UTC)
    await shop.carts.add(alice.id, mug, None, 2)
    order = await shop.orders.place(alice.id, address_of(alice), "std", PayMethod.CARD, now)
    invoice = await shop.payments.invoice(alice.id, order.id, now)
    return shop, mug, alice, bob, order, invoice, now


async def refused(coro) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(PaymentRefused) as info:
        await coro
    return info.value.message


async def test_a_correct_invoice_passes(db: str) -> None:
    shop, _, alice, _, order, invoice, now = await setup()
    checked = await shop.payments.pre_checkout(alice.id, invoice.payload, "USD", 2500, None, now)
    assert checked.id == order.id and invoice.total == 2500


async def test_forged_and_altered_payloads(db: str) -> None:
    shop, _, alice, _, order, invoice, now = await setup()
    pc = shop.payments.pre_checkout
    assert "not valid" in await refused(pc(alice.id, "1.9999999999.ab.cd", "USD", 2500, None, now))
    other_id = invoice.payload.replace(f"{order.id}.", f"{order.id + 1}.", 1)
    assert "not valid" in await refused(pc(alice.id, other_id, "USD", 2500, None, now))
    assert "not valid" in await refused(pc(alice.id, "x" * 200, "USD", 2500, None, now))


async def test_another_users_order(db: str) -> None:
    shop, _, _, bob, _, invoice, now = await setup()
    reason = await refused(
        shop.payments.pre_checkout(bob.id, invoice.payload, "USD", 2500, None, now)
    )
    assert "doesn't exist" in reason


async def test_changed_price_cancels_and_releases(db: str) -> None:
    shop, mug, alice, _, _order, invoice, now = await setup()
    await shop.catalog.update_product(mug, price=1100)
    reason = await refused(
        shop.payments.pre_checkout(alice.id, invoice.payload, "USD", 2500, None, now)
    )
    assert "Prices changed" in reason
    assert (await shop.catalog.product(mug)).reserved == 0


async def test_amount_and_currency_mismatch(db: str) -> None:
    shop, _, alice, _, _, invoice, now = await setup()
    pc = shop.payments.pre_checkout
    assert "currency" in await refused(pc(alice.id, invoice.payload, "EUR", 2500, None, now))
    assert "amount" in await refused(pc(alice.id, invoice.payload, "USD", 2400, None, now))


async def test_expired_reservation(db: str) -> None:
    shop, mug, alice, _, _, invoice, now = await setup()
    later = now + timedelta(minutes=15, seconds=1)
    reason = await refused(
        shop.payments.pre_checkout(alice.id, invoice.payload, "USD", 2500, None, later)
    )
    assert "expired" in reason
    assert (await shop.catalog.product(mug)).reserved == 0  # released lazily, right there
