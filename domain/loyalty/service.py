"""Loyalty: a points ledger, membership tiers by rolling spend, and referral rewards.

Every change of a balance is a ledger row (earn, redeem, expire, reversal, adjust, referral);
the balance is their sum and storage keeps it on an account row changed only by conditional
atomic updates, so it never goes below zero, also when two checkouts spend the same points.
Rows that must happen once per cause (points for an order, a referral reward, a give-back)
carry a unique key, so running a rule twice changes nothing.

Order changes reach `order_changed` (an OrderService change listener); the redeem at checkout
is written by storage in the transaction that places the order (see storage/loyalty).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from domain.catalog.types import Page, clamp_page
from domain.kernel.errors import NotFound, ValidationError
from domain.kernel.i18n import N_
from domain.loyalty.rules import (
    AdjustRequest,
    Lot,
    LoyaltyConfig,
    NotEnoughPoints,
    PointsOverCap,
    Tier,
    check_adjustment,
    checkout_benefits,
    earned_points,
    next_expiry,
    next_tier,
    parse_adjustment,
    points_to_expire,
    rank,
    tier_for,
)
from domain.orders.states import OrderStatus, PaymentStatus
from domain.orders.types import Benefits, Notice, Order
from domain.staff.audit import AuditService

__all__ = [
    "AdjustRequest",
    "Benefits",
    "EntryKind",
    "LedgerDraft",
    "LedgerEntry",
    "LoyaltyConfig",
    "LoyaltyRepository",
    "LoyaltyService",
    "NotEnoughPoints",
    "PointsOverCap",
    "PointsStatus",
    "ReferralReport",
    "Tier",
]

log = logging.getLogger(__name__)
HISTORY_PAGE = 8
EXPIRY_BATCH = 200
CATCH_UP_DAYS = 3  # how far back the sweep looks for orders a listener missed
# Orders whose money is gone for good: their points go back and their earnings are taken.
_CLOSED_PAYMENTS = frozenset({PaymentStatus.VOID, PaymentStatus.REFUNDED})


_REFERRAL_NOTICES = {
    "referrer": N_("🎁 A friend you invited completed their first order: +{points} points."),
    "referred": N_("🎁 Thanks for joining through a friend: +{points} points."),
}


class EntryKind(StrEnum):
    EARN = "earn"
    REDEEM = "redeem"
    EXPIRE = "expire"
    REVERSAL = "reversal"  # earned points taken back, or redeemed points given back
    ADJUST = "adjust"
    REFERRAL = "referral"


@dataclass(frozen=True, slots=True)
class LedgerDraft:
    user_id: int
    kind: EntryKind
    points: int  # signed: credits > 0, debits < 0
    at: datetime
    key: str | None = None  # unique: the same cause is recorded once
    order_id: int | None = None
    reason: str = ""
    actor: str = "system"
    expires_at: datetime | None = None  # credits only


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    user_id: int
    kind: EntryKind
    points: int
    at: datetime
    order_id: int | None
    reason: str
    actor: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class PointsStatus:
    balance: int
    tier: Tier | None
    spend: int
    next_tier: Tier | None
    next_expiry: tuple[int, datetime] | None


@dataclass(frozen=True, slots=True)
class ReferralLine:
    user_id: int
    name: str
    invited: int
    rewarded: int


@dataclass(frozen=True, slots=True)
class ReferralReport:
    invited: int  # users who joined through someone's link
    rewarded: int  # of them, with a completed first order (both sides rewarded)
    points_given: int
    top: tuple[ReferralLine, ...] = field(default_factory=tuple)


class LoyaltyRepository(Protocol):
    async def balance(self, user_id: int) -> int: ...

    async def add(self, draft: LedgerDraft) -> LedgerEntry | None:
        """Append a row and move the balance in one transaction. None if `draft.key` is
        already recorded; NotEnoughPoints if a debit is more than the balance."""
        ...

    async def take_up_to(self, draft: LedgerDraft) -> LedgerEntry | None:
        """A debit of at most the balance (the row records what was really taken); None if
        the key is already recorded or nothing is left."""
        ...

    async def lots(self, user_id: int) -> tuple[list[Lot], int]:
        """Every credit with its expiry, and the sum of every debit (as a positive number)."""
        ...

    async def history(self, user_id: int, offset: int, limit: int) -> list[LedgerEntry]: ...

    async def count_history(self, user_id: int) -> int: ...

    async def points_for_order(self, order_id: int, kind: EntryKind) -> int:
        """Signed sum of the order's rows of one kind."""
        ...

    async def record_spend(self, order_id: int, user_id: int, amount: int, at: datetime) -> bool:
        """Count a completed order towards tiers once; False if already counted."""
        ...

    async def reverse_spend(self, order_id: int) -> bool: ...

    async def spend_since(self, user_id: int, since: datetime) -> int: ...

    async def users_with_due_lots(self, now: datetime, limit: int) -> list[int]: ...

    async def settle_due_lots(self, user_id: int, now: datetime) -> int:
        """Mark expired lots as handled; returns the id of the latest one (0: none)."""
        ...

    async def referrer_of(self, user_id: int) -> int | None: ...

    async def user_by_telegram_id(self, telegram_id: int) -> int | None: ...

    async def referral_report(self, limit: int) -> ReferralReport: ...

    async def orders_to_settle(self, since: datetime, limit: int) -> list[int]:
        """Recently changed orders the ledger rules have not handled yet."""
        ...


class LoyaltyService:
    """Balances, history, checkout benefits and the ledger rules of orders and referrals."""

    def __init__(
        self,
        repo: LoyaltyRepository,
        config: LoyaltyConfig,
        audit: AuditService | None = None,
        granted_tiers: Callable[[int, datetime], Awaitable[Sequence[str]]] | None = None,
    ) -> None:
        """`audit` records owners' manual adjustments (chat and console) in the audit log;
        `granted_tiers` names tiers held without the spend (a live Stars subscription,
        domain.subscriptions): the shopper gets the higher of earned and granted."""
        self.repo = repo
        self.config = config
        self.audit = audit
        self.granted_tiers = granted_tiers

    # ---- reading ----

    async def tier(self, user_id: int, now: datetime) -> tuple[Tier | None, int]:
        since = now - timedelta(days=self.config.window_days)
        spend = await self.repo.spend_since(user_id, since)
        tier = tier_for(spend, self.config.tiers)
        if self.granted_tiers is not None:
            for name in await self.granted_tiers(user_id, now):
                granted = next((t for t in self.config.tiers if t.name == name), None)
                if rank(granted, self.config.tiers) > rank(tier, self.config.tiers):
                    tier = granted
        return tier, spend

    async def status(self, user_id: int, now: datetime) -> PointsStatus:
        """Balance, tier (and the next one), and the next batch of points to expire."""
        tier, spend = await self.tier(user_id, now)
        lots, debits = await self.repo.lots(user_id)
        return PointsStatus(
            await self.repo.balance(user_id),
            tier,
            spend,
            next_tier(spend, self.config.tiers),
            next_expiry(lots, debits, now),
        )

    async def balance(self, user_id: int) -> int:
        return await self.repo.balance(user_id)

    async def history(self, user_id: int, page: int) -> Page[LedgerEntry]:
        total = await self.repo.count_history(user_id)
        page = clamp_page(page, HISTORY_PAGE, total)
        rows = await self.repo.history(user_id, (page - 1) * HISTORY_PAGE, HISTORY_PAGE)
        return Page(rows, page, HISTORY_PAGE, total)

    # ---- checkout ----

    async def quote(
        self, user_id: int, goods: int, shipping: int, points: int, now: datetime
    ) -> Benefits:
        """What the shopper's tier and `points` take off an order of `goods` (after coupon)
        plus `shipping`; the CheckoutBenefits OrderService asks for."""
        tier, _spend = await self.tier(user_id, now)
        balance = await self.repo.balance(user_id)
        return checkout_benefits(goods, shipping, tier, balance, points, self.config)

    # ---- order changes ----

    async def order_changed(self, order: Order, now: datetime) -> list[Notice]:
        """Apply the ledger rules for an order's new state; returns what to tell people.

        Completed: earn (tier extra rate), count the spend, re-evaluate the tier, reward a
        referral on the buyer's first completed order. Money gone (void or refunded): give
        redeemed points back and take earned points away, at most what is left."""
        if order.status is OrderStatus.COMPLETED:
            return await self._completed(order, now)
        if order.payment_status in _CLOSED_PAYMENTS:
            await self._closed(order, now)
        return []

    async def _completed(self, order: Order, now: datetime) -> list[Notice]:
        user = order.user_id
        tier_before, _spend = await self.tier(user, now)
        goods_paid = order.subtotal - order.discount
        points = earned_points(goods_paid, self.config, tier_before)
        notices: list[Notice] = []
        if points > 0:
            earned = await self.repo.add(
                LedgerDraft(
                    user,
                    EntryKind.EARN,
                    points,
                    now,
                    key=f"earn:{order.id}",
                    order_id=order.id,
                    expires_at=self._expiry(now),
                )
            )
            if earned is not None:
                notices.append(
                    Notice(
                        user,
                        N_("⭐ You earned {points} points for order #{id}."),
                        {"points": points, "id": order.id},
                    )
                )
        if await self.repo.record_spend(order.id, user, max(goods_paid, 0), now):
            tier_after, _spend = await self.tier(user, now)
            tiers = self.config.tiers
            if tier_after is not None and rank(tier_after, tiers) > rank(tier_before, tiers):
                notices.append(
                    Notice(
                        user,
                        N_("🎉 You moved up to {tier}! Its benefits apply at your next checkout."),
                        {"tier": tier_after.name},
                    )
                )
        notices += await self._referral(user, now)
        return notices

    async def _referral(self, user_id: int, now: datetime) -> list[Notice]:
        """Both sides rewarded once, on the invited user's first completed order."""
        referrer = await self.repo.referrer_of(user_id)
        if referrer is None or referrer == user_id:
            return []
        notices = []
        sides = (
            (referrer, self.config.referrer_reward, "referrer"),
            (user_id, self.config.referred_reward, "referred"),
        )
        for who, points, side in sides:
            if points <= 0:
                continue
            added = await self.repo.add(
                LedgerDraft(
                    who,
                    EntryKind.REFERRAL,
                    points,
                    now,
                    key=f"ref:{side}:{user_id}",
                    reason=f"referral of user {user_id}",
                    expires_at=self._expiry(now),
                )
            )
            if added is None:
                continue
            notices.append(Notice(who, _REFERRAL_NOTICES[side], {"points": points}))
        return notices

    async def _closed(self, order: Order, now: datetime) -> None:
        redeemed = -await self.repo.points_for_order(order.id, EntryKind.REDEEM)
        if redeemed > 0:
            await self.repo.add(
                LedgerDraft(
                    order.user_id,
                    EntryKind.REVERSAL,
                    redeemed,
                    now,
                    key=f"giveback:{order.id}",
                    order_id=order.id,
                    reason="points of a cancelled or refunded order",
                    expires_at=self._expiry(now),
                )
            )
        earned = await self.repo.points_for_order(order.id, EntryKind.EARN)
        if earned > 0:
            await self.repo.take_up_to(
                LedgerDraft(
                    order.user_id,
                    EntryKind.REVERSAL,
                    -earned,
                    now,
                    key=f"unearn:{order.id}",
                    order_id=order.id,
                    reason="points earned by a refunded order",
                )
            )
        await self.repo.reverse_spend(order.id)

    def _expiry(self, now: datetime) -> datetime:
        return now + timedelta(days=self.config.expiry_days)

    async def catch_up(
        self, load: Callable[[int], Awaitable[Order | None]], now: datetime
    ) -> list[Notice]:
        """Run the order rules for orders a listener missed (idempotent: unique keys)."""
        notices: list[Notice] = []
        since = now - timedelta(days=CATCH_UP_DAYS)
        for order_id in await self.repo.orders_to_settle(since, EXPIRY_BATCH):
            order = await load(order_id)
            if order is not None:
                notices += await self.order_changed(order, now)
        return notices

    # ---- expiry ----

    async def expire_due(self, now: datetime) -> int:
        """Points past their expiry leave the balance (soonest-expiring are spent first).
        Returns how many users lost points; safe to run again or on two replicas."""
        touched = 0
        for user_id in await self.repo.users_with_due_lots(now, EXPIRY_BATCH):
            lots, debits = await self.repo.lots(user_id)
            amount = points_to_expire(lots, debits, now)
            latest = await self.repo.settle_due_lots(user_id, now)
            if amount <= 0 or latest == 0:
                continue
            entry = await self.repo.take_up_to(
                LedgerDraft(
                    user_id,
                    EntryKind.EXPIRE,
                    -amount,
                    now,
                    key=f"expire:{user_id}:{latest}",
                    reason="expired",
                )
            )
            touched += entry is not None
        return touched

    # ---- owners ----

    async def adjust(self, text: str, owner_telegram_id: int, now: datetime) -> LedgerEntry:
        """An owner's manual change with a reason: '<telegram id> <+/-points> <reason>'."""
        request = parse_adjustment(text)
        user_id = await self.shopper_id(request.telegram_id)
        return await self.adjust_points(
            user_id, request.points, request.reason, owner_telegram_id, now
        )

    async def shopper_id(self, telegram_id: int) -> int:
        """The shopper with this Telegram id (NotFound unless they have used the shop)."""
        user_id = await self.repo.user_by_telegram_id(telegram_id)
        if user_id is None:
            raise NotFound(N_("No shopper with that Telegram id has used the shop."))
        return user_id

    async def adjust_points(
        self, user_id: int, points: int, reason: str, owner_telegram_id: int, now: datetime
    ) -> LedgerEntry:
        """Add (points > 0) or take away points with a reason: one ledger row naming the
        owner, and a line in the audit log. Taking more than the balance is refused
        (NotEnoughPoints)."""
        request = check_adjustment(points, reason)
        draft = LedgerDraft(
            user_id,
            EntryKind.ADJUST,
            request.points,
            now,
            reason=request.reason,
            actor=f"owner:{owner_telegram_id}",
            expires_at=self._expiry(now) if request.points > 0 else None,
        )
        entry = await self.repo.add(draft)
        if entry is None:  # no key, so only a storage fault gets here
            raise ValidationError(N_("That adjustment could not be recorded."))
        if self.audit is not None:
            await self.audit.record(
                owner_telegram_id,
                "loyalty.adjust",
                f"user:{user_id}",
                {"points": entry.points, "reason": entry.reason[:100]},
            )
        return entry

    async def referral_report(self, limit: int = 10) -> ReferralReport:
        return await self.repo.referral_report(limit)


def ledger_sum(entries: Sequence[LedgerEntry]) -> int:
    """The balance a list of rows adds up to (tests compare it with the account row)."""
    return sum(e.points for e in entries)
