"""Back-office rules without I/O: coupon dialog parsing, shipment text, report periods."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.kernel.errors import ValidationError
from domain.orders.board import BOARD_ACTIONS, shipment
from domain.orders.coupons import parse_limit, parse_min_order, parse_value, parse_window
from domain.orders.pricing import CouponKind
from domain.orders.states import Action
from domain.reports.service import parse_day, period_between, preset_period

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def test_coupon_values() -> None:
    assert parse_value("15%", CouponKind.PERCENT, "USD") == 15
    assert parse_value("5.50", CouponKind.FIXED, "USD") == 550
    for bad in ("0", "101", "ten", "-5"):
        with pytest.raises(ValidationError):
            parse_value(bad, CouponKind.PERCENT, "USD")
    with pytest.raises(ValidationError):
        parse_value("0", CouponKind.FIXED, "USD")
    assert parse_min_order("-", "USD") == 0 and parse_min_order("20", "USD") == 2000
    assert parse_limit("-") is None and parse_limit("25") == 25
    with pytest.raises(ValidationError):
        parse_limit("-3")


def test_coupon_window_includes_both_days() -> None:
    assert parse_window("-", NOW) == (None, None)
    start, end = parse_window("2026-03-20 2026-03-31", NOW)
    assert start == datetime(2026, 3, 20, tzinfo=UTC) and end == datetime(2026, 4, 1, tzinfo=UTC)
    assert parse_window("2026-04-01", NOW) == (None, datetime(2026, 4, 2, tzinfo=UTC))
    for bad in ("2026-03-31 2026-03-20", "2020-01-01", "soon", "2026-13-01"):
        with pytest.raises(ValidationError):
            parse_window(bad, NOW)


def test_shipment_text_and_board_actions() -> None:
    assert shipment(" DHL ", " JD 123 ") == "DHL JD 123"
    for carrier, number in (("D", "123"), ("DHL", "1"), ("DHL", "x" * 39)):
        with pytest.raises(ValidationError):
            shipment(carrier, number)
    assert Action.PARTIAL_REFUND not in BOARD_ACTIONS and Action.SHIP in BOARD_ACTIONS


def test_report_periods_follow_the_shop_time_zone() -> None:
    week = preset_period("7d", NOW, "Asia/Shanghai")
    assert (week.first, week.last) == (date(2026, 3, 9), date(2026, 3, 15))
    assert week.start == datetime(2026, 3, 8, 16, 0, tzinfo=UTC)  # midnight in Shanghai
    assert len(week.days) == 7
    late = preset_period("today", datetime(2026, 3, 15, 20, 0, tzinfo=UTC), "Asia/Shanghai")
    assert late.first == date(2026, 3, 16)
    swapped = period_between(date(2026, 3, 5), date(2026, 3, 1), "UTC")
    assert (swapped.first, swapped.last) == (date(2026, 3, 1), date(2026, 3, 5))
    with pytest.raises(ValidationError):
        period_between(date(2024, 1, 1), date(2026, 1, 1), "UTC")
    with pytest.raises(ValidationError):
        parse_day("yesterday")
