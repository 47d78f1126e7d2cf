"""The shop jobs' queries and the new audiences on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.alerts.low_stock import LowStockWatch
from domain.campaigns.audiences import AudienceSpec
from domain.cart.reminders import CartReminders
from domain.reports.daily import SalesReports
from storage.alerts.low_stock import TortoiseStockAlertStore
from storage.campaigns.audiences import audience_users
from storage.campaigns.shop_audiences import register_shop_audiences
from storage.catalog.models import CategoryRow, ProductRow, VariantRow
from storage.models import UserRow
from storage.orders.cart_reminders import TortoiseCartReminderStore
from storage.orders.carts import TortoiseCartRepository
from storage.orders.models import CartLineRow, CartRow, OrderLineRow, OrderRow
from storage.reports.daily_sales import TortoiseSalesSource

pytestmark = pytest.mark.usefixtures("db")
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def user(n: int, opted_in: bool = True, blocked: bool = False) -> UserRow:
    return await UserRow.create(
        telegram_id=7000 + n,
        first_name=f"U{n}",
        referral_code=f"jobs{n}",
        marketing_opt_in=opted_in,
        is_blocked=blocked,
        last_seen_at=NOW,
    )


async def category(name: str, parent: CategoryRow | None = None) -> CategoryRow:
    return await CategoryRow.create(name_en=name, parent=parent)


async def product(
    cat: CategoryRow,
    sku: str,
    on_hand: int = 10,
    threshold: int = 3,
    has_variants: bool = False,
    reserved: int = 0,
) -> ProductRow:
    return await ProductRow.create(
        sku=sku,
        category=cat,
        title_en=f"T {sku}",
        title_zh=f"中 {sku}",
        price=100,
        currency="USD",
        on_hand=on_hand,
        reserved=reserved,
        low_stock_threshold=threshold,
        has_variants=has_variants,
        created_at=NOW,
    )


async def order(
    buyer: UserRow,
    lines: list[tuple[ProductRow, int]],
    paid_at: datetime | None,
    amount: int = 1000,
    currency: str = "USD",
) -> OrderRow:
    row = await OrderRow.create(
        user=buyer,
        status="paid" if paid_at else "pending_payment",
        payment_status="paid" if paid_at else "unpaid",
        fulfilment_status="unfulfilled",
        currency=currency,
        subtotal=amount,
        pay_method="card",
        pay_currency=currency,
        pay_amount=amount,
        created_at=NOW - timedelta(days=3),
        expires_at=NOW,
        paid_at=paid_at,
        updated_at=NOW,
    )
    for prod, qty in lines:
        await OrderLineRow.create(
            order=row,
            product_id=prod.id,
            sku=prod.sku,
            title_en=prod.title_en,
            unit_price=100,
            quantity=qty,
        )
    return row


# ---- audiences --------------------------------------------------------------------------------


async def ids(spec: AudienceSpec) -> set[int]:
    rows = await audience_users(spec, NOW).values_list("telegram_id", flat=True)
    return {int(t) - 7000 for t in rows}


async def test_buyers_of_a_category_include_subcategories() -> None:
    register_shop_audiences()
    home = await category("Home")
    kitchen = await category("Kitchen", home)
    cups = await category("Cups", kitchen)
    garden = await category("Garden")
    cup = await product(cups, "CUP")
    rake = await product(garden, "RAKE")
    buyers = [await user(i) for i in range(5)]
    await order(buyers[0], [(cup, 1)], paid_at=NOW)  # deep below Home
    await order(buyers[1], [(rake, 1)], paid_at=NOW)  # other category
    await order(buyers[2], [(cup, 1)], paid_at=None)  # never paid
    await order(buyers[3], [(cup, 1), (rake, 2)], paid_at=NOW)
    await order(buyers[3], [(cup, 1)], paid_at=NOW)  # twice: still one person
    opted_out = await user(9, opted_in=False)
    await order(opted_out, [(cup, 1)], paid_at=NOW)
    assert await ids(AudienceSpec("buyers_of_category", str(home.id))) == {0, 3}
    assert await ids(AudienceSpec("buyers_of_category", str(cups.id))) == {0, 3}
    assert await ids(AudienceSpec("buyers_of_category", str(garden.id))) == {1, 3}
    assert await audience_users(AudienceSpec("buyers_of_category", "999999"), NOW).count() == 0


async def test_has_cart_means_a_non_empty_cart() -> None:
    register_shop_audiences()
    cat = await category("Home")
    mug = await product(cat, "MUG")
    carts = TortoiseCartRepository()
    people = [await user(i) for i in range(3)]
    await carts.add(people[0].id, mug.id, None, 1, 100, "USD", 10, 50)
    line = await carts.add(people[1].id, mug.id, None, 1, 100, "USD", 10, 50)
    assert line is not None
    await carts.remove(people[1].id, line.id)  # an empty cart row remains
    blocked = await user(5, blocked=True)
    await carts.add(blocked.id, mug.id, None, 1, 100, "USD", 10, 50)
    assert await ids(AudienceSpec("has_cart")) == {0}


# ---- low stock --------------------------------------------------------------------------------


async def test_low_units_and_once_per_crossing() -> None:
    cat = await category("Home")
    plenty = await product(cat, "PLENTY", on_hand=10)
    edge = await product(cat, "EDGE", on_hand=5, reserved=2)  # 3 available = threshold: low
    empty = await product(cat, "EMPTY", on_hand=0)
    parent = await product(cat, "SHIRT", on_hand=0, has_variants=True, threshold=2)
    small = await VariantRow.create(product=parent, sku="SHIRT-S", price=1, on_hand=1)
    await VariantRow.create(product=parent, sku="SHIRT-L", price=1, on_hand=9)
    store = TortoiseStockAlertStore()
    low = await store.low_units()
    assert [(u.sku, u.available) for u in low] == [("EMPTY", 0), ("SHIRT-S", 1), ("EDGE", 3)]
    assert low[1].key == (parent.id, small.id) and low[1].threshold == 2
    watch = LowStockWatch(store)
    assert {u.sku for u in await watch.new_crossings()} == {"EMPTY", "SHIRT-S", "EDGE"}
    assert await watch.new_crossings() == []  # nothing new: no second alert
    await ProductRow.filter(id=edge.id).update(on_hand=20)  # restocked: marker cleared
    await ProductRow.filter(id=plenty.id).update(on_hand=1)  # newly low
    assert [u.sku for u in await watch.new_crossings()] == ["PLENTY"]
    assert (edge.id, 0) not in await store.marked()
    await ProductRow.filter(id=edge.id).update(on_hand=2)
    assert [u.sku for u in await watch.new_crossings()] == ["EDGE"]  # a new crossing
    assert empty.id in {p for p, _ in await store.marked()}


async def test_markers_are_claimed_once() -> None:
    store = TortoiseStockAlertStore()
    assert await store.mark([(1, 0), (1, 5)]) == {(1, 0), (1, 5)}
    assert await store.mark([(1, 0), (2, 0)]) == {(2, 0)}
    await store.clear([(1, 0), (2, 0)])
    assert await store.marked() == {(1, 5)}


# ---- sales report -----------------------------------------------------------------------------


async def test_sales_report_reads_the_paid_orders_of_yesterday() -> None:
    cat = await category("Home")
    mug, tee = await product(cat, "MUG"), await product(cat, "TEE")
    buyer = await user(1)
    yesterday = NOW - timedelta(days=1)
    await order(buyer, [(mug, 2), (tee, 1)], paid_at=yesterday, amount=3000)
    await order(
        buyer, [(tee, 4)], paid_at=yesterday.replace(hour=23, minute=59), amount=40, currency="XTR"
    )
    await order(buyer, [(mug, 9)], paid_at=NOW)  # today
    await order(buyer, [(mug, 9)], paid_at=None)  # unpaid
    report = await SalesReports(TortoiseSalesSource()).yesterday(NOW, "UTC")
    assert report.orders == 2
    assert report.revenue == {"USD": 3000, "XTR": 40}
    assert report.units == 7
    assert [(g.title_en, g.units) for g in report.top] == [("T TEE", 5), ("T MUG", 2)]


# ---- abandoned carts --------------------------------------------------------------------------


async def test_abandoned_cart_candidates_and_one_reminder_per_change() -> None:
    cat = await category("Home")
    mug = await product(cat, "MUG")
    carts = TortoiseCartRepository()
    fan, shy, fresh = await user(1), await user(2, opted_in=False), await user(3)
    for person in (fan, shy, fresh):
        await carts.add(person.id, mug.id, None, 1, 100, "USD", 10, 50)
    old = NOW - timedelta(hours=30)
    await CartRow.filter(user_id__in=[fan.id, shy.id]).update(updated_at=old)
    await CartRow.filter(user_id=fresh.id).update(updated_at=NOW - timedelta(hours=2))
    reminders = CartReminders(TortoiseCartReminderStore())
    due, more = await reminders.due(NOW, timedelta(hours=24))
    assert [(c.telegram_id, c.items) for c in due] == [(7001, 1)] and not more
    assert (await reminders.due(NOW, timedelta(hours=24)))[0] == []  # once
    # The shopper changes the cart: the change is the cart's updated_at, eligible again later.
    line = (await carts.items(fan.id))[0]
    assert await carts.set_quantity(fan.id, line.id, 3)
    touched = await CartRow.get(user_id=fan.id)
    assert touched.updated_at > old
    later = touched.updated_at + timedelta(hours=25)
    due, _ = await reminders.due(later, timedelta(hours=24))
    assert [c.telegram_id for c in due] == [7003, 7001]  # least recently changed first
    assert await CartLineRow.filter(cart__user_id=shy.id).count() == 1  # never reminded
