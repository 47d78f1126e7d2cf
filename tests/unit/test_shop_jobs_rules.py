"""Low-stock crossings, abandoned-cart eligibility and the daily report's figures."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from domain.alerts.low_stock import LowStockWatch, crossings
from domain.cart.reminders import CartReminders, CartState, needs_reminder
from domain.reports.daily import PaidOrder, SalesReports, SoldLine, previous_day, summarize
from tests.unit.jobs_fakes import (
    InMemoryCartReminderStore,
    InMemorySalesSource,
    InMemoryStockAlertStore,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(hours=24)


# ---- low stock --------------------------------------------------------------------------------


async def test_alert_once_per_crossing_not_per_sale() -> None:
    store = InMemoryStockAlertStore()
    store.put(1, available=5, threshold=3)
    watch = LowStockWatch(store)
    assert await watch.new_crossings() == []
    store.put(1, available=3)  # reaching the threshold counts as crossing it
    assert [u.key for u in await watch.new_crossings()] == [(1, 0)]
    store.put(1, available=2)
    assert await watch.new_crossings() == []  # a further sale: no second alert
    store.put(1, available=0)
    assert await watch.new_crossings() == []


async def test_restock_above_threshold_rearms_the_alert() -> None:
    store = InMemoryStockAlertStore()
    store.put(1, available=1)
    watch = LowStockWatch(store)
    assert len(await watch.new_crossings()) == 1
    store.put(1, available=3)  # still at the threshold: stays marked
    assert await watch.new_crossings() == []
    assert store.markers == {(1, 0)}
    store.put(1, available=10)
    assert await watch.new_crossings() == []
    assert store.markers == set()  # cleared on recovery
    store.put(1, available=2)
    assert len(await watch.new_crossings()) == 1  # a new crossing, a new alert


async def test_variants_are_separate_units() -> None:
    store = InMemoryStockAlertStore()
    store.put(1, available=1, variant_id=11)
    store.put(1, available=9, variant_id=12)
    crossed = await LowStockWatch(store).new_crossings()
    assert [u.key for u in crossed] == [(1, 11)]


async def test_a_concurrent_run_that_set_the_marker_first_alerts_alone() -> None:
    store = InMemoryStockAlertStore()
    store.put(1, available=1)
    low = await store.low_units()
    assert await store.mark([(1, 0)]) == {(1, 0)}  # the other run won
    crossed, _ = crossings(low, set())  # this run read the markers before that
    assert await store.mark([u.key for u in crossed]) == set()


async def test_crossings_split() -> None:
    store = InMemoryStockAlertStore()
    store.put(1, 0)
    store.put(2, 1)
    low = await store.low_units()
    crossed, recovered = crossings(low, {(2, 0), (3, 0)})
    assert [u.key for u in crossed] == [(1, 0)]
    assert recovered == [(3, 0)]
    assert low[0].out_of_stock and not low[1].out_of_stock


# ---- abandoned carts --------------------------------------------------------------------------


def _cart(**changes: object) -> CartState:
    base = CartState(1, 101, "en", 2, NOW - DAY - timedelta(minutes=1), None, True, False)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_reminder_eligibility() -> None:
    assert needs_reminder(_cart(), NOW, DAY)
    assert not needs_reminder(_cart(changed_at=NOW - timedelta(hours=23)), NOW, DAY)
    assert not needs_reminder(_cart(items=0), NOW, DAY)
    assert not needs_reminder(_cart(opted_in=False), NOW, DAY)
    assert not needs_reminder(_cart(blocked=True), NOW, DAY)
    changed = NOW - DAY - timedelta(minutes=1)
    assert not needs_reminder(_cart(reminded_for=changed), NOW, DAY)  # already reminded
    earlier = changed - timedelta(hours=5)
    assert needs_reminder(_cart(reminded_for=earlier), NOW, DAY)  # changed since the reminder


async def test_one_reminder_per_cart_change() -> None:
    store = InMemoryCartReminderStore({1: _cart(), 2: _cart(user_id=2, opted_in=False)})
    reminders = CartReminders(store, batch=10)
    due, more = await reminders.due(NOW, DAY)
    assert [c.user_id for c in due] == [1] and not more
    assert (await reminders.due(NOW + DAY, DAY))[0] == []  # a catch-up finds nothing new
    store.carts[1] = replace(store.carts[1], changed_at=NOW)  # the shopper changed the cart
    assert (await reminders.due(NOW + timedelta(hours=1), DAY))[0] == []  # too soon
    assert [c.user_id for c in (await reminders.due(NOW + DAY, DAY))[0]] == [1]


async def test_reminders_come_in_batches() -> None:
    carts = {i: _cart(user_id=i, telegram_id=100 + i) for i in range(1, 6)}
    reminders = CartReminders(InMemoryCartReminderStore(carts), batch=2)
    seen = []
    more = True
    while more:
        due, more = await reminders.due(NOW, DAY)
        seen += [c.user_id for c in due]
    assert sorted(seen) == [1, 2, 3, 4, 5]


# ---- sales report -----------------------------------------------------------------------------


def test_previous_day_in_the_shop_time_zone() -> None:
    day, start, end = previous_day(datetime(2026, 3, 10, 2, 0, tzinfo=UTC), "Asia/Shanghai")
    assert day == date(2026, 3, 9)  # 10:00 on the 10th in Shanghai
    assert start == datetime(2026, 3, 8, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)


def test_report_figures() -> None:
    orders = [PaidOrder(1, "USD", 1500), PaidOrder(2, "USD", 500), PaidOrder(3, "XTR", 40)]
    lines = [
        SoldLine(1, 10, "Tea", "茶", 2),
        SoldLine(1, 11, "Cup", "", 1),
        SoldLine(2, 10, "Tea", "茶", 3),
        SoldLine(3, 12, "Pot", "", 1),
        SoldLine(9, 13, "Not paid", "", 99),  # not an order of the report
    ] + [SoldLine(3, 20 + i, f"G{i}", "", 1) for i in range(5)]
    report = summarize(date(2026, 3, 9), orders, lines)
    assert report.orders == 3
    assert report.revenue == {"USD": 2000, "XTR": 40}
    assert report.units == 12
    assert [(g.product_id, g.units) for g in report.top] == [
        (10, 5),
        (11, 1),
        (12, 1),
        (20, 1),
        (21, 1),
    ]
    assert report.top[0].title_zh == "茶"


async def test_report_reads_only_yesterday() -> None:
    source = InMemorySalesSource()
    source.orders = [
        (datetime(2026, 3, 9, 0, 0, tzinfo=UTC), PaidOrder(1, "USD", 100)),
        (datetime(2026, 3, 9, 23, 59, tzinfo=UTC), PaidOrder(2, "USD", 200)),
        (datetime(2026, 3, 10, 0, 0, tzinfo=UTC), PaidOrder(3, "USD", 400)),  # today
        (datetime(2026, 3, 8, 23, 59, tzinfo=UTC), PaidOrder(4, "USD", 800)),  # the day before
    ]
    report = await SalesReports(source).yesterday(NOW, "UTC")
    assert (report.orders, report.revenue) == (2, {"USD": 300})
