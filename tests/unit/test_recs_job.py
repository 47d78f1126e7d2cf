"""The scheduled rebuild: registered with the configured interval, builds and serves a model."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from bot.jobs.recommend import rebuild_recommendations
from bot.jobs.registry import build_registry
from bot.settings import load_settings
from domain.recommend import InteractionKind, RecommendationService
from tests.unit.recs_fakes import (
    T0,
    ListCatalogue,
    MemorySnapshots,
    MemorySource,
    SetAvailability,
    events,
)


def test_rebuild_job_is_registered_with_the_configured_interval() -> None:
    spec = build_registry(load_settings(recs={"rebuild_minutes": 15})).get("recs.rebuild")
    assert spec is not None and not spec.catch_up
    assert spec.trigger.interval == timedelta(minutes=15)  # type: ignore[union-attr]


async def test_rebuild_job_builds_stores_and_serves() -> None:
    source = MemorySource(events([(u, i) for u in (1, 2) for i in (7, 8)], InteractionKind.CART))
    snapshots = MemorySnapshots()
    service = RecommendationService(
        source=source,
        availability=SetAvailability(),
        catalogue=ListCatalogue(),
        snapshots=snapshots,
        clock=lambda: T0 + timedelta(hours=1),
    )
    assert (await service.similar(7)).items == ()  # cold: nothing yet
    ctx = SimpleNamespace(services=SimpleNamespace(recs_runtime=SimpleNamespace(service=service)))
    await rebuild_recommendations(ctx)  # type: ignore[arg-type]
    assert len(snapshots.saved) == 1
    assert (await service.similar(7)).item_ids == [8]
