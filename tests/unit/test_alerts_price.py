"""The price-drop rule against an in-memory store: one alert per drop, a rise then the same drop
again is a new drop, opted-in shoppers only, a 429 retried next sweep, switching on resets."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.alerts.price_drops import (
    FavouritePrice,
    PriceChange,
    PriceDropAlerts,
    Reference,
    classify,
)
from domain.campaigns.delivery import Blocked, RetryLater, SendOutcome
from domain.catalog.types import Localized
from tests.unit.test_alerts_rules import Blocklist, Outbox


def test_classify_rule() -> None:
    ref = Reference(1000, "USD")
    assert classify(1000, "USD", None) is PriceChange.BASELINE
    assert classify(900, "EUR", ref) is PriceChange.BASELINE
    assert classify(900, "USD", ref) is PriceChange.DROP
    assert classify(1100, "USD", ref) is PriceChange.RISE
    assert classify(1000, "USD", ref) is PriceChange.NONE


@dataclass
class FakePriceStore:
    prices: dict[int, int] = field(default_factory=dict)  # product -> price (USD)
    favourites: set[tuple[int, int]] = field(default_factory=set)
    opted_in: set[int] = field(default_factory=set)
    refs: dict[tuple[int, int], Reference] = field(default_factory=dict)

    async def enabled(self, user_id: int) -> bool:
        return user_id in self.opted_in

    async def set_enabled(self, user_id: int, on: bool) -> None:
        if on:
            self.opted_in.add(user_id)
            self.refs = {k: v for k, v in self.refs.items() if k[0] != user_id}
        else:
            self.opted_in.discard(user_id)

    async def changed(self, after_user_id: int, limit: int) -> list[FavouritePrice]:
        out = []
        for user_id, product_id in sorted(self.favourites):
            if user_id <= after_user_id or user_id not in self.opted_in:
                continue
            ref = self.refs.get((user_id, product_id))
            price = self.prices[product_id]
            if ref == Reference(price, "USD"):
                continue
            title = Localized(f"P{product_id}")
            out.append(
                FavouritePrice(
                    user_id, 1000 + user_id, "en", product_id, title, False, price, "USD", ref
                )
            )
        return out[:limit]

    async def move_reference(
        self, user_id: int, product_id: int, expected: Reference | None, new: Reference
    ) -> bool:
        if self.refs.get((user_id, product_id)) != expected:
            return False
        self.refs[(user_id, product_id)] = new
        return True


async def test_price_drop_once_per_drop_rise_then_drop_again_and_opt_in_only() -> None:
    store = FakePriceStore(prices={1: 1000}, favourites={(7, 1), (8, 1)}, opted_in={7})
    alerts = PriceDropAlerts(store)
    outbox = Outbox()
    drops: list[tuple[int, int]] = []

    async def send(row: FavouritePrice) -> SendOutcome:
        assert row.reference is not None
        drops.append((row.reference.price, row.price))
        return await outbox(row)

    async def sweep_at(price: int) -> None:
        store.prices[1] = price
        await alerts.notify_due(send, Blocklist())

    await sweep_at(1000)  # baseline, silent
    await sweep_at(800)
    await sweep_at(800)  # same price: nothing
    await sweep_at(700)  # a further drop
    await sweep_at(900)  # a rise: silent
    await sweep_at(700)  # the same drop again: a new drop
    assert drops == [(1000, 800), (800, 700), (900, 700)]
    assert set(outbox.told) == {7}  # 8 never opted in


async def test_price_drop_429_is_announced_next_time_and_opt_in_resets_references() -> None:
    store = FakePriceStore(prices={1: 1000}, favourites={(7, 1)}, opted_in={7})
    alerts = PriceDropAlerts(store)
    await alerts.notify_due(Outbox(), Blocklist())
    store.prices[1] = 800
    outbox = Outbox(RetryLater(1))
    report = await alerts.notify_due(outbox, Blocklist())
    assert report.deferred == 1 and store.refs[(7, 1)] == Reference(1000, "USD")
    await alerts.notify_due(outbox, Blocklist())
    assert outbox.told == [7]
    await alerts.set_enabled(7, False)
    store.prices[1] = 500  # dropped while opted out
    await alerts.set_enabled(7, True)
    await alerts.notify_due(outbox, Blocklist())
    assert outbox.told == [7]  # the new reference is today's price, no stale alert
    assert store.refs[(7, 1)] == Reference(500, "USD")


async def test_price_drop_blocked_user_is_marked() -> None:
    store = FakePriceStore(prices={1: 1000}, favourites={(7, 1)}, opted_in={7})
    alerts = PriceDropAlerts(store)
    await alerts.notify_due(Outbox(), Blocklist())
    store.prices[1] = 900
    blocklist = Blocklist()
    report = await alerts.notify_due(Outbox(Blocked("403")), blocklist)
    assert report.blocked == 1 and blocklist.blocked == [7]
    assert store.refs[(7, 1)] == Reference(900, "USD")  # that drop is not announced again
