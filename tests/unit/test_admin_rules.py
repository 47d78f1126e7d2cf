"""Admin rules without I/O: prices per currency, CSV checks, roles, stock movements."""

from __future__ import annotations

import asyncio

import pytest

from domain.catalog.csv_rows import (
    ExistingProduct,
    ImportRefused,
    check_import,
    decode_csv,
    read_rows,
)
from domain.catalog.merchant_input import format_price_plain, parse_count, parse_price, parse_specs
from domain.catalog.service import Category, Localized
from domain.inventory.ledger import StockReason, movement, parse_quantity
from domain.kernel.errors import ValidationError
from domain.staff.audit import AuditService
from domain.staff.service import (
    KnownPerson,
    NotStaff,
    StaffService,
    StaffTarget,
    UnknownPerson,
    parse_staff_target,
)
from tests.unit.admin_fakes import InMemoryAudit, InMemoryStaff

CATEGORIES = {
    1: Category(1, None, Localized("Tea", "茶")),
    2: Category(2, 1, Localized("Green tea", "绿茶")),
}


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "USD", 1250),
        ("12,50", "EUR", 1250),
        ("12", "USD", 1200),
        ("0.5", "USD", 50),
        ("1 200", "JPY", 1200),
        ("1.234", "BHD", 1234),
        ("7", "XTR", 7),
        ("１２.５", "USD", 1250),
    ],
)
def test_prices_follow_the_currency_exponent(text: str, currency: str, minor: int) -> None:
    assert parse_price(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "problem"),
    [
        ("-5", "USD", "negative"),
        ("abc", "USD", "number"),
        ("12.505", "USD", "decimals"),
        ("12.5", "JPY", "whole numbers"),
        ("", "USD", "number"),
        ("1e5", "USD", "number"),
        ("99999999999", "USD", "too large"),
    ],
)
def test_bad_prices_are_refused_clearly(text: str, currency: str, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_price(text, currency)
    assert problem in caught.value.message.format(**caught.value.params)


def test_price_round_trips_through_the_csv_format() -> None:
    for minor, currency in ((1250, "USD"), (1200, "JPY"), (5, "USD"), (1234, "BHD")):
        assert parse_price(format_price_plain(minor, currency), currency) == minor


def test_counts_and_specs() -> None:
    assert parse_count("25") == 25
    for bad in ("-1", "x", "2.5"):
        with pytest.raises(ValidationError):
            parse_count(bad)
    assert parse_specs("Weight: 250 g\nOrigin：杭州") == (("Weight", "250 g"), ("Origin", "杭州"))
    with pytest.raises(ValidationError):
        parse_specs("no separator here")


def check(data: bytes, existing: dict[str, ExistingProduct] | None = None):  # type: ignore[no-untyped-def]
    _, rows = read_rows(decode_csv(data))
    return check_import(rows, "USD", CATEGORIES, existing or {})


def test_valid_csv_in_every_encoding() -> None:
    text = "sku,title_en,title_zh,category,price,stock\nT-1,Sencha,煎茶,茶 / 绿茶,8.00,5\n"
    for data in (text.encode(), b"\xef\xbb\xbf" + text.encode(), text.encode("gbk")):
        result = check(data)
        assert result.ok, result.errors
        item = result.items[0]
        assert (item.sku, item.stock, item.changes["category_id"]) == ("T-1", 5, 2)
        assert item.changes["title"] == ("Sencha", "煎茶")


def test_every_bad_row_is_reported_with_its_line() -> None:
    data = (
        b"sku,title_en,category,price,stock\n"
        b"T-1,Sencha,Tea,8,5\n"
        b"T-1,Again,Tea,8,5\n"
        b"T-2,Bad,Coffee,-1,-2\n"
        b",,,,\n"
        b"T-3,,Tea,,\n"
    )
    result = check(data)
    assert not result.ok
    found = {(e.line, e.message.split(":")[0].split(" ")[0]) for e in result.errors}
    assert (3, "SKU") in found
    assert {e.line for e in result.errors} == {3, 4, 6}
    messages = [e.message.format(**e.params) for e in result.errors if e.line == 4]
    assert any("Unknown category: Coffee" in m for m in messages)
    assert sum(1 for e in result.errors if e.line == 4) == 3  # category, price and stock


def test_an_existing_sku_is_an_update_and_needs_no_other_column() -> None:
    data = b"sku,title_en,category,price\nT-9,,,9.99\n"
    result = check(data, {"T-9": ExistingProduct(7, False)})
    assert result.ok
    assert result.items[0].existing_id == 7 and result.items[0].changes == {"price": 999}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"sku,title,category,price\nA,B,Tea,1\n", "header"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV"),
        (b"PK\x03\x04 zip of an xlsx", "not a CSV"),
        (b"a" * (5 * 1024 * 1024 + 1), "5 MB"),
        (b"", "empty"),
        (
            "sku,title_en,category,price\nA,\udcff".encode("utf-8", "surrogateescape")
            + b"\xff\xfe\xfd",
            "encoding",
        ),
    ],
)
def test_unusable_files_are_refused_whole(data: bytes, problem: str) -> None:
    with pytest.raises(ImportRefused) as caught:
        read_rows(decode_csv(data))
    assert problem in caught.value.message.format(**caught.value.params)


def test_staff_targets() -> None:
    assert parse_staff_target("123456") == StaffTarget(telegram_id=123456)
    assert parse_staff_target("@Alice_1") == StaffTarget(username="Alice_1")
    for bad in ("", "@a", "hello world", "-5", "0"):
        with pytest.raises(ValidationError):
            parse_staff_target(bad)


async def test_roles_owners_managers_and_revenue_switch() -> None:
    now = [0.0]
    repo = InMemoryStaff([KnownPerson(55, "Bob", "bob")])
    audit = InMemoryAudit()
    staff = StaffService(
        repo, frozenset({1}), AuditService(audit), cache_ttl=3, clock=lambda: now[0]
    )
    assert await staff.role_of(1) == "owner"
    assert await staff.role_of(55) is None
    with pytest.raises(NotStaff):
        await staff.add_manager(55, StaffTarget(telegram_id=56))  # not an owner
    person, added = await staff.add_manager(1, StaffTarget(username="BOB"))
    assert (person.telegram_id, added) == (55, True)
    assert await staff.role_of(55) == "manager"  # own change: cache invalidated at once
    with pytest.raises(NotStaff):
        await staff.add_manager(55, StaffTarget(telegram_id=77))  # managers can't manage staff
    with pytest.raises(UnknownPerson):
        await staff.add_manager(1, StaffTarget(username="ghost"))
    with pytest.raises(ValidationError):
        await staff.add_manager(1, StaffTarget(telegram_id=1))  # owners stay owners
    assert await staff.allowed(55, "manager", "revenue")
    await staff.set_managers_see_revenue(1, False)
    assert not await staff.allowed(55, "manager", "revenue")
    assert await staff.allowed(1, "owner", "revenue")
    assert not await staff.allowed(55, "owner")
    # Another replica removed Bob: this one notices once its cache is older than the TTL.
    repo.managers.discard(55)
    assert await staff.role_of(55) == "manager"
    now[0] += 3.5
    assert await staff.role_of(55) is None
    assert [e.action for e in audit.entries] == ["staff.add_manager", "staff.revenue_visibility"]


async def test_an_expired_role_cache_is_reloaded_once_for_every_update_in_flight() -> None:
    """200 updates at once find the cache expired: one reload (three reads), not 200."""
    now = [0.0]
    repo = InMemoryStaff([KnownPerson(55, "Bob", "bob")])
    repo.managers.add(55)
    reads = 0
    manager_ids = repo.manager_ids

    async def counted() -> set[int]:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0)  # a real query suspends: the others arrive meanwhile
        return await manager_ids()

    repo.manager_ids = counted  # type: ignore[method-assign]
    staff = StaffService(repo, frozenset({1}), AuditService(InMemoryAudit()), clock=lambda: now[0])
    roles = await asyncio.gather(*(staff.role_of(55) for _ in range(200)))
    assert set(roles) == {"manager"} and reads == 1
    now[0] += 3.5
    repo.managers.discard(55)
    roles = await asyncio.gather(*(staff.role_of(55) for _ in range(200)))
    assert set(roles) == {None} and reads == 2


def test_stock_movement_vocabulary() -> None:
    assert movement(StockReason.SALE, 2) == (-2, -2)
    assert movement(StockReason.RESERVE, 2) == (0, 2)
    assert movement(StockReason.RELEASE, 2) == (0, -2)
    assert movement(StockReason.RETURN, 2) == (2, 0)
    assert movement(StockReason.CORRECTION, -3) == (-3, 0)
    assert parse_quantity("+5", StockReason.CORRECTION) == 5
    assert parse_quantity("-3", StockReason.CORRECTION) == -3
    assert parse_quantity("10", StockReason.RECEIVED) == 10
    for text, reason in (
        ("-3", StockReason.RECEIVED),
        ("0", StockReason.DAMAGED),
        ("0", StockReason.CORRECTION),
        ("x", StockReason.RECEIVED),
    ):
        with pytest.raises(ValidationError):
            parse_quantity(text, reason)
