"""Subscription rules as pure functions: what a charge does to a subscription, when one lapses,
and when it may be cancelled or re-enabled. No I/O (tests/unit/test_subscription_rules.py).

A subscription is *active* until it lapses or is ended by a refund. Cancelling only switches
off renewals (Telegram's `editUserStarSubscription(is_canceled=True)`): the benefit stays
until `expires_at`, and the shopper may re-enable it until then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from domain.catalog.types import Localized

PERIOD_SECONDS = 2592000  # 30 days: the only subscription_period Telegram accepts
MAX_STARS = 10000  # the most a Stars subscription may cost a period
# A renewal is charged by Telegram at the end of the period and reaches the bot a moment
# later: benefits are kept this long past `expires_at` before the subscription lapses.
LAPSE_GRACE = timedelta(hours=1)
STARS = "XTR"


class Benefit(StrEnum):
    TIER = "tier"  # a loyalty tier by name (domain.loyalty: the higher of earned and granted)
    LINK = "link"  # an invite link to a private channel or group, shown while active
    CHANNEL = "channel"  # a private channel/group the bot administers (its chat id): each
    # grant gets a single-use invite link; a lapse or refund removes the member


class SubStatus(StrEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"  # the period ended without a renewal
    REFUNDED = "refunded"  # the merchant refunded its payment: ended at once


class ChargeKind(StrEnum):
    FIRST = "first"  # the payment that starts (or restarts) a subscription
    RENEWAL = "renewal"  # a recurring payment for the next period
    REFUND_DUE = "refund_due"  # money that bought nothing (cancelled or ended): refunded


class Decision(StrEnum):
    START = "start"
    RENEW = "renew"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class Plan:
    id: int
    product_id: int
    title: Localized
    price: int  # Stars per period
    period: int  # seconds (PERIOD_SECONDS)
    benefit: Benefit
    benefit_value: str  # the tier's name, the invite link, or the channel's chat id
    active: bool = True

    @property
    def channel_id(self) -> int | None:
        """The private channel a CHANNEL plan gives access to."""
        if self.benefit is not Benefit.CHANNEL:
            return None
        return int(self.benefit_value)


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    user_id: int
    telegram_user_id: int
    plan_id: int
    status: SubStatus
    canceled: bool  # renewals switched off; still active until expires_at
    expires_at: datetime
    charge_id: str  # the charge that started it: what editUserStarSubscription names
    last_charge_id: str
    started_at: datetime
    ended_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        """Its benefit applies now."""
        return self.status is SubStatus.ACTIVE and now < self.expires_at + LAPSE_GRACE


def decide(sub: Subscription | None, recurring: bool, first: bool, now: datetime) -> Decision:
    """What a successful Stars payment for a plan does.

    A first payment starts the subscription (again, after a lapse or a refund) unless one is
    live already (two links paid at once: the second is refunded). A renewal extends an active
    subscription; one for a cancelled or refunded subscription is refunded; one that arrives
    after the subscription lapsed (late, not cancelled) starts it again: Telegram took the
    Stars for a new period."""
    if first or not recurring:
        return Decision.REFUND if sub is not None and sub.live(now) else Decision.START
    if sub is None:
        return Decision.START
    if sub.canceled or sub.status is SubStatus.REFUNDED:
        return Decision.REFUND
    return Decision.RENEW if sub.status is SubStatus.ACTIVE else Decision.START


def next_expiry(
    current: datetime | None, telegram_expiry: datetime | None, period: int, now: datetime
) -> datetime:
    """The end of the period a charge paid for: Telegram's subscription_expiration_date when
    it sent one, else one period after the later of now and the current end."""
    if telegram_expiry is not None and telegram_expiry > now:
        return telegram_expiry
    base = max(now, current) if current is not None else now
    return base + timedelta(seconds=period)


def lapse_cutoff(now: datetime) -> datetime:
    """Active subscriptions that expired at or before this moment have lapsed."""
    return now - LAPSE_GRACE


def can_cancel(sub: Subscription, now: datetime) -> bool:
    return sub.live(now) and not sub.canceled


def can_resume(sub: Subscription, now: datetime) -> bool:
    return sub.live(now) and sub.canceled and now < sub.expires_at


def from_unix(seconds: int | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds else None
