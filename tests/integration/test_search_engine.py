"""The shared search suite: the same queries and expected results on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from domain.catalog.search import SearchFilters, SearchQuery, SearchService, SearchSort
from domain.catalog.service import (
    CatalogService,
    CategoryDraft,
    Localized,
    ProductDraft,
    VariantDraft,
)
from storage.catalog.models import ProductRow, VariantRow
from storage.catalog.repository import TortoiseCatalogRepository, TortoiseShopperListsRepository
from storage.catalog.search import SqlSearchEngine


@dataclass
class Shop:
    catalog: CatalogService
    search: SearchService
    ids: dict[str, int]
    cats: dict[str, int]


def _day(month: int) -> datetime:
    return datetime(2024, month, 1, tzinfo=UTC)


@pytest.fixture
async def shop(db: str) -> Shop:
    catalog = CatalogService(TortoiseCatalogRepository(), TortoiseShopperListsRepository())
    cats: dict[str, int] = {}
    for key, name, parent in [
        ("electronics", Localized("Electronics", "电子产品"), None),
        ("phones", Localized("Phones", "手机通讯"), "electronics"),
        ("audio", Localized("Audio", "音频"), "electronics"),
        ("fashion", Localized("Fashion", "服装"), None),
        ("shoes", Localized("Shoes", "鞋靴"), "fashion"),
    ]:
        parent_id = cats[parent] if parent else None
        cats[key] = (await catalog.create_category(CategoryDraft(name, parent_id))).id
    goods = {
        "mate": ProductDraft(
            sku="HW-MATE60",
            category_id=cats["phones"],
            brand="Huawei",
            price=69900,
            title=Localized("Huawei Smartphone Mate 60", "华为智能手机 Mate 60"),
            on_hand=10,
            sales=50,
            created_at=_day(3),
            rating_avg=4.8,
            rating_count=120,
        ),
        "xiaomi": ProductDraft(
            sku="MI-14",
            category_id=cats["phones"],
            brand="Xiaomi",
            price=49900,
            title=Localized("Xiaomi Smartphone 14", "小米智能手机 14"),
            on_hand=0,
            sales=80,
            created_at=_day(5),
            rating_avg=4.5,
            rating_count=300,
        ),
        "case": ProductDraft(
            sku="HW-CASE",
            category_id=cats["phones"],
            brand="Huawei",
            price=1999,
            title=Localized("Huawei Phone Case", "华为手机壳"),
            description=Localized("Fits the Mate 60 smartphone.", "适用于 Mate 60。"),
            on_hand=50,
            sales=200,
            created_at=_day(1),
            rating_avg=4.1,
            rating_count=20,
        ),
        "headphones": ProductDraft(
            sku="SONY-WH",
            category_id=cats["audio"],
            brand="Sony",
            price=29900,
            title=Localized("Sony Wireless Headphones", "索尼无线耳机"),
            on_hand=5,
            sales=30,
            created_at=_day(2),
        ),
        "shoes": ProductDraft(
            sku="LN-RUN",
            category_id=cats["shoes"],
            brand="Li-Ning",
            price=8900,
            title=Localized("Li-Ning Running Shoes", "李宁跑步鞋"),
            sales=10,
            created_at=_day(6),
            variants=(
                VariantDraft("LN-RUN-40", (("Size", "40"),), 8900, on_hand=0),
                VariantDraft("LN-RUN-41", (("Size", "41"),), 9900, on_hand=3, position=1),
            ),
        ),
        "hidden": ProductDraft(
            sku="HW-OLD",
            category_id=cats["phones"],
            brand="Huawei",
            price=100,
            title=Localized("Huawei Smartphone Old", "华为智能手机 旧款"),
            active=False,
            on_hand=5,
            sales=1000,
        ),
    }
    ids = {key: (await catalog.create_product(d)).id for key, d in goods.items()}
    return Shop(catalog, SearchService(SqlSearchEngine()), ids, cats)


async def skus(shop: Shop, text: str, **kwargs: object) -> list[str]:
    result = await shop.search.search(SearchQuery.page_of(text, **kwargs))  # type: ignore[arg-type]
    assert not result.fallback, f"{text!r} fell back to popular items"
    return [p.sku for p in result.products]


async def test_title_matches_rank_before_other_matches_then_popularity(shop: Shop) -> None:
    # The case sells most but only its description says "smartphone".
    assert await skus(shop, "smartphone") == ["MI-14", "HW-MATE60", "HW-CASE"]


async def test_prefix_matches(shop: Shop) -> None:
    assert await skus(shop, "smartph") == ["MI-14", "HW-MATE60", "HW-CASE"]
    assert await skus(shop, "head") == ["SONY-WH"]


async def test_typo_is_corrected_and_reported(shop: Shop) -> None:
    result = await shop.search.search(SearchQuery.page_of("smartphnoe"))
    assert result.corrected == "smartphone"
    assert [p.sku for p in result.products] == ["MI-14", "HW-MATE60", "HW-CASE"]
    result = await shop.search.search(SearchQuery.page_of("hedphones"))
    assert result.corrected == "headphones" and [p.sku for p in result.products] == ["SONY-WH"]


async def test_chinese_words_are_segmented(shop: Shop) -> None:
    assert "HW-MATE60" in await skus(shop, "手机")
    assert await skus(shop, "手机") == ["HW-CASE", "MI-14", "HW-MATE60"]
    assert await skus(shop, "华为智能手机") == ["HW-MATE60"]
    assert await skus(shop, "耳机") == ["SONY-WH"]
    assert await skus(shop, "跑步") == ["LN-RUN"]


async def test_all_words_must_match_and_title_hits_lead(shop: Shop) -> None:
    assert await skus(shop, "huawei smartphone") == ["HW-MATE60", "HW-CASE"]
    assert await skus(shop, "Huawei  MATE") == ["HW-MATE60", "HW-CASE"]


async def test_partial_match_when_no_product_has_every_word(shop: Shop) -> None:
    result = await shop.search.search(SearchQuery.page_of("sony smartphone"))
    assert result.partial and not result.fallback
    assert {p.sku for p in result.products} == {"MI-14", "HW-MATE60", "HW-CASE", "SONY-WH"}


async def test_zero_results_give_popular_items_and_did_you_mean(shop: Shop) -> None:
    result = await shop.search.search(SearchQuery.page_of("zzqqxx"))
    assert result.fallback and result.suggestion is None and result.total == 0
    assert [p.sku for p in result.products][:3] == ["HW-CASE", "MI-14", "HW-MATE60"]
    filters = SearchFilters(brand="Huawei")
    result = await shop.search.search(SearchQuery.page_of("headphnes", filters=filters))
    assert result.fallback and result.suggestion == "headphones"
    assert {p.brand for p in result.products} == {"Huawei"}


async def test_inactive_goods_never_appear(shop: Shop) -> None:
    assert "HW-OLD" not in await skus(shop, "huawei")
    result = await shop.search.search(SearchQuery.page_of("旧款"))
    assert result.fallback and "HW-OLD" not in [p.sku for p in result.products]


async def test_category_filter_includes_sub_categories(shop: Shop) -> None:
    electronics = SearchFilters(category_id=shop.cats["electronics"])
    assert await skus(shop, "huawei", filters=electronics) == ["HW-CASE", "HW-MATE60"]
    audio = SearchFilters(category_id=shop.cats["audio"])
    assert await skus(shop, "wireless", filters=audio) == ["SONY-WH"]
    result = await shop.search.search(SearchQuery.page_of("huawei", filters=audio))
    assert result.fallback


async def test_price_stock_and_brand_filters(shop: Shop) -> None:
    cheap = SearchFilters(price_max=60000)
    assert await skus(shop, "smartphone", filters=cheap) == ["MI-14", "HW-CASE"]
    band = SearchFilters(price_min=2000, price_max=60000)
    assert await skus(shop, "smartphone", filters=band) == ["MI-14"]
    in_stock = SearchFilters(in_stock=True)
    assert await skus(shop, "smartphone", filters=in_stock) == ["HW-MATE60", "HW-CASE"]
    assert await skus(shop, "shoes", filters=in_stock) == ["LN-RUN"]
    await VariantRow.filter(sku="LN-RUN-41").update(reserved=3)
    result = await shop.search.search(SearchQuery.page_of("shoes", filters=in_stock))
    assert result.fallback
    brand = SearchFilters(brand="HUAWEI")
    assert await skus(shop, "smartphone", filters=brand) == ["HW-MATE60", "HW-CASE"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        (SearchSort.RELEVANCE, ["MI-14", "HW-MATE60", "HW-CASE"]),
        (SearchSort.PRICE_ASC, ["HW-CASE", "MI-14", "HW-MATE60"]),
        (SearchSort.PRICE_DESC, ["HW-MATE60", "MI-14", "HW-CASE"]),
        (SearchSort.NEWEST, ["MI-14", "HW-MATE60", "HW-CASE"]),
        (SearchSort.RATING, ["HW-MATE60", "MI-14", "HW-CASE"]),
        (SearchSort.POPULARITY, ["HW-CASE", "MI-14", "HW-MATE60"]),
    ],
)
async def test_every_sort(shop: Shop, sort: SearchSort, expected: list[str]) -> None:
    assert await skus(shop, "smartphone", sort=sort) == expected


async def test_pages_and_forged_page_numbers(shop: Shop) -> None:
    first = await shop.search.search(SearchQuery.page_of("smartphone", page=1, page_size=2))
    assert [p.sku for p in first.products] == ["MI-14", "HW-MATE60"]
    assert first.total == 3 and first.pages == 2 and first.next_offset == 2
    second = await shop.search.search(SearchQuery.page_of("smartphone", page=2, page_size=2))
    assert [p.sku for p in second.products] == ["HW-CASE"] and second.next_offset is None
    forged = await shop.search.search(SearchQuery.page_of("smartphone", page=999, page_size=2))
    assert forged.page == 2 and [p.sku for p in forged.products] == ["HW-CASE"]
    inline = await shop.search.search(SearchQuery("smartphone", offset=1, limit=50))
    assert [p.sku for p in inline.products] == ["HW-MATE60", "HW-CASE"]


async def test_index_follows_updates_and_deletes(shop: Shop) -> None:
    await shop.catalog.update_product(
        shop.ids["headphones"], title=Localized("Sony Bluetooth Speaker", "索尼蓝牙音箱")
    )
    assert (await shop.search.search(SearchQuery.page_of("headphones"))).fallback
    assert await skus(shop, "speaker") == ["SONY-WH"]
    assert await skus(shop, "音箱") == ["SONY-WH"]
    await shop.catalog.delete_product(shop.ids["mate"])
    assert await skus(shop, "smartphone") == ["MI-14", "HW-CASE"]
    await shop.catalog.update_product(shop.ids["xiaomi"], active=False)
    assert await skus(shop, "smartphone") == ["HW-CASE"]
    await shop.catalog.update_product(shop.ids["xiaomi"], active=True, brand="Redmi")
    assert await skus(shop, "redmi") == ["MI-14"]
    assert await skus(shop, "smartphone", filters=SearchFilters(brand="redmi")) == ["MI-14"]


BAD_INPUT = [
    "",
    "   ",
    "a",
    "x" * 4000,
    "🙂🙂🙂",
    "🛒 🎁",
    '"',
    "*",
    "**",
    "-",
    ":",
    "(",
    ")",
    "()",
    "NEAR",
    "NEAR(smart phone)",
    'NEAR("huawei" "case", 2)',
    "smart -phone",
    "title:phone",
    "search_title:huawei",
    "huawei*",
    '"huawei',
    "phone OR 1=1",
    "'; DROP TABLE catalog_products; --",
    "' OR '1'='1",
    "1; SELECT * FROM users",
    "huawei & !case | (x:*)",
    "\x00\x01",
    "％＊（）",
    "\\",
    "%",
    "_",
    "a" * 41 + " b",
]


@pytest.mark.parametrize("text", BAD_INPUT)
async def test_bad_input_never_raises_nor_matches_everything(shop: Shop, text: str) -> None:
    result = await shop.search.search(SearchQuery.page_of(text, page=3))
    active = await ProductRow.filter(active=True).count()
    assert result.fallback or result.total < active
    assert await ProductRow.all().count() == 6  # nothing was dropped or changed
