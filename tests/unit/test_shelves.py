"""ShelfService: recommender ids become products in order; the cold card falls back to the
catalogue's list; the cart's suggestions and the personal flag."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from domain.catalog.types import Localized, Product
from domain.recommend import InteractionKind, RecommendationService
from domain.recommend.shelves import ShelfService
from tests.unit.recs_fakes import T0, ListCatalogue, MemorySource, SetAvailability, events

PHONE, CASE, CHARGER, GUARD, LAPTOP = 1, 2, 3, 4, 5
ME = 99


def product(pid: int, active: bool = True) -> Product:
    return Product(
        pid,
        f"SKU{pid}",
        1,
        Localized(f"Item {pid}"),
        Localized(""),
        "",
        100,
        "USD",
        None,
        (),
        (),
        (),
        5,
        0,
        3,
        active,
        False,
        T0,
    )


class Products:
    """ProductLookup + FallbackSimilar over a dict; inactive products are never returned."""

    def __init__(self, inactive: Sequence[int] = ()) -> None:
        self.inactive = set(inactive)
        self.fallback_calls = 0

    async def products_by_ids(self, ids: Sequence[int]) -> list[Product]:
        return [product(i) for i in ids if i not in self.inactive]

    async def similar(self, product_id: int, limit: int = 6) -> list[Product]:
        self.fallback_calls += 1
        return [product(LAPTOP)]


def baskets() -> MemorySource:
    rows = [(u, i) for u in range(1, 6) for i in (PHONE, CASE, GUARD)]
    rows += [(u, i) for u in (6, 7) for i in (LAPTOP, CHARGER)]
    return MemorySource(events(rows, InteractionKind.CART))


async def shelves_for(source: MemorySource, out=(), built: bool = True) -> ShelfService:
    recs = RecommendationService(
        source=source,
        availability=SetAvailability(out),
        catalogue=ListCatalogue(),
        clock=lambda: T0 + timedelta(days=1),
    )
    if built:
        await recs.rebuild()
    return ShelfService(recs, Products(), Products())


async def test_similar_keeps_the_model_order_and_skips_sold_out() -> None:
    shelves = await shelves_for(baskets(), out={GUARD})
    shelf = await shelves.similar(PHONE, viewer=None)
    assert shelf.products[0].id == CASE  # the basket companion first
    assert GUARD not in [p.id for p in shelf.products] and shelf.source == "model"


async def test_cold_model_falls_back_to_the_catalogue_on_the_first_page_only() -> None:
    shelves = await shelves_for(baskets(), built=False)
    first = await shelves.similar(PHONE, viewer=None)
    assert [p.id for p in first.products] == [LAPTOP] and first.source == "catalogue"
    assert not first.has_more
    assert (await shelves.similar(PHONE, viewer=None, page=1)).empty
    assert (await shelves.bought_together(PHONE, viewer=None)).empty  # no fallback here


async def test_complete_your_order_is_empty_for_an_empty_cart() -> None:
    shelves = await shelves_for(baskets())
    assert (await shelves.complete_your_order([], ME)).empty
    shelf = await shelves.complete_your_order([PHONE], ME)
    assert shelf.products[0].id == CASE and PHONE not in [p.id for p in shelf.products]


async def test_for_you_is_personal_only_with_history() -> None:
    source = baskets()
    source.add(events([(ME, PHONE)], InteractionKind.VIEW, T0 + timedelta(hours=1)))
    shelves = await shelves_for(source)
    mine = await shelves.for_you(ME)
    assert mine.personal and {p.id for p in mine.products[:2]} == {CASE, GUARD}
    assert PHONE not in [p.id for p in mine.products]
    stranger = await shelves.for_you(12345)
    assert not stranger.empty and not stranger.personal  # bestsellers only


async def test_forged_pages_are_clamped() -> None:
    shelves = await shelves_for(baskets())
    assert (await shelves.trending(None, page=-5)).page == 0
    assert (await shelves.trending(None, page=10**6)).empty
