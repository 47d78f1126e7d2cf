"""Payment rules by kind of goods (domain.orders.rules) and the parsing of digital units."""

from __future__ import annotations

import pytest

from domain.cart.service import CartItem, CartLine
from domain.catalog.types import Localized, ProductKind
from domain.digital.units import (
    MAX_DOCUMENT_BYTES,
    ImportRefused,
    PayloadKind,
    check_document_size,
    file_unit,
    parse_codes,
    parse_document,
)
from domain.orders.rules import PayRule, needs_shipping, rule_for, split_cart, unit_stars
from domain.orders.types import CheckoutConfig, PayMethod

CARD_SHOP = CheckoutConfig(currency="USD", card=True, minor_units_per_star=2)
LEGACY_STARS_SHOP = CheckoutConfig(currency="USD", card=True, stars=True, minor_units_per_star=2)
NO_PROVIDER = CheckoutConfig(currency="USD", minor_units_per_star=2)


def line(
    n: int, kind: ProductKind, price: int = 1000, qty: int = 1, stars: int | None = None
) -> CartLine:
    item = CartItem(n, n, None, qty, price, "USD")
    return CartLine(
        item, Localized(f"P{n}"), f"SKU{n}", "", 1, price, "USD", 10, True, kind, stars
    )


def test_each_kind_has_its_rule() -> None:
    assert rule_for(ProductKind.PHYSICAL) is PayRule.GOODS
    assert rule_for(ProductKind.DIGITAL) is PayRule.STARS
    assert rule_for(ProductKind.SERVICE) is PayRule.STARS


def test_a_physical_cart_is_one_part_paid_as_configured() -> None:
    [part] = split_cart([line(1, ProductKind.PHYSICAL), line(2, ProductKind.PHYSICAL)], CARD_SHOP)
    assert (part.rule, part.methods, part.ships) == (PayRule.GOODS, (PayMethod.CARD,), True)
    # The old global switch still offers Stars for goods that ship.
    [legacy] = split_cart([line(1, ProductKind.PHYSICAL)], LEGACY_STARS_SHOP)
    assert legacy.methods == (PayMethod.CARD, PayMethod.STARS)


def test_digital_goods_and_services_are_stars_only_even_without_a_provider() -> None:
    lines = [line(1, ProductKind.DIGITAL, 999, qty=2), line(2, ProductKind.SERVICE, stars=40)]
    [part] = split_cart(lines, NO_PROVIDER)
    assert (part.rule, part.methods, part.ships) == (PayRule.STARS, (PayMethod.STARS,), False)
    # 9.99 at 2 cents a star is 499.5 -> 500 Stars each (rounded up), plus the service's own 40.
    assert part.stars == 2 * 500 + 40
    assert not needs_shipping(lines)


def test_a_mixed_cart_splits_into_goods_first_then_stars() -> None:
    lines = [
        line(1, ProductKind.DIGITAL),
        line(2, ProductKind.PHYSICAL),
        line(3, ProductKind.SERVICE),
    ]
    goods, stars = split_cart(lines, CARD_SHOP)
    assert [ln.item.product_id for ln in goods.lines] == [2]
    assert [ln.item.product_id for ln in stars.lines] == [1, 3]
    assert (goods.rule, stars.rule) == (PayRule.GOODS, PayRule.STARS)
    assert needs_shipping(lines)


def test_the_stars_price_is_the_merchants_or_derived() -> None:
    assert unit_stars(1000, "USD", 77, 2) == 77
    assert unit_stars(1000, "USD", None, 2) == 500
    assert unit_stars(1, "USD", None, 2) == 1  # never below one Star
    assert unit_stars(30, "XTR", None, 2) == 30  # a catalogue priced in Stars


def test_pasted_codes() -> None:
    units = parse_codes("\n  KEY-1 \r\nhttps://example.com/x?y=1\nKEY-3\n\n")
    assert [u.payload for u in units] == ["KEY-1", "https://example.com/x?y=1", "KEY-3"]
    assert len({u.key for u in units}) == 3 and {u.kind for u in units} == {PayloadKind.TEXT}
    for bad, params in [
        ("A\nB\nA", {"line": 3, "first": 1, "code": "A"}),
        ("A\n\nB", {"line": 2}),
        ("A\n" + "x" * 501, {"line": 2}),
    ]:
        with pytest.raises(ImportRefused) as refused:
            parse_codes(bad)
        assert refused.value.params == params
    with pytest.raises(ImportRefused):
        parse_codes("   \n ")


def test_documents() -> None:
    assert [u.payload for u in parse_document("\ufeffA\nB\n".encode(), "k.txt")] == ["A", "B"]
    csv = b'code,note\n"C,1",x\nC2,y\n'
    assert [u.payload for u in parse_document(csv, "K.CSV")] == ["C,1", "C2"]
    with pytest.raises(ImportRefused):
        parse_document(b"GIF89a\x00\x01\x02", "k.txt")
    with pytest.raises(ImportRefused) as big:
        check_document_size(50 * 1024 * 1024)
    assert big.value.params == {"size": 50.0, "limit": 1}
    check_document_size(MAX_DOCUMENT_BYTES)
    unit = file_unit("BQAC-file", "AgAD-unique", "manual.pdf")
    assert (unit.kind, unit.payload, unit.key) == (PayloadKind.FILE, "BQAC-file", "f:AgAD-unique")
