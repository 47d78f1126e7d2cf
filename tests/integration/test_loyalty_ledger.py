"""The points ledger on SQLite and PostgreSQL: balance = ledger sum, never negative, also
when checkouts race for the same points; order changes earn, give back and reverse once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.loyalty.rules import LoyaltyConfig, Tier
from domain.loyalty.service import (
    EntryKind,
    LedgerDraft,
    LoyaltyService,
    NotEnoughPoints,
    ledger_sum,
)
from domain.orders.service import PayMethod
from domain.orders.states import Action, OrderStatus
from storage.loyalty.models import LoyaltyAccountRow, LoyaltyOrderRow
from storage.loyalty.repository import TortoiseLoyaltyRepository, record_checkout
from storage.orders.models import OrderRow
from storage.users import TortoiseUserRepository
from tests.integration.orders_setup import address_of, build_shop, buyers, goods
from tests.integration.test_orders_concurrency import pay, stock

NOW = datetime.now(UTC)
CONFIG = LoyaltyConfig(
    tiers=(Tier("Member", 0), Tier("Silver", 2000, percent_off=10, free_shipping_over=0)),
    referrer_reward=300,
    referred_reward=100,
    redeem_cap_share=50,
    min_charge=100,
)


def credit(user_id: int, points: int, key: str | None = None) -> LedgerDraft:
    return LedgerDraft(
        user_id, EntryKind.ADJUST, points, NOW, key=key, expires_at=NOW + timedelta(days=30)
    )


def debit(user_id: int, points: int, key: str) -> LedgerDraft:
    return LedgerDraft(user_id, EntryKind.REDEEM, -points, NOW, key=key)


async def assert_consistent(repo: TortoiseLoyaltyRepository, user_id: int) -> int:
    balance = await repo.balance(user_id)
    assert balance == ledger_sum(await repo.all_entries(user_id)) >= 0
    return balance


def wired_shop(listening: bool = True, place_hooks=()):  # type: ignore[no-untyped-def]
    """Orders wired to loyalty as in bot/wiring.py; `listening=False`: as if the process
    stopped after each transition, before the change listener ran."""
    loyalty = LoyaltyService(TortoiseLoyaltyRepository(), CONFIG)
    shop = build_shop(
        benefits=loyalty,
        change_listeners=[loyalty.order_changed] if listening else [],
        place_hooks=[record_checkout, *place_hooks],
    )
    return shop, loyalty


async def test_concurrent_debits_never_overdraw(db: str) -> None:
    repo = TortoiseLoyaltyRepository()
    (user,) = await buyers(1)
    await repo.add(credit(user.id, 100))
    results = await asyncio.gather(
        *(repo.add(debit(user.id, 30, f"d{n}")) for n in range(10)), return_exceptions=True
    )
    assert sum(1 for r in results if isinstance(r, NotEnoughPoints)) == 7
    assert [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, NotEnoughPoints)
    ] == []
    assert await assert_consistent(repo, user.id) == 10


async def test_take_up_to_races_with_debits_and_stays_at_zero_or_more(db: str) -> None:
    repo = TortoiseLoyaltyRepository()
    (user,) = await buyers(1)
    await repo.add(credit(user.id, 100))
    jobs = [
        repo.take_up_to(LedgerDraft(user.id, EntryKind.REVERSAL, -40, NOW, key=f"t{n}"))
        for n in range(5)
    ]
    jobs += [repo.add(debit(user.id, 25, f"d{n}")) for n in range(4)]
    await asyncio.gather(*jobs, return_exceptions=True)
    assert await assert_consistent(repo, user.id) >= 0


async def test_a_key_is_recorded_once(db: str) -> None:
    repo = TortoiseLoyaltyRepository()
    (user,) = await buyers(1)
    results = await asyncio.gather(*(repo.add(credit(user.id, 50, "same")) for _ in range(5)))
    assert sum(r is not None for r in results) == 1
    assert await assert_consistent(repo, user.id) == 50


async def test_two_checkouts_racing_for_the_same_points(db: str) -> None:
    shop, loyalty = wired_shop()
    mug, _, _ = await goods(shop, mug_stock=10)
    (user,) = await buyers(1)
    await loyalty.repo.add(credit(user.id, 500))
    await shop.carts.add(user.id, mug, None, 2)  # 20.00: up to 10.00 in points
    results = await asyncio.gather(
        *(
            shop.orders.place(user.id, address_of(user), "std", PayMethod.CARD, NOW, points=400)
            for _ in range(2)
        ),
        return_exceptions=True,
    )
    placed = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, NotEnoughPoints)]
    assert (len(placed), len(refused)) == (1, 1), results
    assert await OrderRow.all().count() == 1  # the refused order left nothing behind
    assert await stock(mug) == (10, 2)
    assert await assert_consistent(loyalty.repo, user.id) == 100
    order = placed[0]
    assert (order.discount, order.total) == (400, 2000 - 400 + 500)
    row = await LoyaltyOrderRow.get(order_id=order.id)
    assert (row.points_redeemed, row.points_discount) == (400, 400)


async def test_order_life_earns_and_cancellation_gives_back(db: str) -> None:
    shop, loyalty = wired_shop()
    mug, _, _ = await goods(shop, mug_stock=10)
    buyer, friend = await buyers(2)
    assert await TortoiseUserRepository().set_referrer_once(friend.id, buyer.id)
    await loyalty.repo.add(credit(friend.id, 300))
    await shop.carts.add(friend.id, mug, None, 3)  # 30.00
    order = await shop.orders.place(
        friend.id, address_of(friend), "std", PayMethod.CARD, NOW, points=300
    )
    assert await loyalty.repo.balance(friend.id) == 0
    await pay(shop, order, "ch-1", NOW)
    await shop.orders.merchant_action(order.id, Action.SHIP, 1, NOW, "T1")
    change = await shop.orders.buyer_action(friend.id, order.id, Action.COMPLETE, NOW)
    assert change.order.status is OrderStatus.COMPLETED
    # 30.00 - 3.00 in points = 27 points; Silver reached (27.00 spent); referral both ways
    texts = {n.text for n in change.notices}
    assert len(texts) == 4 and any("moved up" in t for t in texts)
    assert await loyalty.repo.balance(friend.id) == 27 + 100
    assert await loyalty.repo.balance(buyer.id) == 300
    again = await loyalty.order_changed(change.order, NOW)
    assert again == [] and await loyalty.repo.balance(buyer.id) == 300
    # Silver now: 10% off and free shipping at the next checkout
    await shop.carts.add(friend.id, mug, None, 1)
    cart = await shop.carts.view(friend.id, now=NOW, shipping=shop.orders.config.option("std"))
    totals = await shop.orders.checkout_totals(friend.id, cart, 0, NOW)
    assert (totals.benefits.tier_discount, totals.shipping, totals.total) == (100, 0, 900)
    second = await shop.orders.place(
        friend.id, address_of(friend), "std", PayMethod.STARS, NOW, points=50
    )
    assert second.pay_amount == (900 - 50) // 2  # Stars at 2 cents each
    await shop.orders.buyer_action(friend.id, second.id, Action.CANCEL, NOW)
    assert await assert_consistent(loyalty.repo, friend.id) == 127
    assert await LoyaltyAccountRow.filter(balance__lt=0).count() == 0


@pytest.mark.parametrize("points", [101, 10_000])
async def test_bad_redeem_requests_are_refused_and_leave_no_order(db: str, points: int) -> None:
    shop, loyalty = wired_shop()
    mug, _, _ = await goods(shop, mug_stock=10)
    (user,) = await buyers(1)
    await loyalty.repo.add(credit(user.id, 5000))
    await shop.carts.add(user.id, mug, None, 1)  # 10.00 + 5.00 shipping: cap 5.00
    with pytest.raises(Exception) as refused:
        await shop.orders.place(
            user.id, address_of(user), "std", PayMethod.CARD, NOW, points=points * 5
        )
    assert type(refused.value).__name__ in {"PointsOverCap", "NotEnoughPoints"}
    assert await OrderRow.all().count() == 0
    assert await assert_consistent(loyalty.repo, user.id) == 5000


async def test_the_sweep_settles_orders_a_listener_missed(db: str) -> None:
    shop, loyalty = wired_shop(listening=False)
    mug, _, _ = await goods(shop, mug_stock=10)
    buyer, other = await buyers(2)
    await loyalty.repo.add(credit(other.id, 200))
    await shop.carts.add(buyer.id, mug, None, 2)
    kept = await shop.orders.place(buyer.id, address_of(buyer), "std", PayMethod.CARD, NOW)
    await pay(shop, kept, "ch-k", NOW)
    await shop.orders.merchant_action(kept.id, Action.SHIP, 1, NOW, "T1")
    await shop.orders.buyer_action(buyer.id, kept.id, Action.COMPLETE, NOW)
    await shop.carts.add(other.id, mug, None, 2)
    dropped = await shop.orders.place(
        other.id, address_of(other), "std", PayMethod.CARD, NOW, points=200
    )
    await shop.orders.buyer_action(other.id, dropped.id, Action.CANCEL, NOW)
    assert (await loyalty.repo.balance(buyer.id), await loyalty.repo.balance(other.id)) == (0, 0)
    notices = await loyalty.catch_up(shop.repo.get, NOW)
    assert next(n.params for n in notices if n.user_id == buyer.id) == {
        "points": 20,
        "id": kept.id,
    }
    assert await loyalty.repo.balance(buyer.id) == 20
    assert await loyalty.repo.balance(other.id) == 200
    assert await loyalty.catch_up(shop.repo.get, NOW) == []
    assert await assert_consistent(loyalty.repo, buyer.id) == 20


async def test_expiry_runs_once_even_on_two_replicas_at_once(db: str) -> None:
    loyalty = LoyaltyService(TortoiseLoyaltyRepository(), CONFIG)
    (user,) = await buyers(1)
    old = LedgerDraft(
        user.id,
        EntryKind.ADJUST,
        100,
        NOW - timedelta(days=400),
        expires_at=NOW - timedelta(days=1),
    )
    await loyalty.repo.add(old)
    await loyalty.repo.add(credit(user.id, 40))
    await loyalty.repo.add(debit(user.id, 30, "spent"))
    await asyncio.gather(loyalty.expire_due(NOW), loyalty.expire_due(NOW))
    assert await assert_consistent(loyalty.repo, user.id) == 40
    assert await loyalty.expire_due(NOW + timedelta(hours=1)) == 0
    status = await loyalty.status(user.id, NOW)
    assert status.next_expiry is not None and status.next_expiry[0] == 40
