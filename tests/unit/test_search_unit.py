"""Search domain: tokens, query cleaning, typo correction and fallbacks (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.catalog.search import (
    COUNT_CAP,
    SearchFilters,
    SearchQuery,
    SearchResult,
    SearchService,
    prepare_terms,
)
from domain.catalog.search_text import deletes, edit_distance, fold, index_tokens, query_tokens
from domain.catalog.service import Localized, Product
from tests.unit.catalog_fakes import InMemorySearchEngine


def _product(pid: int, en: str, zh: str, brand: str, sales: int) -> Product:
    return Product(
        id=pid,
        sku=f"S{pid}",
        category_id=1,
        title=Localized(en, zh),
        description=Localized(""),
        brand=brand,
        price=100,
        currency="USD",
        compare_at=None,
        photos=(),
        specs=(),
        tags=(),
        on_hand=1,
        reserved=0,
        low_stock_threshold=1,
        active=True,
        has_variants=False,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        sales=sales,
    )


GOODS = [
    _product(1, "Huawei Smartphone Mate 60", "华为智能手机 Mate 60", "Huawei", 5),
    _product(2, "Sony Wireless Headphones", "索尼无线耳机", "Sony", 9),
    _product(3, "Crème Brûlée Torch", "焦糖布丁喷枪", "Chef", 1),
]


@pytest.fixture
def service() -> SearchService:
    return SearchService(InMemorySearchEngine(GOODS))


def test_fold_lowercases_and_strips_diacritics_but_keeps_chinese() -> None:
    assert fold("Crème BRÛLÉE") == "creme brulee"
    assert fold("ＡＢＣ１２") == "abc12"  # full-width forms
    assert fold("华为") == "华为"


def test_chinese_is_segmented_for_index_and_query() -> None:
    assert {"华为", "手机", "智能手机"} <= set(index_tokens("华为智能手机 Mate 60"))
    assert query_tokens("华为智能手机", limit=8) == ["华为", "智能手机"]
    assert query_tokens("mate60手机", limit=8) == ["mate60", "手机"]


@pytest.mark.parametrize(
    "text",
    ['"', "*", "NEAR(a b)", "-x", "a:b", "(x)", "'; DROP TABLE t; --", "x_y", "%_\\"],
)
def test_terms_are_letters_and_digits_only(text: str) -> None:
    for term in prepare_terms(text):
        assert term.text.isalnum(), term


def test_only_the_last_word_is_a_prefix_and_not_a_lone_letter() -> None:
    assert [(t.text, t.prefix) for t in prepare_terms("galaxy s 手")] == [
        ("galaxy", False),
        ("s", False),
        ("手", True),
    ]
    assert [t.prefix for t in prepare_terms("huawei smartph")] == [False, True]
    assert [t.prefix for t in prepare_terms("galaxy s")] == [False, False]


def test_long_queries_are_cut() -> None:
    assert len(prepare_terms("word " * 800)) == 1
    assert len(prepare_terms(" ".join(f"w{i}" for i in range(100)))) == 8
    assert prepare_terms("x" * 4000)[0].text == "x" * 40


def test_edit_distance_and_deletion_keys() -> None:
    assert edit_distance("smartphnoe", "smartphone") == 1  # a swap is one edit
    assert edit_distance("kitten", "sitting", limit=5) == 3
    assert deletes("smartphnoe") & deletes("smartphone")


async def test_exact_query(service: SearchService) -> None:
    result = await service.search(SearchQuery.page_of("Huawei"))
    assert [p.id for p in result.products] == [1] and not result.fallback


async def test_typo_corrected(service: SearchService) -> None:
    result = await service.search(SearchQuery.page_of("hedphones"))
    assert result.corrected == "headphones" and [p.id for p in result.products] == [2]


async def test_partial_match(service: SearchService) -> None:
    result = await service.search(SearchQuery.page_of("sony huawei"))
    assert result.partial and {p.id for p in result.products} == {1, 2}


async def test_fallback_with_suggestion_keeps_filters_when_possible() -> None:
    engine = InMemorySearchEngine(GOODS)
    service = SearchService(engine)
    sony = SearchFilters(brand="Sony")
    result = await service.search(SearchQuery.page_of("smartphnoe", filters=sony))
    assert result.fallback and result.suggestion == "smartphone"
    assert [p.id for p in result.products] == [2]
    nothing = SearchFilters(brand="Nobody")
    result = await service.search(SearchQuery.page_of("zzz", filters=nothing))
    assert result.fallback and [p.id for p in result.products] == [2, 1, 3]


@pytest.mark.parametrize(
    ("text", "notice"),
    [("", "empty"), ("   ", "empty"), ("x", "too_short"), ("🙂🙂", "no_words"), ("*", "no_words")],
)
async def test_notices(service: SearchService, text: str, notice: str) -> None:
    result = await service.search(SearchQuery.page_of(text))
    assert result.fallback and result.notice == notice and result.products


async def test_single_chinese_character_is_a_query(service: SearchService) -> None:
    result = await service.search(SearchQuery.page_of("华"))
    assert not result.fallback and [p.id for p in result.products] == [1]


def test_result_paging_properties() -> None:
    result = SearchResult(GOODS[:2], 5, 2, 2, "q")
    assert result.page == 2 and result.pages == 3 and result.next_offset == 4
    last = SearchResult(GOODS[:1], 5, 4, 2, "q")
    assert last.next_offset is None
    many = SearchResult(GOODS[:2], COUNT_CAP + 1, 0, 10, "q")
    assert many.total_capped and many.pages == COUNT_CAP // 10


async def test_offsets_are_clamped(service: SearchService) -> None:
    result = await service.search(SearchQuery("huawei", offset=-5, limit=500))
    assert result.offset == 0 and result.limit == 50
