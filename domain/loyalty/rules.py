"""Loyalty rules as pure functions: tiers by rolling spend, points earned, what points may
take off an order, and which points have expired.

Points are whole numbers; money is int minor units of the shop currency. Nothing here does I/O,
so every rule is tested directly (tests/unit/test_loyalty_rules.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_
from domain.orders.pricing import exponent
from domain.orders.types import Benefits


class NotEnoughPoints(DomainError):
    """More points asked for than held (also: another checkout spent them first)."""

    message = N_("You don't have enough points for this: your balance is {balance} points.")


class PointsOverCap(DomainError):
    message = N_("At most {points} points can be used on this order.")


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    threshold: int  # spend (minor units) over the rolling window needed to reach the tier
    percent_off: int = 0  # taken off the goods at checkout
    free_shipping_over: int | None = None  # goods at least this much ship free (None: never)
    extra_points_rate: int = 0  # percent more points earned (50 = one and a half times)


@dataclass(frozen=True, slots=True)
class LoyaltyConfig:
    """Shop rules for points, tiers and referrals, built from settings by bot/."""

    currency: str = "USD"
    earn_rate: int = 1  # points per whole currency unit paid for goods
    point_value: int = 1  # minor units one point takes off at checkout
    redeem_cap_share: int = 50  # percent of the goods (after discounts) points may cover
    expiry_days: int = 365
    window_days: int = 365  # spend counted for tiers
    tiers: tuple[Tier, ...] = ()
    referrer_reward: int = 0  # points for the one who invited
    referred_reward: int = 0  # points for the one invited
    min_charge: int = 100  # points never bring an order's total below this (Telegram minimum)


def tier_for(spend: int, tiers: Sequence[Tier]) -> Tier | None:
    """The highest tier whose threshold `spend` reaches (None below the first one)."""
    reached = [t for t in tiers if spend >= t.threshold]
    return max(reached, key=lambda t: t.threshold) if reached else None


def next_tier(spend: int, tiers: Sequence[Tier]) -> Tier | None:
    above = [t for t in tiers if t.threshold > spend]
    return min(above, key=lambda t: t.threshold) if above else None


def rank(tier: Tier | None, tiers: Sequence[Tier]) -> int:
    """Position of a tier among all tiers by threshold (0 = no tier)."""
    if tier is None:
        return 0
    return 1 + sorted(t.threshold for t in tiers).index(tier.threshold)


def earned_points(goods_paid: int, config: LoyaltyConfig, tier: Tier | None) -> int:
    """Points for `goods_paid` minor units: rate per whole unit, plus the tier's extra share,
    rounded down (a shop never gives more than it advertises)."""
    units = max(goods_paid, 0) // (10 ** exponent(config.currency))
    extra = tier.extra_points_rate if tier is not None else 0
    points: int = units * max(config.earn_rate, 0) * (100 + max(extra, 0)) // 100
    return points


def checkout_benefits(
    goods: int,
    shipping: int,
    tier: Tier | None,
    balance: int,
    requested: int,
    config: LoyaltyConfig,
) -> Benefits:
    """Tier discount and free shipping applied automatically, then `requested` points.

    `goods` is the goods' amount after any coupon. Points cover at most `redeem_cap_share`
    percent of the goods left after the tier discount, and never bring the total below
    `min_charge`. Raises NotEnoughPoints / PointsOverCap / ValidationError for bad requests.
    """
    if requested < 0:
        raise ValidationError(N_("The number of points must be zero or more."))
    tier_discount = 0
    free_shipping = False
    if tier is not None:
        tier_discount = goods * min(max(tier.percent_off, 0), 100) // 100
        after_tier = goods - tier_discount
        over = tier.free_shipping_over
        free_shipping = over is not None and shipping > 0 and after_tier >= over
    goods_left = goods - tier_discount
    total = goods_left + (0 if free_shipping else shipping)
    value = max(config.point_value, 1)
    by_cap = goods_left * min(max(config.redeem_cap_share, 0), 100) // 100
    by_minimum = max(total - config.min_charge, 0)
    points_max = min(by_cap, by_minimum) // value
    usable = min(points_max, max(balance, 0))
    if requested > balance:
        raise NotEnoughPoints(balance=balance)
    if requested > points_max:
        raise PointsOverCap(points=points_max)
    return Benefits(
        tier.name if tier else None,
        tier_discount,
        free_shipping,
        requested,
        requested * value,
        usable,
        balance,
    )


@dataclass(frozen=True, slots=True)
class Lot:
    """Points credited once (earned, rewarded, given back) and when they expire."""

    points: int
    expires_at: datetime | None


def _live_after_debits(lots: Sequence[Lot], debits: int) -> list[tuple[Lot, int]]:
    """Debits use the soonest-expiring points first; each lot with what is left of it."""
    left = max(debits, 0)
    out = []
    for lot in sorted(lots, key=lambda x: (x.expires_at is None, x.expires_at or datetime.max)):
        used = min(left, lot.points)
        left -= used
        if lot.points - used > 0:
            out.append((lot, lot.points - used))
    return out


def points_to_expire(lots: Sequence[Lot], debits: int, now: datetime) -> int:
    """Unspent points of lots whose expiry has passed (`debits`: every point ever taken)."""
    return sum(
        rest
        for lot, rest in _live_after_debits(lots, debits)
        if lot.expires_at is not None and lot.expires_at <= now
    )


def next_expiry(lots: Sequence[Lot], debits: int, now: datetime) -> tuple[int, datetime] | None:
    """(points, when) of the next batch to expire after `now`, if any."""
    for lot, rest in _live_after_debits(lots, debits):
        if lot.expires_at is not None and lot.expires_at > now:
            return rest, lot.expires_at
    return None


_ADJUST_RE = re.compile(r"^\s*(\d{1,15})\s+([+-]?\d{1,9})\s+(.+?)\s*$", re.S)


@dataclass(frozen=True, slots=True)
class AdjustRequest:
    telegram_id: int
    points: int
    reason: str


def parse_adjustment(text: str) -> AdjustRequest:
    """'<telegram id> <+/-points> <reason>' as an owner types it."""
    match = _ADJUST_RE.fullmatch(text or "")
    if match is None:
        raise ValidationError(
            N_("Please send a Telegram id, +/- points and a reason, e.g. 1234567 +200 sorry")
        )
    checked = check_adjustment(int(match.group(2)), match.group(3))
    return AdjustRequest(int(match.group(1)), checked.points, checked.reason)


MAX_ADJUSTMENT = 999_999_999


def check_adjustment(points: int, reason: str) -> AdjustRequest:
    """A manual adjustment's points (not zero) and reason (3-200 characters, one line)."""
    if points == 0:
        raise ValidationError(N_("The adjustment must not be zero."))
    if abs(points) > MAX_ADJUSTMENT:
        raise ValidationError(N_("An adjustment can be at most {max} points."), max=MAX_ADJUSTMENT)
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 200:
        raise ValidationError(N_("The reason must be 3-200 characters."))
    return AdjustRequest(0, points, reason)
