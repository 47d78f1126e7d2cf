"""Loyalty rules without I/O: tiers, earning, checkout benefits, expiry, owner input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.kernel.errors import ValidationError
from domain.loyalty.rules import (
    Lot,
    LoyaltyConfig,
    NotEnoughPoints,
    PointsOverCap,
    Tier,
    checkout_benefits,
    earned_points,
    next_expiry,
    parse_adjustment,
    points_to_expire,
    tier_for,
)

SILVER = Tier("Silver", 20000, percent_off=5, free_shipping_over=5000, extra_points_rate=50)
GOLD = Tier("Gold", 100000, percent_off=10, free_shipping_over=0)
CONFIG = LoyaltyConfig(
    tiers=(Tier("Member", 0), SILVER, GOLD), point_value=1, redeem_cap_share=50, min_charge=100
)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_tier_is_the_highest_threshold_reached() -> None:
    assert tier_for(0, CONFIG.tiers) == Tier("Member", 0)
    assert tier_for(19999, CONFIG.tiers) == Tier("Member", 0)
    assert tier_for(20000, CONFIG.tiers) == SILVER
    assert tier_for(500000, CONFIG.tiers) == GOLD
    assert tier_for(10, ()) is None


def test_points_per_whole_unit_with_tier_extra_rounded_down() -> None:
    assert earned_points(2499, CONFIG, None) == 24
    assert earned_points(2499, CONFIG, SILVER) == 36  # 24 * 1.5
    assert earned_points(-5, CONFIG, None) == 0
    jpy = LoyaltyConfig(currency="JPY", earn_rate=2)
    assert earned_points(1500, jpy, None) == 3000  # no minor unit in yen


def test_tier_discount_and_free_shipping_apply_automatically() -> None:
    b = checkout_benefits(10000, 500, SILVER, balance=0, requested=0, config=CONFIG)
    assert (b.tier_discount, b.free_shipping, b.points) == (500, True, 0)
    small = checkout_benefits(4000, 500, SILVER, balance=0, requested=0, config=CONFIG)
    assert (small.tier_discount, small.free_shipping) == (200, False)


def test_points_capped_by_share_and_by_balance() -> None:
    b = checkout_benefits(3000, 500, None, balance=5000, requested=0, config=CONFIG)
    assert b.points_max == 1500  # half of the goods
    used = checkout_benefits(3000, 500, None, balance=5000, requested=1500, config=CONFIG)
    assert (used.points, used.points_discount, used.discount) == (1500, 1500, 1500)
    with pytest.raises(PointsOverCap) as over:
        checkout_benefits(3000, 500, None, balance=5000, requested=1501, config=CONFIG)
    assert over.value.params == {"points": 1500}
    with pytest.raises(NotEnoughPoints) as short:
        checkout_benefits(3000, 500, None, balance=10, requested=11, config=CONFIG)
    assert short.value.params == {"balance": 10}
    with pytest.raises(ValidationError):
        checkout_benefits(3000, 500, None, balance=10, requested=-1, config=CONFIG)


def test_points_never_bring_the_total_below_the_minimum_charge() -> None:
    every = LoyaltyConfig(redeem_cap_share=100, min_charge=100)
    b = checkout_benefits(150, 0, None, balance=1000, requested=0, config=every)
    assert b.points_max == 50  # 1.50 - 0.50 leaves the 1.00 minimum
    tiny = checkout_benefits(90, 0, None, balance=1000, requested=0, config=every)
    assert tiny.points_max == 0
    worth_ten = LoyaltyConfig(point_value=10, redeem_cap_share=100, min_charge=100)
    assert checkout_benefits(1000, 0, None, 1000, 0, worth_ten).points_max == 90


def test_soonest_expiring_points_are_spent_first() -> None:
    old = Lot(100, NOW - timedelta(days=1))
    new = Lot(50, NOW + timedelta(days=30))
    assert points_to_expire([old, new], debits=0, now=NOW) == 100
    assert points_to_expire([old, new], debits=60, now=NOW) == 40
    assert points_to_expire([old, new], debits=140, now=NOW) == 0
    # an earlier expiry already recorded counts as a debit: nothing expires twice
    assert points_to_expire([old, new], debits=100, now=NOW) == 0
    assert next_expiry([old, new], debits=100, now=NOW) == (50, NOW + timedelta(days=30))
    assert next_expiry([old, new], debits=150, now=NOW) is None


@pytest.mark.parametrize("text", ["", "abc +5 x", "123 +0 reason", "123 +5 no", "123 5"])
def test_bad_adjustments_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_adjustment(text)


def test_adjustment_is_parsed() -> None:
    request = parse_adjustment(" 1001  -25  wrong   order\n")
    assert (request.telegram_id, request.points, request.reason) == (1001, -25, "wrong order")
