"""Digital goods on both backends: a unit goes to exactly one buyer, once; imports are all or
nothing; a refund revokes; a payload paid in the wrong currency is refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from domain.cart.service import OutOfStock
from domain.catalog.service import CategoryDraft, Localized, ProductDraft
from domain.catalog.types import ProductKind
from domain.digital.service import DigitalService
from domain.digital.units import DuplicateUnits, ImportRefused, NotDigital
from domain.orders.payments import PaymentOutcome, PaymentRefused
from domain.orders.service import Order, PayMethod
from domain.orders.states import Action, OrderStatus
from storage.catalog.models import DigitalUnitRow, ProductRow
from storage.digital.repository import TortoiseDigitalRepository
from storage.orders.models import OrderRow, PaymentRow
from tests.integration.orders_setup import Shop, address_of, build_shop, buyers

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


async def digital_goods(shop: Shop, kind: ProductKind = ProductKind.DIGITAL) -> tuple[int, int]:
    """(a digital product priced $5.00 = 250 Stars at the default rate, a $12.00 mug)."""
    category = await shop.catalog.create_category(CategoryDraft(Localized("Games")))
    key = await shop.catalog.create_product(
        ProductDraft("KEY-1", category.id, Localized("Game key"), 500, kind=kind)
    )
    mug = await shop.catalog.create_product(
        ProductDraft("MUG-1", category.id, Localized("Mug"), 1200, on_hand=5)
    )
    return key.id, mug.id


async def pay(shop: Shop, order: Order, charge: str, currency: str | None = None):  # type: ignore[no-untyped-def]
    payload = shop.payments.signer.sign(order.id, order.expires_at)
    return await shop.payments.paid(
        order.user_id,
        1,
        payload,
        currency or order.pay_currency,
        order.pay_amount,
        charge,
        "",
        NOW,
    )


async def stock(product_id: int) -> tuple[int, int]:
    row = await ProductRow.get(id=product_id)
    return row.on_hand, row.reserved


async def test_50_buyers_race_for_10_codes(db: str) -> None:
    shop, digital = build_shop(), DigitalService(TortoiseDigitalRepository())
    key, _ = await digital_goods(shop)
    codes = "\n".join(f"CODE-{n:02d}" for n in range(10))
    assert await digital.add_codes(key, codes, actor=9000) == (10, 10)
    assert await stock(key) == (10, 0)
    people = await buyers(50)
    for person in people:
        await shop.carts.add(person.id, key, None)

    async def checkout_and_pay(person):  # type: ignore[no-untyped-def]
        [order] = await shop.orders.place_parts(person.id, None, None, PayMethod.STARS, NOW)
        result = await pay(shop, order, f"ch-{person.id}")
        settled = await digital.settle(result.order or order, shop.orders, NOW)
        assert settled is not None
        return settled.order

    results = await asyncio.gather(*(checkout_and_pay(p) for p in people), return_exceptions=True)
    delivered = [r for r in results if not isinstance(r, BaseException)]
    sold_out = [r for r in results if isinstance(r, OutOfStock)]
    assert len(delivered) == 10 and len(sold_out) == 40, results
    assert {o.status for o in delivered} == {OrderStatus.DELIVERED}
    units = await DigitalUnitRow.filter(product_id=key).order_by("id")
    assert {u.status for u in units} == {"sold"}
    assert sorted(u.order_id for u in units) == sorted(o.id for o in delivered)  # one each
    assert len({u.payload for u in units}) == 10  # no code twice
    for order in delivered:
        [unit] = await digital.of_order(order)
        assert unit.payload.startswith("CODE-")
    assert await stock(key) == (0, 0)  # on_hand stays the count of available units


async def test_the_same_payment_five_times_takes_one_unit(db: str) -> None:
    shop, digital = build_shop(), DigitalService(TortoiseDigitalRepository())
    key, _ = await digital_goods(shop)
    await digital.add_codes(key, "A-1\nA-2\nA-3", actor=9000)
    [person] = await buyers(1)
    await shop.carts.add(person.id, key, None)
    [order] = await shop.orders.place_parts(person.id, None, None, PayMethod.STARS, NOW)
    assert (order.digital, order.pay_currency, order.pay_amount) == (True, "XTR", 250)
    first = await asyncio.gather(*(pay(shop, order, "charge-1") for _ in range(5)))
    again = [await pay(shop, order, "charge-1") for _ in range(5)]
    outcomes = sorted(r.outcome for r in [*first, *again])
    assert outcomes == sorted([PaymentOutcome.PAID] + [PaymentOutcome.DUPLICATE] * 9)
    assert await DigitalUnitRow.filter(status="sold").count() == 1
    assert await PaymentRow.filter(order_id=order.id).count() == 1
    assert await stock(key) == (2, 0)
    assert [u.payload for u in await digital.to_send(order)] == ["A-1"]


async def test_imports_are_all_or_nothing(db: str) -> None:
    shop, digital = build_shop(), DigitalService(TortoiseDigitalRepository())
    key, mug = await digital_goods(shop)
    await digital.add_codes(key, "KEEP-1\nKEEP-2", actor=9000)
    with pytest.raises(ImportRefused) as repeated:
        await digital.add_codes(key, "NEW-1\nNEW-2\nNEW-1", actor=9000)
    assert repeated.value.params == {"line": 3, "first": 1, "code": "NEW-1"}
    with pytest.raises(DuplicateUnits) as pooled:
        await digital.add_codes(key, "NEW-3\nKEEP-2", actor=9000)
    assert pooled.value.params["count"] == 1
    with pytest.raises(ImportRefused) as empty:
        await digital.add_codes(key, "NEW-4\n\nNEW-5", actor=9000)
    assert empty.value.params == {"line": 2}
    binary = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(ImportRefused):
        await digital.add_document(key, binary, "codes.txt", actor=9000)
    with pytest.raises(ImportRefused):  # Latin-1, not UTF-8
        await digital.add_document(key, "CAF\xc9-1\n".encode("latin-1"), "codes.txt", 9000)
    with pytest.raises(NotDigital):
        await digital.add_codes(mug, "X-1", actor=9000)
    assert await DigitalUnitRow.filter(product_id=key).count() == 2  # nothing half-imported
    assert await stock(key) == (2, 0)
    csv = b"code,note\nCSV-1,first\nCSV-2,second\n"
    assert await digital.add_document(key, csv, "codes.csv", actor=9000) == (2, 4)
    assert await stock(key) == (4, 0)


async def test_a_refund_revokes_the_unit_and_a_service_has_no_stock(db: str) -> None:
    shop, digital = build_shop(), DigitalService(TortoiseDigitalRepository())
    key, _ = await digital_goods(shop)
    await digital.add_codes(key, "R-1\nR-2", actor=9000)
    category = await shop.catalog.create_category(CategoryDraft(Localized("Lessons")))
    lesson = await shop.catalog.create_product(
        ProductDraft("LESSON", category.id, Localized("Lesson"), 3000, kind=ProductKind.SERVICE)
    )
    [person] = await buyers(1)
    await shop.carts.add(person.id, key, None)
    await shop.carts.add(person.id, lesson.id, None, 2)
    [order] = await shop.orders.place_parts(person.id, None, None, PayMethod.STARS, NOW)
    assert order.pay_amount == 250 + 2 * 1500
    result = await pay(shop, order, "charge-r")
    settled = await digital.settle(order, shop.orders, NOW)
    assert result.outcome is PaymentOutcome.PAID and settled is not None
    assert settled.order.status is OrderStatus.DELIVERED
    assert await stock(lesson.id) == (0, 0)  # a service is never reserved nor sold from stock
    change = await shop.orders.buyer_action(
        person.id, order.id, Action.REQUEST_REFUND, NOW, "wrong game"
    )
    assert change.stars_refund is not None  # the adapter gives the Stars back
    await shop.orders.stars_refunded(order.id, NOW)
    units = await DigitalUnitRow.filter(product_id=key).order_by("id")
    assert [u.status for u in units] == ["revoked", "available"]  # never back in the pool
    assert await digital.of_order(order) == []
    assert await stock(key) == (1, 0)


async def test_a_mixed_cart_is_two_orders_and_a_forged_currency_is_refused(db: str) -> None:
    shop, digital = build_shop(), DigitalService(TortoiseDigitalRepository())
    key, mug = await digital_goods(shop)
    await digital.add_codes(key, "M-1", actor=9000)
    [person] = await buyers(1)
    await shop.carts.add(person.id, mug, None)
    await shop.carts.add(person.id, key, None)
    goods, stars = await shop.orders.place_parts(
        person.id, address_of(person), "std", PayMethod.CARD, NOW
    )
    assert (goods.digital, goods.pay_currency, goods.pay_amount) == (False, "USD", 1700)
    assert (stars.digital, stars.pay_currency, stars.pay_amount) == (True, "XTR", 250)
    assert [ln.product_id for ln in goods.lines] == [mug]
    assert [ln.product_id for ln in stars.lines] == [key]
    # The digital order's payload paid in dollars, for the whole cart: refused before paying.
    payload = shop.payments.signer.sign(stars.id, stars.expires_at)
    with pytest.raises(PaymentRefused):
        await shop.payments.pre_checkout(person.id, payload, "USD", 1950, None, NOW)
    # And should such a payment arrive anyway, it pays nothing and is flagged for refund.
    result = await pay(shop, stars, "forged", currency="USD")
    assert result.outcome is PaymentOutcome.MISMATCH
    row = await OrderRow.get(id=stars.id)
    assert row.status == "pending_payment"
    assert (await PaymentRow.get(charge_id="forged")).needs_refund
    assert await DigitalUnitRow.filter(status="sold").count() == 0
    await shop.payments.pre_checkout(person.id, payload, "XTR", 250, None, NOW)
    assert (await pay(shop, stars, "real")).outcome is PaymentOutcome.PAID
    assert await DigitalUnitRow.filter(status="sold", order_id=stars.id).count() == 1
