"""Numbers typed by people or forged into buttons: digits that str.isdigit() accepts but int()
refuses ('¹'), and strings longer than int()'s 4,300-digit limit, get the usual "send a number"
answer instead of an unhandled ValueError (found by the fuzz test on /stock)."""

from __future__ import annotations

import pytest

from domain.catalog.csv_rows import resolve_category
from domain.catalog.merchant_input import parse_count, parse_price
from domain.inventory.ledger import StockReason, parse_quantity
from domain.kernel.errors import ValidationError
from domain.kernel.text import whole_number
from domain.orders.coupons import parse_limit, parse_value
from domain.orders.pricing import CouponKind

ODD = ["¹", "²3", "٣", "1" * 5000, "-", "", " 5", "+5", "5.0", "0x10", "१२"]


def test_whole_number_takes_ascii_digits_only() -> None:
    assert whole_number("0") == 0 and whole_number("0042") == 42
    assert whole_number("9" * 30) == int("9" * 30)
    for text in ODD:
        assert whole_number(text) is None, text


@pytest.mark.parametrize("text", ODD)
def test_staff_number_fields_answer_instead_of_crashing(text: str) -> None:
    for parse in (
        lambda t: parse_quantity(t, StockReason.RECEIVED),
        lambda t: parse_quantity(t, StockReason.CORRECTION),
        parse_count,
        lambda t: parse_price(t, "USD"),
        lambda t: parse_value(t, CouponKind.PERCENT, "USD"),
        parse_limit,
    ):
        try:
            parse(text)
        except ValidationError:
            pass
    assert resolve_category({}, text) is None


def test_the_usual_numbers_still_parse() -> None:
    assert parse_quantity("+5", StockReason.CORRECTION) == 5
    assert parse_quantity("-3", StockReason.CORRECTION) == -3
    assert parse_count("25") == 25
    assert parse_price("12,50", "USD") == 1250 and parse_price("¹2", "USD") == 1200  # NFKC
    assert parse_value("15%", CouponKind.PERCENT, "USD") == 15
    assert parse_limit("-") is None and parse_limit("7") == 7
    with pytest.raises(ValidationError):
        parse_price("1" * 40, "USD")
