"""Reading interactions for the recommender, and storing model snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from domain.recommend.events import Interaction, InteractionKind
from storage.columns import int_column
from storage.recs.models import RecsEventRow, RecsForgetRow, RecsSnapshotRow

_COLUMNS = ("id", "user_id", "item_id", "kind", "weight", "query", "created_at")


def _interaction(row: tuple[Any, ...]) -> Interaction:
    _, user_id, item_id, kind, weight, query, created_at = row
    return Interaction(user_id, item_id, InteractionKind(kind), created_at, weight, query)


class TortoiseInteractionSource:
    """InteractionSource over `recs_events`.

    The rebuild reads by id. Ids come from a sequence, and on PostgreSQL two replicas' batches
    may commit out of id order; so only events at least `settle_seconds` old are handed out,
    and reading stops at the first younger one instead of skipping it. A batch commits within
    a few seconds, so nothing is missed once the watermark moves past it.
    """

    def __init__(self, *, settle_seconds: float = 60.0) -> None:
        self.settle_seconds = settle_seconds

    async def since(self, after_id: int, limit: int) -> tuple[list[Interaction], int]:
        cutoff = datetime.now(UTC) - timedelta(seconds=self.settle_seconds)
        rows = (
            await RecsEventRow.filter(id__gt=after_id)
            .order_by("id")
            .limit(limit)
            .values_list(*_COLUMNS)
        )
        events: list[Interaction] = []
        last_id = after_id
        for row in rows:
            if row[6] > cutoff:
                break
            events.append(_interaction(row))
            last_id = row[0]
        return events, last_id

    async def recent_for_user(self, user_id: int, limit: int) -> list[Interaction]:
        rows = (
            await RecsEventRow.filter(user_id=user_id)
            .order_by("-id")
            .limit(limit)
            .values_list(*_COLUMNS)
        )
        return [_interaction(row) for row in rows]

    async def count(self) -> int:
        return await RecsEventRow.all().count()


class TortoiseSnapshotStore:
    """SnapshotStore in `recs_snapshots`; keeps the newest `keep` snapshots.

    In the database rather than under data/: in webhook mode several replicas serve, only the
    scheduler leader rebuilds, and every replica must load the same model without a shared
    disk. A snapshot is a compressed .npz of a few MB (no pickle, so loading runs no code).
    """

    def __init__(self, *, keep: int = 2) -> None:
        self.keep = max(1, keep)

    async def save(self, payload: bytes, watermark: int) -> int:
        row = await RecsSnapshotRow.create(watermark=watermark, payload=payload, size=len(payload))
        ids = await RecsSnapshotRow.all().order_by("-id").values_list("id", flat=True)
        stale = list(ids)[self.keep :]
        if stale:
            await RecsSnapshotRow.filter(id__in=stale).delete()
        return row.id

    async def latest(self) -> tuple[int, bytes] | None:
        row = await RecsSnapshotRow.all().order_by("-id").first().values_list("id", "payload")
        if row is None:
            return None
        snapshot_id, payload = row
        return int(snapshot_id), bytes(payload)

    async def latest_id(self) -> int | None:
        ids = await int_column(RecsSnapshotRow.all().order_by("-id").limit(1), "id")
        return ids[0] if ids else None


class TortoiseForgetLog:
    """ForgetLog on `recs_forget`: the events go at once, the model follows at the next
    rebuild (which reads the requests after the mark it carries)."""

    async def forget(self, user_id: int) -> None:
        async with in_transaction():
            await RecsEventRow.filter(user_id=user_id).delete()
            await RecsForgetRow.create(user_id=user_id)

    async def forgotten_since(self, after_id: int) -> tuple[list[int], int]:
        rows = (
            await RecsForgetRow.filter(id__gt=after_id).order_by("id").values_list("id", "user_id")
        )
        if not rows:
            return [], after_id
        return sorted({user for _, user in rows}), int(rows[-1][0])
