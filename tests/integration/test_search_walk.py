"""Search over many hits, on SQLite and PostgreSQL: when a word matches more goods than the
count cap, the engine walks a sort order's index instead of sorting every hit. Both strategies
must give the same page; this compares them by running each query a second time with the cap
raised so high that nothing is ever walked."""

from __future__ import annotations

import pytest

from demo.catalog_gen import generate_catalogue
from demo.seed import bulk_load
from domain.catalog.search import COUNT_CAP, SearchFilters, SearchQuery, SearchService, SearchSort
from storage.catalog import search as engine_module
from storage.catalog.models import ProductRow, VariantRow
from storage.catalog.search import SqlSearchEngine
from storage.catalog.sql import Params, client, dialect_of

GOODS = 2500


@pytest.fixture
async def big_shop(db: str) -> dict[str, object]:
    report = await bulk_load(generate_catalogue(GOODS, 11))
    params = Params(dialect_of(client()))
    rows = await client().execute_query_dict(
        f"SELECT term FROM catalog_terms WHERE docs > {params.add(COUNT_CAP + 100)} "
        "ORDER BY docs DESC, term LIMIT 3",
        params.values,
    )
    words = [r["term"] for r in rows]
    assert len(words) == 3, "the generated shop should have words on 600+ goods"
    # Sell out some goods, and some variants, so the in-stock filter has something to drop.
    await ProductRow.filter(id__in=list(range(1, GOODS, 3)), has_variants=False).update(on_hand=0)
    await VariantRow.filter(id__in=list(range(1, GOODS, 2))).update(on_hand=0)
    return {"words": words, "category": report.category_ids[0]}


def _pages(words: list[str], category: int) -> list[SearchQuery]:
    queries = []
    for word in words:
        for sort in SearchSort:
            for filters in (SearchFilters(), SearchFilters(in_stock=True, price_min=500)):
                for page in (1, 4):
                    queries.append(SearchQuery.page_of(word, page, 10, filters, sort))
    # Nothing matches the words: popular goods of the category instead (a walk of its goods).
    queries.append(SearchQuery.page_of("zzqxv", filters=SearchFilters(category_id=category)))
    return queries


async def test_walking_and_sorting_give_the_same_pages(
    big_shop: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    service = SearchService(SqlSearchEngine())
    queries = _pages(big_shop["words"], big_shop["category"])  # type: ignore[arg-type]
    walked = [await service.search(q) for q in queries]
    assert any(r.total > COUNT_CAP for r in walked)
    monkeypatch.setattr(engine_module, "COUNT_CAP", 10 * GOODS)
    for query, fast in zip(queries, walked, strict=True):
        sorted_ = await service.search(query)
        assert [p.id for p in fast.products] == [p.id for p in sorted_.products], query
        assert fast.products, query
        if query.filters.in_stock:
            assert all(p.has_variants or p.on_hand > p.reserved for p in fast.products)


async def test_in_stock_flag_follows_every_variant_change(db: str) -> None:
    """The stored "a variant is sellable" flag is kept by triggers, whatever writes."""
    await bulk_load(generate_catalogue(200, 5))
    product = await ProductRow.filter(has_variants=True).order_by("id").first()
    assert product is not None
    variants = VariantRow.filter(product_id=product.id)
    conn = client()

    async def flag() -> bool:
        mark = "?" if "sqlite" in db else "$1"
        rows = await conn.execute_query_dict(
            f"SELECT variants_in_stock AS f FROM catalog_products WHERE id = {mark}", [product.id]
        )
        return bool(rows[0]["f"])

    await variants.update(on_hand=5, reserved=0, active=True)
    assert await flag()
    await variants.update(reserved=5)  # every unit reserved by checkouts
    assert not await flag()
    first = await variants.order_by("id").first()
    assert first is not None
    await VariantRow.filter(id=first.id).update(reserved=4)  # one released
    assert await flag()
    await VariantRow.filter(id=first.id).update(active=False)
    assert not await flag()
    await VariantRow.filter(id=first.id).update(active=True)
    await VariantRow.filter(id=first.id).delete()
    assert not await flag()
    await VariantRow.create(product_id=product.id, sku="NEW-VAR", price=100, on_hand=1)
    assert await flag()
