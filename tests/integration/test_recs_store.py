"""Recommender storage on SQLite and PostgreSQL: batched recording, loading, snapshots."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from domain.recommend import (
    EventLog,
    Interaction,
    InteractionKind,
    RecommendationService,
)
from storage.models import UserRow
from storage.recs.models import RecsEventRow, RecsSnapshotRow
from storage.recs.recorder import BatchedEventRecorder
from storage.recs.repository import (
    TortoiseForgetLog,
    TortoiseInteractionSource,
    TortoiseSnapshotStore,
)


class AllAvailable:
    async def available(self, item_ids: list[int]) -> set[int]:
        return set(item_ids)


async def make_user(telegram_id: int) -> int:
    row = await UserRow.create(
        telegram_id=telegram_id,
        first_name=f"u{telegram_id}",
        referral_code=f"r{telegram_id}",
        last_seen_at=datetime.now(UTC),
    )
    return row.id


def view(user_id: int | None, item_id: int, at: datetime | None = None) -> Interaction:
    return Interaction(user_id, item_id, InteractionKind.VIEW, at or datetime.now(UTC))


async def test_recorder_buffers_until_a_full_batch_then_bulk_inserts(db: str) -> None:
    user = await make_user(1)
    recorder = BatchedEventRecorder(batch_size=5, flush_interval=3600)
    for item in range(4):
        recorder.record(view(user, item))
    assert recorder.buffered == 4
    assert await RecsEventRow.all().count() == 0  # nothing written yet: replies never wait
    recorder.record(view(user, 4))  # the fifth fills a batch: one background flush
    await asyncio.gather(*recorder._pending)
    assert await RecsEventRow.all().count() == 5
    assert recorder.buffered == 0
    recorder.record(view(None, 9))
    await recorder.close()  # shutdown writes the rest
    assert await RecsEventRow.all().count() == 6


async def test_recorder_flushes_on_its_timer(db: str) -> None:
    recorder = BatchedEventRecorder(batch_size=1000, flush_interval=0.05)
    await recorder.start()
    try:
        recorder.record(view(None, 1))
        for _ in range(200):  # wait for the timer, however slow the machine is
            if await RecsEventRow.all().count() == 1:
                break
            await asyncio.sleep(0.05)
        assert await RecsEventRow.all().count() == 1
    finally:
        await recorder.close()


async def test_a_failed_flush_keeps_the_events_for_the_next_one(db: str) -> None:
    recorder = BatchedEventRecorder(batch_size=100, flush_interval=3600)
    recorder.record(view(424242, 1))  # no such user: the foreign key refuses the batch
    assert await recorder.flush() == 0
    assert recorder.buffered == 1
    recorder._buffer.clear()
    recorder.record(view(None, 2))
    assert await recorder.flush() == 1


async def test_source_reads_new_events_in_order_and_recent_history(db: str) -> None:
    alice, bob = await make_user(1), await make_user(2)
    old = datetime.now(UTC) - timedelta(hours=1)
    log = EventLog(recorder := BatchedEventRecorder(batch_size=100))
    recorder.record(view(alice, 10, old))
    recorder.record(view(bob, 11, old))
    log.purchased(alice, [12, 12])
    log.search_clicked(None, "tea", 13)
    await recorder.flush()

    settled = TortoiseInteractionSource(settle_seconds=600)
    batch, watermark = await settled.since(0, 100)
    assert [e.item_id for e in batch] == [10, 11]  # the fresh ones wait to settle
    assert await settled.since(watermark, 100) == ([], watermark)

    source = TortoiseInteractionSource(settle_seconds=0)
    first, mark = await source.since(0, 2)
    rest, end = await source.since(mark, 100)
    assert [e.item_id for e in first + rest] == [10, 11, 12, 13]
    assert end > mark > 0
    clicked = rest[-1]
    assert clicked.user_id is None and clicked.kind == InteractionKind.SEARCH_CLICK
    assert clicked.query == "tea"
    history = await source.recent_for_user(alice, 10)
    assert [(e.item_id, e.kind) for e in history] == [
        (12, InteractionKind.PURCHASE),
        (10, InteractionKind.VIEW),
    ]
    assert history[1].at == old


async def test_snapshot_store_keeps_the_newest(db: str) -> None:
    store = TortoiseSnapshotStore(keep=2)
    assert await store.latest() is None and await store.latest_id() is None
    ids = [await store.save(bytes([n]) * 1000, n) for n in range(3)]
    assert await store.latest() == (ids[-1], bytes([2]) * 1000)
    assert await store.latest_id() == ids[-1]
    assert await RecsSnapshotRow.all().count() == 2


async def test_rebuild_from_the_database_and_reload_on_another_replica(db: str) -> None:
    users = [await make_user(n) for n in range(1, 5)]
    recorder = BatchedEventRecorder()
    for user in users[:3]:
        for item in (100, 101):
            recorder.record(view(user, item))
    await recorder.flush()
    source = TortoiseInteractionSource(settle_seconds=0)
    store = TortoiseSnapshotStore()
    leader = RecommendationService(source=source, availability=AllAvailable(), snapshots=store)
    first = await leader.rebuild()
    assert first.events_read == 6 and first.snapshot_id is not None
    assert (await leader.similar(100)).item_ids == [101]

    recorder.record(view(users[3], 100))
    recorder.record(view(users[3], 102))
    await recorder.flush()
    second = await leader.rebuild()
    assert second.events_read == 2  # only what is new
    assert (await leader.for_you(users[3], k=5)).item_ids[0] == 101

    replica = RecommendationService(source=source, availability=AllAvailable(), snapshots=store)
    assert await replica.reload() is True
    assert (await replica.similar(102)).item_ids == (await leader.similar(102)).item_ids


async def test_a_shopper_who_clears_history_is_gone_from_the_next_model(db: str) -> None:
    alice, bob = await make_user(11), await make_user(12)
    old = datetime.now(UTC) - timedelta(hours=2)
    for day in range(3):
        at = old - timedelta(days=7 * day)
        await RecsEventRow.bulk_create(
            [
                RecsEventRow(user_id=u, item_id=5, kind="purchase", created_at=at)
                for u in (alice, bob)
            ]
        )
    service = RecommendationService(
        source=TortoiseInteractionSource(settle_seconds=0),
        availability=AllAvailable(),
        forget_log=TortoiseForgetLog(),
    )
    await service.rebuild()
    assert (await service.buy_again(alice)).item_ids == [5]
    await service.forget(alice)
    assert await RecsEventRow.filter(user_id=alice).count() == 0  # the events go at once
    assert await RecsEventRow.filter(user_id=bob).count() == 3
    report = await service.rebuild()  # incremental: nothing new, but the request is applied
    assert report.events_read == 0
    assert (await service.buy_again(alice)).item_ids == []
    assert (await service.buy_again(bob)).item_ids == [5]
    model = service.model
    assert model is not None and alice not in model.ledger.pair_user.tolist()
    assert alice not in model.ledger.buy_user.tolist()
    await service.rebuild()  # the request is applied once; a later rebuild keeps Bob's
    assert (await service.buy_again(bob)).item_ids == [5]
