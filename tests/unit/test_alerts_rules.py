"""Alert rules against in-memory fakes: subscribing, the once-only back-in-stock sweep (outcomes,
crash, concurrency) and the price-drop rule (one alert per drop, rise then drop again)."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from domain.alerts.back_in_stock import (
    MAX_FAILED_TRIES,
    MAX_SUBSCRIPTIONS,
    STALE_CLAIM,
    AlreadyInStock,
    AlreadySubscribed,
    BackInStockAlerts,
    BackInStockNotice,
    ProductUnavailable,
    StockSubscription,
    SubscriptionNotFound,
    UnitStock,
)
from domain.alerts.price_drops import (
    FavouritePrice,
)
from domain.campaigns.delivery import Blocked, Failed, RetryLater, SendOutcome, Sent
from domain.catalog.types import Localized
from domain.kernel.errors import LimitReached

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@dataclass
class Sub:
    id: int
    user_id: int
    product_id: int
    variant_id: int
    status: str = "waiting"
    attempt: str = ""
    attempts: int = 0
    claimed_at: datetime | None = None


@dataclass
class FakeSubscriptionStore:
    units: dict[tuple[int, int], UnitStock] = field(default_factory=dict)
    subs: dict[int, Sub] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def stock(self, product_id: int, variant_id: int, available: int, active: bool = True) -> None:
        self.units[(product_id, variant_id)] = UnitStock(product_id, variant_id, active, available)

    async def unit(self, product_id: int, variant_id: int) -> UnitStock | None:
        return self.units.get((product_id, variant_id))

    async def add(self, user_id: int, product_id: int, variant_id: int, limit: int) -> bool | None:
        mine = [s for s in self.subs.values() if s.user_id == user_id]
        if len(mine) >= limit:
            return None
        if any((s.product_id, s.variant_id) == (product_id, variant_id) for s in mine):
            return False
        sid = next(self.ids)
        self.subs[sid] = Sub(sid, user_id, product_id, variant_id)
        return True

    async def remove(self, user_id: int, subscription_id: int) -> bool:
        sub = self.subs.get(subscription_id)
        if sub is None or sub.user_id != user_id or sub.status != "waiting":
            return False
        del self.subs[subscription_id]
        return True

    async def list_for(self, user_id: int) -> list[StockSubscription]:
        return [
            StockSubscription(s.id, s.product_id, s.variant_id, Localized(f"P{s.product_id}"), "")
            for s in self.subs.values()
            if s.user_id == user_id
        ]

    async def due(self, limit: int) -> list[BackInStockNotice]:
        out = []
        for s in sorted(self.subs.values(), key=lambda s: s.id):
            unit = self.units.get((s.product_id, s.variant_id))
            if s.status == "waiting" and unit is not None and unit.active and unit.available > 0:
                out.append(
                    BackInStockNotice(
                        s.id,
                        s.user_id,
                        1000 + s.user_id,
                        "en",
                        s.product_id,
                        s.variant_id,
                        Localized(f"P{s.product_id}"),
                        "",
                        s.attempts,
                    )
                )
        return out[:limit]

    async def claim(self, subscription_id: int, attempt: str, now: datetime) -> bool:
        sub = self.subs.get(subscription_id)
        if sub is None or sub.status != "waiting":
            return False
        sub.status, sub.attempt, sub.claimed_at = "sending", attempt, now
        return True

    async def finish(self, subscription_id: int, attempt: str) -> None:
        sub = self.subs.get(subscription_id)
        if sub is not None and sub.attempt == attempt:
            del self.subs[subscription_id]

    async def release(self, subscription_id: int, attempt: str, failed: bool) -> None:
        sub = self.subs.get(subscription_id)
        if sub is not None and sub.attempt == attempt and sub.status == "sending":
            sub.status, sub.attempt, sub.claimed_at = "waiting", "", None
            sub.attempts += int(failed)

    async def settle_stale(self, claimed_before: datetime) -> int:
        stale = [
            s.id
            for s in self.subs.values()
            if s.status == "sending" and s.claimed_at is not None and s.claimed_at < claimed_before
        ]
        for sid in stale:
            del self.subs[sid]
        return len(stale)


class Blocklist:
    def __init__(self) -> None:
        self.blocked: list[int] = []

    async def mark_blocked(self, user_id: int) -> None:
        self.blocked.append(user_id)


class Outbox:
    """A sender answering from a script (default: Sent), remembering who was told."""

    def __init__(self, *script: SendOutcome) -> None:
        self.script = list(script)
        self.told: list[int] = []

    async def __call__(self, notice: BackInStockNotice | FavouritePrice) -> SendOutcome:
        await asyncio.sleep(0)  # let a concurrent sweep interleave
        outcome = self.script.pop(0) if self.script else Sent(1)
        if isinstance(outcome, Sent):
            self.told.append(notice.user_id)
        return outcome


def alerts_with(store: FakeSubscriptionStore) -> BackInStockAlerts:
    return BackInStockAlerts(store)


# ---- subscribing ------------------------------------------------------------------------------


async def test_subscribe_refuses_in_stock_missing_inactive_and_twice() -> None:
    store = FakeSubscriptionStore()
    store.stock(1, 0, available=0)
    store.stock(2, 0, available=3)
    store.stock(3, 0, available=0, active=False)
    alerts = alerts_with(store)
    await alerts.subscribe(7, 1)
    with pytest.raises(AlreadySubscribed):
        await alerts.subscribe(7, 1)
    with pytest.raises(AlreadyInStock):
        await alerts.subscribe(7, 2)
    with pytest.raises(ProductUnavailable):
        await alerts.subscribe(7, 3)
    with pytest.raises(ProductUnavailable):
        await alerts.subscribe(7, 99)
    assert [(s.product_id, s.variant_id) for s in await alerts.mine(7)] == [(1, 0)]
    await alerts.subscribe(8, 1)  # another shopper may wait for the same unit
    assert len(store.subs) == 2


async def test_subscribe_limit_and_unsubscribe_only_own() -> None:
    store = FakeSubscriptionStore()
    for product_id in range(1, MAX_SUBSCRIPTIONS + 2):
        store.stock(product_id, 0, available=0)
    alerts = alerts_with(store)
    for product_id in range(1, MAX_SUBSCRIPTIONS + 1):
        await alerts.subscribe(7, product_id)
    with pytest.raises(LimitReached):
        await alerts.subscribe(7, MAX_SUBSCRIPTIONS + 1)
    mine = await alerts.mine(7)
    with pytest.raises(SubscriptionNotFound):
        await alerts.unsubscribe(8, mine[0].id)  # someone else's
    await alerts.unsubscribe(7, mine[0].id)
    with pytest.raises(SubscriptionNotFound):
        await alerts.unsubscribe(7, mine[0].id)  # already gone
    await alerts.subscribe(7, MAX_SUBSCRIPTIONS + 1)


# ---- the back-in-stock sweep ------------------------------------------------------------------


async def test_sweep_tells_each_subscriber_once_and_ends_the_subscription() -> None:
    store = FakeSubscriptionStore()
    store.stock(1, 0, available=0)
    alerts = alerts_with(store)
    for user_id in (7, 8):
        await alerts.subscribe(user_id, 1)
    outbox = Outbox()
    report = await alerts.notify_due(outbox, Blocklist(), now=NOW)
    assert outbox.told == [] and report.sent == 0  # still sold out
    store.stock(1, 0, available=2)
    report = await alerts.notify_due(outbox, Blocklist(), now=NOW)
    assert sorted(outbox.told) == [7, 8] and report.sent == 2
    assert store.subs == {}
    store.stock(1, 0, available=0)
    store.stock(1, 0, available=5)  # a second restock: nobody is waiting any more
    await alerts.notify_due(outbox, Blocklist(), now=NOW)
    assert sorted(outbox.told) == [7, 8]


async def test_blocked_ends_subscription_and_marks_user() -> None:
    store = FakeSubscriptionStore()
    store.stock(1, 0, available=0)
    alerts = alerts_with(store)
    await alerts.subscribe(7, 1)
    store.stock(1, 0, available=1)
    blocklist = Blocklist()
    report = await alerts.notify_due(Outbox(Blocked("403")), blocklist, now=NOW)
    assert report.blocked == 1 and blocklist.blocked == [7] and store.subs == {}


async def test_429_puts_back_and_stops_the_sweep_then_next_sweep_sends() -> None:
    store = FakeSubscriptionStore()
    store.stock(1, 0, available=0)
    alerts = alerts_with(store)
    for user_id in (7, 8):
        await alerts.subscribe(user_id, 1)
    store.stock(1, 0, available=1)
    outbox = Outbox(RetryLater(3))
    report = await alerts.notify_due(outbox, Blocklist(), now=NOW)
    assert report.deferred == 1 and report.sent == 0 and outbox.told == []
    assert all(s.status == "waiting" and s.attempts == 0 for s in store.subs.values())
    await alerts.notify_due(outbox, Blocklist(), now=NOW)
    assert sorted(outbox.told) == [7, 8]


async def test_retryable_failures_are_retried_a_few_times_then_given_up() -> None:
    store = FakeSubscriptionStore()
    store.stock(1, 0, available=0)
    alerts = alerts_with(store)
    await alerts.subscribe(7, 1)
    store.stock(1, 0, available=1)
    failure = Failed("timeout", retryable=True)
    outbox = Outbox(*[failure] * MAX_FAILED_TRIES)
    for _sweep in range(MAX_FAILED_TRIES):
        await alerts.notify_due(outbox, Blocklist(), now=NOW)
    assert store.subs == {} and outbox.told == []


async def test_bad_request_is_given_up_at_once() -> None:
    store = FakeSubscriptionStore()
    store.stock(1, 0, available=0)
    alerts = alerts_with(store)
    await alerts.subscribe(7, 1)
    store.stock(1, 0, available=1)
    report = await alerts.notify_due(Outbox(Failed("chat not found", False)), Blocklist(), now=NOW)
    assert report.failed == 1 and store.subs == {}


async def test_a_crash_after_the_claim_never_sends_twice() -> None:
    store = FakeSubscriptionStore()
    store.stock(1, 0, available=0)
    alerts = alerts_with(store)
    await alerts.subscribe(7, 1)
    store.stock(1, 0, available=1)

    async def crash(notice: BackInStockNotice) -> SendOutcome:
        raise RuntimeError("killed mid-send")

    with pytest.raises(RuntimeError):
        await alerts.notify_due(crash, Blocklist(), now=NOW)
    outbox = Outbox()
    await alerts.notify_due(outbox, Blocklist(), now=NOW + timedelta(seconds=30))
    assert outbox.told == []  # claimed by the dead sweep: not sent again
    report = await alerts.notify_due(outbox, Blocklist(), now=NOW + STALE_CLAIM * 2)
    assert report.settled_stale == 1 and store.subs == {} and outbox.told == []


async def test_two_concurrent_sweeps_tell_each_subscriber_once() -> None:
    store = FakeSubscriptionStore()
    store.stock(1, 0, available=0)
    alerts = alerts_with(store)
    for user_id in range(1, 41):
        await alerts.subscribe(user_id, 1)
    store.stock(1, 0, available=1)
    outbox = Outbox()
    await asyncio.gather(
        alerts.notify_due(outbox, Blocklist(), now=NOW),
        alerts.notify_due(outbox, Blocklist(), now=NOW),
    )
    assert sorted(outbox.told) == list(range(1, 41))
