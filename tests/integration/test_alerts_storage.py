"""The alerts' stores on SQLite and PostgreSQL: subscriptions (unique, own only), the due query
after every stock path (adjustment, released reservation, return, import), claims under
concurrency and after a crash, and the price references (compare-and-set, opt-in reset)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.alerts.back_in_stock import (
    STALE_CLAIM,
    AlreadySubscribed,
    BackInStockAlerts,
    ProductUnavailable,
)
from domain.alerts.price_drops import PriceDropAlerts, Reference
from domain.campaigns.delivery import SendOutcome, Sent
from domain.inventory.ledger import StockReason
from storage.alerts.models import PriceWatchRow, StockSubscriptionRow
from storage.alerts.repository import TortoisePriceWatchStore, TortoiseStockSubscriptionStore
from storage.catalog.models import CategoryRow, FavouriteRow, ProductRow, VariantRow
from storage.catalog.repository import TortoiseCatalogRepository
from storage.inventory.ledger import apply_stock_movement
from storage.models import UserRow

pytestmark = pytest.mark.usefixtures("db")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def user(n: int, language: str | None = None) -> UserRow:
    return await UserRow.create(
        telegram_id=8000 + n,
        first_name=f"U{n}",
        referral_code=f"alerts{n}",
        language=language,
        last_seen_at=NOW,
    )


async def product(
    sku: str, on_hand: int = 0, has_variants: bool = False, price: int = 1000
) -> ProductRow:
    cat = await CategoryRow.first() or await CategoryRow.create(name_en="Home")
    return await ProductRow.create(
        sku=sku,
        category=cat,
        title_en=f"T {sku}",
        title_zh=f"中 {sku}",
        price=price,
        currency="USD",
        on_hand=on_hand,
        has_variants=has_variants,
        created_at=NOW,
    )


async def variant(prod: ProductRow, sku: str, on_hand: int = 0) -> VariantRow:
    return await VariantRow.create(
        product=prod, sku=sku, options=[["Size", sku[-1]]], price=prod.price, on_hand=on_hand
    )


class Recorder:
    def __init__(self) -> None:
        self.told: list[tuple[int, int, int, str]] = []

    async def __call__(self, notice) -> SendOutcome:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0)
        variant_id = getattr(notice, "variant_id", 0)  # price alerts are per product
        self.told.append((notice.user_id, notice.product_id, variant_id, notice.locale))
        return Sent(1)


class NoBlocks:
    async def mark_blocked(self, user_id: int) -> None:
        raise AssertionError("nobody blocked the bot here")


async def test_subscriptions_unique_own_and_listed() -> None:
    alerts = BackInStockAlerts(TortoiseStockSubscriptionStore())
    a, b = await user(1), await user(2)
    mug = await product("MUG")
    shirt = await product("TEE", has_variants=True)
    size_l = await variant(shirt, "TEE-L")
    await alerts.subscribe(a.id, mug.id)
    await alerts.subscribe(a.id, shirt.id, size_l.id)
    await alerts.subscribe(a.id, shirt.id)  # any option: a different subscription
    with pytest.raises(AlreadySubscribed):
        await alerts.subscribe(a.id, shirt.id, size_l.id)
    with pytest.raises(ProductUnavailable):
        await alerts.subscribe(a.id, mug.id, size_l.id)  # not this product's option
    mine = await alerts.mine(a.id)
    assert [(s.product_id, s.variant_id, s.variant_label) for s in mine] == [
        (shirt.id, 0, ""),
        (shirt.id, size_l.id, "L"),
        (mug.id, 0, ""),
    ]
    assert await TortoiseStockSubscriptionStore().remove(b.id, mine[0].id) is False
    await alerts.unsubscribe(a.id, mine[0].id)
    assert await StockSubscriptionRow.filter(user_id=a.id).count() == 2
    await ProductRow.filter(id=mug.id).delete()  # a deleted product takes its subscriptions
    assert await StockSubscriptionRow.filter(user_id=a.id).count() == 1


async def test_due_after_every_stock_path_once_each() -> None:
    store = TortoiseStockSubscriptionStore()
    alerts = BackInStockAlerts(store)
    zh, en = await user(1, "zh"), await user(2)
    adjusted, released, returned, imported = (
        await product("ADJ"),
        await product("REL", on_hand=2),
        await product("RET"),
        await product("IMP"),
    )
    catalog = TortoiseCatalogRepository()
    assert await catalog.reserve(released.id, None, 2)  # the last two held by an unpaid order
    for prod in (adjusted, released, returned, imported):
        for person in (zh, en):
            await alerts.subscribe(person.id, prod.id)
    recorder = Recorder()
    await alerts.notify_due(recorder, NoBlocks(), now=NOW)
    assert recorder.told == []

    await apply_stock_movement(adjusted.id, None, 3, 0, StockReason.RECEIVED.value, actor=9000)
    assert await catalog.release(released.id, None, 1)  # the order expired / was cancelled
    assert await catalog.restock(returned.id, None, 1)  # a return
    await apply_stock_movement(imported.id, None, 7, 0, StockReason.IMPORT.value)
    await alerts.notify_due(recorder, NoBlocks(), now=NOW)
    expected = sorted(
        (person.id, prod.id, 0, "zh" if person is zh else "en")
        for prod in (adjusted, released, returned, imported)
        for person in (zh, en)
    )
    assert sorted(recorder.told) == expected
    assert await StockSubscriptionRow.all().count() == 0
    await apply_stock_movement(adjusted.id, None, 3, 0, StockReason.RECEIVED.value)
    await alerts.notify_due(recorder, NoBlocks(), now=NOW)
    assert len(recorder.told) == len(expected)


async def test_due_for_variants_any_option_and_inactive_units() -> None:
    alerts = BackInStockAlerts(TortoiseStockSubscriptionStore())
    a = await user(1)
    shirt = await product("TEE", has_variants=True)
    size_m, size_l = await variant(shirt, "TEE-M"), await variant(shirt, "TEE-L")
    hidden = await product("OFF")
    await alerts.subscribe(a.id, shirt.id, size_l.id)
    await alerts.subscribe(a.id, shirt.id)  # any option
    await alerts.subscribe(a.id, hidden.id)
    await ProductRow.filter(id=hidden.id).update(active=False, on_hand=5)  # off sale: not due
    await apply_stock_movement(shirt.id, size_m.id, 2, 0, StockReason.RECEIVED.value)
    recorder = Recorder()
    await alerts.notify_due(recorder, NoBlocks(), now=NOW)
    assert recorder.told == [(a.id, shirt.id, 0, "en")]  # M is back: "any option" only
    await VariantRow.filter(id=size_l.id).update(active=False, on_hand=4)
    await alerts.notify_due(recorder, NoBlocks(), now=NOW)
    assert len(recorder.told) == 1  # an inactive option isn't sellable
    await VariantRow.filter(id=size_l.id).update(active=True)
    await alerts.notify_due(recorder, NoBlocks(), now=NOW)
    assert recorder.told[1] == (a.id, shirt.id, size_l.id, "en")
    assert await StockSubscriptionRow.filter(product_id=hidden.id).count() == 1  # still waits


async def test_concurrent_sweeps_and_a_crash_never_send_twice() -> None:
    store = TortoiseStockSubscriptionStore()
    alerts = BackInStockAlerts(store)
    mug = await product("MUG")
    people = [await user(n) for n in range(1, 13)]
    for person in people:
        await alerts.subscribe(person.id, mug.id)
    await apply_stock_movement(mug.id, None, 1, 0, StockReason.RECEIVED.value)
    # A sender that died after claiming the first subscription:
    first = (await store.due(1))[0]
    assert await store.claim(first.subscription_id, "dead-attempt", NOW)
    recorder = Recorder()
    await asyncio.gather(*(alerts.notify_due(recorder, NoBlocks(), now=NOW) for _ in range(3)))
    told = [person_id for person_id, *_ in recorder.told]
    assert sorted(told) == sorted(p.id for p in people if p.id != first.user_id)
    assert await StockSubscriptionRow.filter(status="sending").count() == 1
    later = NOW + STALE_CLAIM + timedelta(seconds=1)
    report = await alerts.notify_due(recorder, NoBlocks(), now=later)
    assert report.settled_stale == 1 and len(recorder.told) == len(people) - 1
    assert await StockSubscriptionRow.all().count() == 0


async def test_price_references_compare_and_set_and_opt_in_reset() -> None:
    store = TortoisePriceWatchStore()
    alerts = PriceDropAlerts(store)
    fan, shy = await user(1), await user(2)
    mug = await product("MUG", price=1200)
    for person in (fan, shy):
        await FavouriteRow.create(user_id=person.id, product_id=mug.id)
    assert not await alerts.enabled(fan.id)
    await alerts.set_enabled(fan.id, True)
    await alerts.set_enabled(fan.id, True)  # idempotent
    assert await alerts.enabled(fan.id) and not await alerts.enabled(shy.id)
    rows = await store.changed(0, 10)
    assert [(r.user_id, r.price, r.reference) for r in rows] == [(fan.id, 1200, None)]
    assert await store.move_reference(fan.id, mug.id, None, Reference(1200, "USD"))
    assert not await store.move_reference(fan.id, mug.id, None, Reference(1200, "USD"))
    assert await store.changed(0, 10) == []
    await ProductRow.filter(id=mug.id).update(price=900)
    recorder = Recorder()
    await asyncio.gather(*(alerts.notify_due(recorder, NoBlocks()) for _ in range(3)))
    assert recorder.told == [(fan.id, mug.id, 0, "en")]  # three sweeps, one alert
    assert (await PriceWatchRow.get(user_id=fan.id)).last_price == 900
    await alerts.set_enabled(fan.id, False)
    await alerts.set_enabled(fan.id, True)  # switching on forgets old references
    assert await PriceWatchRow.filter(user_id=fan.id).count() == 0
    await alerts.notify_due(recorder, NoBlocks())  # new baseline, silent
    await FavouriteRow.filter(user_id=fan.id).delete()
    assert await store.changed(0, 10) == []  # also prunes the removed favourite's reference
    assert await PriceWatchRow.filter(user_id=fan.id).count() == 0
    assert len(recorder.told) == 1
