"""RecommendationService: the surfaces, filters, paging, cold start and rebuilds."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

import pytest

from domain.recommend import (
    EventLog,
    Interaction,
    InteractionKind,
    ItemInfo,
    RecommendationService,
    RecommendConfig,
)
from tests.unit.recs_fakes import (
    T0,
    ListCatalogue,
    ListSink,
    MemorySnapshots,
    MemorySource,
    SetAvailability,
    events,
)

A, B, C, D, E = 1, 2, 3, 4, 5
COFFEE, MUG, PHONE, CASE, CHARGER = 10, 11, 20, 21, 22
ME = 99
NOW = T0 + timedelta(days=2)


async def service_for(
    source: MemorySource,
    items=(),
    out=(),
    config: RecommendConfig | None = None,
    **kw,
) -> RecommendationService:
    service = RecommendationService(
        source=source,
        availability=SetAvailability(out),
        catalogue=ListCatalogue(items),
        config=config or RecommendConfig(),
        clock=lambda: NOW,
        **kw,
    )
    await service.rebuild()
    return service


def two_clusters() -> MemorySource:
    # Users 1-3 like A and B together; users 4-6 like C and D together.
    rows = [(u, i) for u in (1, 2, 3) for i in (A, B)]
    rows += [(u, i) for u in (4, 5, 6) for i in (C, D)]
    return MemorySource(events(rows))


async def test_for_you_weighs_the_whole_history_not_only_the_last_item() -> None:
    source = two_clusters()
    # A looked at three times long ago, C once just now: A's cluster still leads.
    source.add(events([(ME, A), (ME, A), (ME, A), (ME, C)], start=T0 + timedelta(days=1)))
    service = await service_for(source)
    page = await service.for_you(ME, k=2)
    assert page.item_ids == [B, D]
    assert {r.reason for r in page.items} == {"history"}


async def test_cold_user_gets_trending_then_new_arrivals() -> None:
    source = MemorySource(events([(1, A), (2, A), (3, A), (1, B), (2, B), (1, C)]))
    catalogue = [ItemInfo(i) for i in (A, B, C)] + [ItemInfo(E, created_at=NOW - timedelta(1))]
    service = await service_for(source, catalogue)
    page = await service.for_you(ME, k=10)
    assert page.item_ids == [A, B, C, E]
    assert [r.reason for r in page.items] == ["popular"] * 3 + ["new"]
    assert page.has_more is False


async def test_user_with_one_item_gets_neighbours_and_bestsellers_blended() -> None:
    source = two_clusters()
    source.add(events([(7, E), (8, E), (9, E), (10, E)]))  # E is the hottest thing around
    source.add(events([(ME, A)], start=T0 + timedelta(days=1)))
    service = await service_for(source)
    page = await service.for_you(ME, k=3)
    assert page.item_ids[0] == B  # the neighbour of what they looked at
    assert E in page.item_ids  # and, being cold, what is trending


async def test_out_of_stock_and_inactive_goods_never_appear() -> None:
    source = two_clusters()
    source.add(events([(ME, C)], start=T0 + timedelta(days=1)))
    catalogue = [ItemInfo(i, active=i != B) for i in (A, B, C, D)]
    service = await service_for(source, catalogue, out={D})
    for page in (
        await service.for_you(ME, k=10),
        await service.similar(A, k=10),
        await service.trending(k=10),
        await service.bought_together(A, k=10),
    ):
        assert B not in page.item_ids and D not in page.item_ids
    assert (await service.similar(A, k=10)).item_ids == []  # B inactive; nothing else similar
    assert (await service.trending(k=10)).item_ids == [C, A]


async def test_goods_dropped_from_the_catalogue_are_not_recommended() -> None:
    source = two_clusters()
    service = await service_for(source, [ItemInfo(A), ItemInfo(C), ItemInfo(D)])
    assert B not in (await service.trending(k=10)).item_ids


def repeat_shop() -> MemorySource:
    """Coffee is bought again every week by everyone; the mug once."""
    log: list[Interaction] = []
    for week in range(4):
        at = T0 + timedelta(days=7 * week)
        rows = [(u, COFFEE) for u in (1, 2, 3)]
        rows += [(u, MUG) for u in (1, 2, 3)] if week == 0 else []
        log += events(rows, InteractionKind.PURCHASE, start=at)
    return MemorySource(log)


async def test_bought_goods_come_back_only_when_buyers_rebuy_them() -> None:
    source = repeat_shop()
    source.add(events([(ME, COFFEE), (ME, MUG)], InteractionKind.PURCHASE, T0 + timedelta(21)))
    catalogue = [ItemInfo(COFFEE, category_id=7), ItemInfo(MUG, category_id=8)]
    service = await service_for(source, catalogue)
    model = service.model
    assert model is not None and model.repeatable(COFFEE) and not model.repeatable(MUG)
    assert COFFEE in (await service.similar(MUG, k=5, viewer=ME)).item_ids
    assert MUG not in (await service.similar(COFFEE, k=5, viewer=ME)).item_ids
    assert MUG in (await service.similar(COFFEE, k=5)).item_ids  # others may see it
    again = await service.buy_again(ME, k=5)
    assert again.item_ids[0] == COFFEE and {r.reason for r in again.items} == {"again"}


async def test_complete_your_order_suggests_basket_companions_not_the_cart() -> None:
    carts = [(1, PHONE), (1, CASE), (2, PHONE), (2, CASE), (3, PHONE), (3, CHARGER)]
    source = MemorySource(events(carts, InteractionKind.CART))
    source.add(events([(u, i) for u in (4, 5, 6, 7) for i in (PHONE, A)]))  # views only
    service = await service_for(source)
    page = await service.complete_your_order([PHONE], k=5)
    assert page.item_ids[:2] == [CASE, CHARGER]
    assert [r.reason for r in page.items[:2]] == ["bought_together"] * 2
    assert PHONE not in page.item_ids
    together = await service.bought_together(PHONE, k=5)
    assert together.item_ids[:2] == [CASE, CHARGER]
    assert (await service.complete_your_order([], k=5)).item_ids == []
    unknown = await service.complete_your_order([12345], k=5)  # not in the model: trending
    assert unknown.item_ids and {r.reason for r in unknown.items} == {"trending"}


async def test_pages_do_not_overlap_and_say_when_more_follow() -> None:
    rows = [(u, item) for item in range(1, 6) for u in range(item)]  # item 5 hottest
    service = await service_for(MemorySource(events([(u + 1, i) for u, i in rows])))
    pages = [await service.trending(k=2, page=n) for n in range(3)]
    assert [p.item_ids for p in pages] == [[5, 4], [3, 2], [1]]
    assert [p.has_more for p in pages] == [True, True, False]
    assert (await service.trending(k=2, page=9)).item_ids == []


async def test_no_model_yet_means_empty_lists_not_errors() -> None:
    service = RecommendationService(source=MemorySource(), availability=SetAvailability())
    assert (await service.for_you(ME)).item_ids == []
    assert (await service.similar(A)).item_ids == []
    assert (await service.complete_your_order([A])).item_ids == []


async def test_availability_is_asked_once_per_list() -> None:
    availability = SetAvailability()
    service = RecommendationService(source=two_clusters(), availability=availability)
    await service.rebuild()
    await service.for_you(1, k=4)
    assert availability.calls == 1


async def test_rebuild_is_incremental_and_snapshots_reload_elsewhere() -> None:
    source = two_clusters()
    snapshots = MemorySnapshots()
    service = await service_for(source, snapshots=snapshots)
    assert service.model is not None and service.model.watermark == 12
    source.add(events([(7, A), (7, E)], start=T0 + timedelta(days=1)))
    report = await service.rebuild()
    assert report.events_read == 2 and report.watermark == 14
    assert E in (await service.similar(A, k=5)).item_ids

    replica = RecommendationService(
        source=source, availability=SetAvailability(), snapshots=snapshots
    )
    assert await replica.reload() is True
    assert await replica.reload() is False  # already serving the newest
    assert (await replica.similar(A, k=5)).item_ids == (await service.similar(A, k=5)).item_ids


async def test_rebuild_runs_in_a_separate_process() -> None:
    with ProcessPoolExecutor(max_workers=1) as pool:
        service = await service_for(two_clusters(), executor=pool)
    assert (await service.similar(A, k=3)).item_ids == [B]


def test_event_log_records_kinds_and_one_purchase_per_item() -> None:
    sink = ListSink()
    log = EventLog(sink)
    log.viewed(1, A)
    log.added_to_cart(1, A)
    log.favourited(None, B)
    log.purchased(1, [A, A, C])
    log.search_clicked(1, "  red shoes " + "x" * 300, D)
    kinds = [(e.user_id, e.item_id, e.kind) for e in sink.recorded]
    assert kinds == [
        (1, A, InteractionKind.VIEW),
        (1, A, InteractionKind.CART),
        (None, B, InteractionKind.FAVOURITE),
        (1, A, InteractionKind.PURCHASE),
        (1, C, InteractionKind.PURCHASE),
        (1, D, InteractionKind.SEARCH_CLICK),
    ]
    query = sink.recorded[-1].query
    assert query is not None and query.startswith("red shoes") and len(query) == 128


@pytest.mark.parametrize("k,page", [(0, 0), (3, -1)])
async def test_nonsense_paging_gives_an_empty_page(k: int, page: int) -> None:
    service = await service_for(two_clusters())
    assert (await service.trending(k=k, page=page)).item_ids == []
