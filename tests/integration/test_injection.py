"""SQL and full-text injection: every string a person types that reaches a query, with classic
payloads, on SQLite (FTS5) and PostgreSQL (tsquery).

Each input is driven through the service the handler calls (inline mode calls the same search
as /search). A payload may be refused with a DomainError (shown to the person, translated) or
stored as typed; it must never raise a database error, never widen a lookup into "match
everything" (a LIKE wildcard finding someone else's coupon or user, `*` or `OR 1=1` listing the
whole catalogue), and every table must be intact afterwards.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from tortoise import Tortoise

from bot.wiring import Services
from domain.campaigns.audiences import AudienceSpec
from domain.campaigns.service import CampaignDraft, CampaignService
from domain.catalog.merchant_input import clean_description, clean_title
from domain.catalog.search import SearchQuery, SearchService
from domain.catalog.service import Localized, ProductDraft
from domain.kernel.errors import DomainError
from domain.reviews.service import ReviewDraft
from domain.staff.service import StaffService, parse_staff_target
from domain.users.service import AddressDraft, TelegramIdentity, UserService, parse_start_payload
from storage.campaigns.repository import TortoiseCampaignRepository
from storage.catalog.models import ProductRow
from storage.catalog.search import SqlSearchEngine
from storage.models import UserRow
from storage.orders.models import CouponRow
from storage.reviews.repository import TortoiseReviewRepository
from storage.users import TortoiseUserRepository
from tests.integration.orders_setup import build_shop
from tests.services import shop_services

PAYLOADS = [
    "' OR 1=1 --",
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    '"; DROP TABLE catalog_products; --',
    "mug' UNION SELECT id, telegram_id FROM users --",
    "') OR ('a'='a",
    "1; DELETE FROM users",
    "NEAR(mug kettle)",
    "mug NEAR/2 kettle",
    "*",
    "mug*",
    '"',
    '"mug',
    'mug"',
    ":",
    "title:mug",
    "{title_en}:mug",
    "mug & kettle | !lamp",
    "!",
    "&|!",
    "!mug",
    "(mug",
    "mug)",
    "<->",
    "%",
    "_",
    "%%",
    "%u%",
    "a_b",
    "\\",
    "\\%",
    "$1",
    "?",
    "mug\x00kettle",
    "\x00",
    "ǅ\u202e\u0000",
    "x" * 300,
    "é" * 100,
]
NOW = datetime(2026, 1, 1, tzinfo=UTC)


GOODS = {"MUGX": "Blue Mug", "KETX": "Red Kettle", "LAMPX": "Green Lamp"}


def _named_in(payload: str) -> set[str]:
    """The goods a payload's own words (or their prefixes) name: all it may find."""
    words = re.findall(r"[a-z0-9]+", payload.lower())
    return {
        sku
        for sku, title in GOODS.items()
        if any(t.startswith(w) for w in words for t in [*title.lower().split(), sku.lower()])
    }


def _text_of(payload: str) -> str:
    return payload.replace("\x00", "")


@pytest.fixture
async def shop(db: str) -> dict[str, int]:
    admin = shop_services()
    category = await admin.merchant.create_category(9000, "Home", "家", None)
    ids = {}
    for sku, title in GOODS.items():
        draft = ProductDraft(sku, category.id, Localized(title), 1000, on_hand=5)
        ids[sku] = (await admin.merchant.create_product(9000, draft)).id
    ids["category"] = category.id
    await CouponRow.create(code="SAVE10", kind="percent", value=10, currency="USD")
    users = UserService(TortoiseUserRepository())
    for telegram_id, name in ((501, "alice"), (502, "bob")):
        user, _ = await users.seen(TelegramIdentity(telegram_id, name.title(), username=name))
        ids[name] = user.id
    return ids


async def _tables() -> set[str]:
    connection = Tortoise.get_connection("default")
    if connection.capabilities.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        sql = "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'"
    return {row["name"] for row in (await connection.execute_query(sql))[1]}


async def _refused_or_done(call) -> object:  # type: ignore[no-untyped-def]
    """Run one service call: a DomainError is a polite refusal; anything else fails."""
    try:
        return await call
    except DomainError:
        return None


async def test_search_and_inline_query_payloads(shop: dict[str, int]) -> None:
    search = SearchService(SqlSearchEngine())
    for payload in PAYLOADS:
        for query in (SearchQuery(payload), SearchQuery(payload, offset=10, limit=50)):
            result = await search.search(query)
            matched = set() if result.fallback else {p.sku for p in result.products}
            assert matched <= _named_in(payload), (payload, matched)
    assert [p.sku for p in (await search.search(SearchQuery("mug"))).products] == ["MUGX"]


async def test_shopper_inputs(shop: dict[str, int]) -> None:
    tables = await _tables()
    users = UserService(TortoiseUserRepository())
    carts = build_shop().carts
    reviews = TortoiseReviewRepository()
    alice = shop["alice"]
    await carts.add(alice, shop["MUGX"], None, 1)
    for payload in PAYLOADS:
        # A coupon code: never a wildcard that finds SAVE10.
        view = await _refused_or_done(carts.apply_coupon(alice, payload, NOW))
        assert view is None or view.coupon is None, payload  # type: ignore[attr-defined]
        # Referral deep links and the code lookup behind them.
        user = await users.get(alice)
        await _refused_or_done(users.register(user, False, parse_start_payload(f"ref_{payload}")))
        # Name, address fields, review text: refused or stored exactly as typed.
        renamed = await _refused_or_done(users.rename(alice, payload))
        if renamed is not None:
            assert renamed.name == (await users.get(alice)).name  # type: ignore[attr-defined]
        draft = AddressDraft(payload, "+15551234567", payload, payload, payload[:10])
        address = await _refused_or_done(users.add_address(alice, draft))
        if address is not None:
            await users.delete_address(alice, address.id)  # type: ignore[attr-defined]
        review = await reviews.save(alice, shop["MUGX"], ReviewDraft(4, _text_of(payload)))
        if review is not None:
            assert review.text == _text_of(payload)
    assert await _tables() == tables
    assert await UserRow.all().count() == 2 and await ProductRow.all().count() == 3
    assert await CouponRow.filter(code="SAVE10").count() == 1


async def test_merchant_inputs(shop: dict[str, int]) -> None:
    tables = await _tables()
    admin = shop_services()
    campaigns = CampaignService(TortoiseCampaignRepository())
    for n, payload in enumerate(PAYLOADS):
        # Goods lookup by id/SKU/title, and new goods whose fields are the payload.
        found = await _refused_or_done(admin.merchant.find(payload))
        assert found is None, (payload, found)
        created = await _refused_or_done(_create_product(admin, shop["category"], n, payload))
        if created is not None:
            row = await ProductRow.get(id=created.id)  # type: ignore[attr-defined]
            assert (row.title_en, row.description_en) == (
                clean_title(payload),
                clean_description(payload),
            )
        # Staff: a manager named by @username matches that person or nobody.
        person = await _refused_or_done(_resolve(admin.staff, f"@{payload}"))
        assert person is None, (payload, person)
        # Campaign text (Telegram HTML) is stored as written or refused.
        everyone = AudienceSpec("everyone")
        await _refused_or_done(campaigns.create(9000, CampaignDraft(payload, everyone)))
        # A CSV import whose every cell is the payload: checked, never executed.
        cell = '"' + payload.replace('"', '""') + '"'
        csv = f"sku,title_en,category,price\n{cell},{cell},{cell},{cell}\n".encode()
        check = await _refused_or_done(admin.transfer.check(csv))
        assert check is None or not check.ok  # type: ignore[attr-defined]
    assert await _tables() == tables
    assert await UserRow.all().count() == 2
    assert await ProductRow.filter(sku__in=["MUGX", "KETX", "LAMPX"]).count() == 3


async def _resolve(staff: StaffService, text: str) -> object:
    return await staff.resolve(parse_staff_target(text))


async def _create_product(admin: Services, category: int, n: int, payload: str) -> object:
    """New goods the way the goods dialog builds them: typed fields cleaned, then stored."""
    title, description = clean_title(payload), clean_description(payload)
    draft = ProductDraft(
        f"INJ-{n}", category, Localized(title), 500, description=Localized(description)
    )
    return await admin.merchant.create_product(9000, draft)
