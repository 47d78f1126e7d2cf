"""LoyaltyService against the in-memory ledger: order changes, referrals, expiry, adjusts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.kernel.errors import NotFound
from domain.loyalty.rules import LoyaltyConfig, Tier
from domain.loyalty.service import EntryKind, LoyaltyService, NotEnoughPoints, ledger_sum
from domain.orders.service import Order, PayMethod
from domain.orders.states import FulfilmentStatus, OrderStatus, PaymentStatus
from tests.unit.loyalty_fakes import InMemoryLoyaltyRepository

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CONFIG = LoyaltyConfig(
    tiers=(Tier("Member", 0), Tier("Silver", 5000, percent_off=5, extra_points_rate=100)),
    referrer_reward=300,
    referred_reward=100,
    expiry_days=30,
)


def order(
    order_id: int,
    user_id: int,
    status: OrderStatus,
    payment: PaymentStatus,
    subtotal: int = 3000,
    discount: int = 0,
) -> Order:
    return Order(
        order_id,
        user_id,
        status,
        payment,
        FulfilmentStatus.DELIVERED,
        (),
        "USD",
        subtotal,
        discount,
        0,
        PayMethod.CARD,
        "USD",
        subtotal - discount,
        "",
        None,
        None,
        None,
        None,
        None,
        None,
        NOW,
        NOW,
    )


def service() -> tuple[LoyaltyService, InMemoryLoyaltyRepository]:
    repo = InMemoryLoyaltyRepository()
    return LoyaltyService(repo, CONFIG), repo


async def test_completed_order_earns_once_and_moves_the_tier_up() -> None:
    loyalty, repo = service()
    done = order(1, 7, OrderStatus.COMPLETED, PaymentStatus.PAID, subtotal=6000, discount=500)
    notices = await loyalty.order_changed(done, NOW)
    assert await repo.balance(7) == 55  # 55.00 paid for goods, Member tier: 1 point a unit
    assert [n.params for n in notices] == [{"points": 55, "id": 1}, {"tier": "Silver"}]
    assert await loyalty.order_changed(done, NOW) == []  # again: nothing new
    assert await repo.balance(7) == 55
    second = await loyalty.order_changed(
        order(2, 7, OrderStatus.COMPLETED, PaymentStatus.PAID, subtotal=1000), NOW
    )
    assert second[0].params == {"points": 20, "id": 2}  # Silver earns double
    assert len(second) == 1  # no second "moved up"


async def test_referral_rewarded_once_on_first_completed_order() -> None:
    loyalty, repo = service()
    repo.referrers[8] = 7
    first = await loyalty.order_changed(
        order(1, 8, OrderStatus.COMPLETED, PaymentStatus.PAID), NOW
    )
    rewards = [n for n in first if n.params.get("points") in (300, 100) and "id" not in n.params]
    assert {(n.user_id, n.params["points"]) for n in rewards} == {(7, 300), (8, 100)}
    await loyalty.order_changed(order(2, 8, OrderStatus.COMPLETED, PaymentStatus.PAID), NOW)
    assert await repo.balance(7) == 300
    assert await repo.balance(8) == 100 + 30 + 30


async def test_self_referral_gets_nothing() -> None:
    loyalty, repo = service()
    repo.referrers[7] = 7
    await loyalty.order_changed(order(1, 7, OrderStatus.COMPLETED, PaymentStatus.PAID), NOW)
    assert await repo.balance(7) == 30


async def test_refund_gives_redeemed_back_and_takes_earned_at_most_what_is_left() -> None:
    loyalty, repo = service()
    await repo.add(loyalty_draft(7, 100))
    await repo.add(redeem(7, 1, 80))
    done = order(1, 7, OrderStatus.COMPLETED, PaymentStatus.PAID)
    await loyalty.order_changed(done, NOW)  # +30
    assert await repo.balance(7) == 50
    await repo.add(redeem(7, 2, 50))  # spent everything elsewhere
    refunded = replace(done, status=OrderStatus.REFUNDED, payment_status=PaymentStatus.REFUNDED)
    await loyalty.order_changed(refunded, NOW)
    assert await repo.balance(7) == 50  # 80 back, 30 taken
    await loyalty.order_changed(refunded, NOW)
    assert await repo.balance(7) == 50
    assert await repo.spend_since(7, NOW - timedelta(days=1)) == 0
    assert ledger_sum(repo.entries) == await repo.balance(7) >= 0


async def test_reversal_never_makes_the_balance_negative() -> None:
    loyalty, repo = service()
    done = order(1, 7, OrderStatus.COMPLETED, PaymentStatus.PAID)
    await loyalty.order_changed(done, NOW)
    await repo.add(redeem(7, 9, 25))
    refunded = replace(done, status=OrderStatus.REFUNDED, payment_status=PaymentStatus.REFUNDED)
    await loyalty.order_changed(refunded, NOW)
    assert await repo.balance(7) == 0
    reversal = repo.entries[-1]
    assert (reversal.kind, reversal.points) == (EntryKind.REVERSAL, -5)


async def test_expired_unpaid_order_gives_points_back() -> None:
    loyalty, repo = service()
    await repo.add(loyalty_draft(7, 100))
    await repo.add(redeem(7, 1, 60))
    expired = order(1, 7, OrderStatus.EXPIRED, PaymentStatus.VOID)
    await loyalty.order_changed(expired, NOW)
    assert await repo.balance(7) == 100


async def test_expiry_takes_unspent_points_once() -> None:
    loyalty, repo = service()
    await repo.add(loyalty_draft(7, 100, expires=NOW - timedelta(days=1)))
    await repo.add(loyalty_draft(7, 40, expires=NOW + timedelta(days=5)))
    await repo.add(redeem(7, 1, 30))
    assert await loyalty.expire_due(NOW) == 1
    assert await repo.balance(7) == 40
    assert await loyalty.expire_due(NOW) == 0
    status = await loyalty.status(7, NOW)
    assert status.next_expiry == (40, NOW + timedelta(days=5))


async def test_owner_adjustments() -> None:
    loyalty, repo = service()
    repo.telegram[1001] = 7
    entry = await loyalty.adjust("1001 +50 goodwill", 9000, NOW)
    assert (entry.points, entry.actor, entry.reason) == (50, "owner:9000", "goodwill")
    with pytest.raises(NotEnoughPoints):
        await loyalty.adjust("1001 -51 too much", 9000, NOW)
    with pytest.raises(NotFound):
        await loyalty.adjust("4242 +5 nobody here", 9000, NOW)
    page = await loyalty.history(7, 1)
    assert [e.points for e in page.items] == [50]


def loyalty_draft(user_id: int, points: int, expires: datetime | None = None):  # type: ignore[no-untyped-def]
    from domain.loyalty.service import LedgerDraft

    return LedgerDraft(
        user_id, EntryKind.ADJUST, points, NOW, expires_at=expires or NOW + timedelta(days=30)
    )


def redeem(user_id: int, order_id: int, points: int):  # type: ignore[no-untyped-def]
    from domain.loyalty.service import LedgerDraft

    return LedgerDraft(
        user_id, EntryKind.REDEEM, -points, NOW, key=f"redeem:{order_id}", order_id=order_id
    )
