"""Subscriptions on SQLite and PostgreSQL: each charge counts once (also when the same renewal
arrives twice at once), renewals of cancelled subscriptions are refunded, lapses happen once,
a live tier subscription raises the loyalty tier, the merchant's refund ends it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.catalog.types import Localized
from domain.kernel.errors import ValidationError
from domain.loyalty.rules import LoyaltyConfig, Tier
from domain.loyalty.service import LoyaltyService
from domain.staff.audit import AuditService
from domain.subscriptions.rules import PERIOD_SECONDS, SubStatus
from domain.subscriptions.service import (
    AlreadySubscribed,
    PaidOutcome,
    SubscriptionNotFound,
    SubscriptionRefused,
    SubscriptionService,
    SubscriptionSigner,
)
from storage.loyalty.repository import TortoiseLoyaltyRepository
from storage.staff.repository import TortoiseAuditRepository
from storage.subscriptions.models import ChargeRow, SubscriptionRow
from storage.subscriptions.repository import TortoiseSubscriptionRepository
from tests.integration.orders_setup import buyers

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PERIOD = timedelta(seconds=PERIOD_SECONDS)


class FakeTelegram:
    def __init__(self) -> None:
        self.edits: list[tuple[int, str, bool]] = []
        self.refunds: list[tuple[int, str]] = []

    async def edit_subscription(self, telegram_user_id: int, charge_id: str, cancel: bool) -> None:
        self.edits.append((telegram_user_id, charge_id, cancel))

    async def refund(self, telegram_user_id: int, charge_id: str) -> None:
        self.refunds.append((telegram_user_id, charge_id))


def service() -> SubscriptionService:
    return SubscriptionService(
        TortoiseSubscriptionRepository(),
        SubscriptionSigner(b"test"),
        AuditService(TortoiseAuditRepository()),
        tiers=["Member", "Gold"],
    )


async def pay(
    subs: SubscriptionService,
    tg: FakeTelegram,
    user_id: int,
    payload: str,
    charge: str,
    first: bool,
    at: datetime,
) -> PaidOutcome:
    expiry = int((at + PERIOD).timestamp())
    result = await subs.paid(
        user_id, 1000 + user_id, payload, "XTR", 300, charge, True, first, expiry, at, tg
    )
    return result.outcome


@pytest.mark.usefixtures("db")
async def test_subscription_life_on_storage() -> None:
    subs, tg = service(), FakeTelegram()
    (alice,) = await buyers(1)
    plan = await subs.save_plan(
        9000, 77, Localized("Gold club", "金卡俱乐部"), 300, "tier", "gold"
    )
    assert plan.benefit_value == "Gold"
    with pytest.raises(ValidationError):
        await subs.save_plan(9000, 78, Localized("x", ""), 300, "tier", "Platinum")
    with pytest.raises(ValidationError):
        await subs.save_plan(9000, 78, Localized("x", ""), 10001, "link", "https://t.me/+x")
    invoice = await subs.invoice(alice.id, plan.id, NOW)
    with pytest.raises(SubscriptionRefused):  # someone else can't pay Alice's link
        await subs.pre_checkout(alice.id + 1, invoice.payload, "XTR", 300, NOW)
    with pytest.raises(SubscriptionRefused):
        await subs.pre_checkout(alice.id, invoice.payload, "XTR", 299, NOW)
    await subs.pre_checkout(alice.id, invoice.payload, "XTR", 300, NOW)

    # Started once, however often the update comes.
    assert await pay(subs, tg, alice.id, invoice.payload, "c1", True, NOW) is PaidOutcome.STARTED
    assert await pay(subs, tg, alice.id, invoice.payload, "c1", True, NOW) is PaidOutcome.DUPLICATE
    with pytest.raises(AlreadySubscribed):
        await subs.invoice(alice.id, plan.id, NOW)
    loyalty = LoyaltyService(
        TortoiseLoyaltyRepository(),
        LoyaltyConfig(tiers=(Tier("Member", 0), Tier("Gold", 100000, percent_off=10))),
        granted_tiers=subs.granted_tiers,
    )
    assert (await loyalty.tier(alice.id, NOW))[0].name == "Gold"  # type: ignore[union-attr]

    # The same renewal delivered twice at the same moment: one renewal, one period added.
    renew_at = NOW + PERIOD
    outcomes = await asyncio.gather(
        pay(subs, tg, alice.id, invoice.payload, "c2", False, renew_at),
        pay(subs, tg, alice.id, invoice.payload, "c2", False, renew_at),
    )
    assert sorted(outcomes) == sorted([PaidOutcome.RENEWED, PaidOutcome.DUPLICATE])
    row = await SubscriptionRow.get(user_id=alice.id)
    assert row.expires_at == renew_at + PERIOD and row.last_charge_id == "c2"
    assert await ChargeRow.filter(subscription_id=row.id).count() == 2

    # Cancel: Telegram is told first; the benefit stays; a renewal slipping through is refunded.
    with pytest.raises(SubscriptionNotFound):  # not Bob's to cancel
        await subs.set_renewal(alice.id + 1, row.id, True, renew_at, tg)
    sub = await subs.set_renewal(alice.id, row.id, True, renew_at, tg)
    assert sub.canceled and tg.edits == [(1000 + alice.id, "c1", True)]
    late = renew_at + PERIOD
    assert (
        await pay(subs, tg, alice.id, invoice.payload, "c3", False, late) is PaidOutcome.REFUNDED
    )
    assert tg.refunds == [(1000 + alice.id, "c3")]
    refunded = await ChargeRow.get(charge_id="c3")
    assert refunded.kind == "refund_due" and refunded.refunded_at is not None
    summary = await subs.summary(renew_at, NOW, late + timedelta(days=1))
    assert (summary.active, summary.canceled, summary.charges, summary.stars) == (1, 1, 2, 600)

    # The period ends: it lapses once, the granted tier goes.
    after = late + timedelta(hours=2)
    lapsed = await subs.lapse_due(after)
    assert [x.subscription.id for x in lapsed] == [row.id]
    assert await subs.lapse_due(after) == []
    assert (await loyalty.tier(alice.id, after))[0].name == "Member"  # type: ignore[union-attr]

    # Subscribing again restarts the same row; the merchant's refund ends it at once.
    again = await subs.invoice(alice.id, plan.id, after)
    assert await pay(subs, tg, alice.id, again.payload, "c4", True, after) is PaidOutcome.STARTED
    sub2, _plan, stars = await subs.refund(9000, row.id, after, tg)
    assert (sub2.status, stars) == (SubStatus.REFUNDED, 300)
    assert tg.refunds[-1] == (1000 + alice.id, "c4") and tg.edits[-1][2] is True
    assert await subs.granted_tiers(alice.id, after) == []
    with pytest.raises(ValidationError):
        await subs.refund(9000, row.id, after, tg)
