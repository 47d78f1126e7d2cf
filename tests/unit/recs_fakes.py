"""In-memory stand-ins for the recommender's Protocols, and helpers to write histories."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from domain.recommend import Interaction, InteractionKind, ItemInfo

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def events(
    rows: Iterable[tuple[int | None, int]],
    kind: InteractionKind = InteractionKind.VIEW,
    start: datetime = T0,
) -> list[Interaction]:
    """(user, item) pairs as interactions one minute apart, in the given order."""
    return [
        Interaction(user, item, kind, start + timedelta(minutes=n))
        for n, (user, item) in enumerate(rows)
    ]


class MemorySource:
    """InteractionSource over a list; ids are list positions + 1."""

    def __init__(self, log: Sequence[Interaction] = ()) -> None:
        self.log: list[Interaction] = list(log)

    def add(self, new: Iterable[Interaction]) -> None:
        self.log.extend(new)

    async def since(self, after_id: int, limit: int) -> tuple[list[Interaction], int]:
        batch = self.log[after_id : after_id + limit]
        return batch, after_id + len(batch)

    async def recent_for_user(self, user_id: int, limit: int) -> list[Interaction]:
        mine = [e for e in self.log if e.user_id == user_id]
        return mine[::-1][:limit]


class SetAvailability:
    """Everything is available except what is listed in `out`."""

    def __init__(self, out: Iterable[int] = ()) -> None:
        self.out = set(out)
        self.calls = 0

    async def available(self, item_ids: Sequence[int]) -> set[int]:
        self.calls += 1
        return {i for i in item_ids if i not in self.out}


class ListCatalogue:
    def __init__(self, items: Sequence[ItemInfo] = ()) -> None:
        self.list = list(items)

    async def items(self) -> list[ItemInfo]:
        return list(self.list)


class MemorySnapshots:
    def __init__(self) -> None:
        self.saved: list[tuple[int, bytes]] = []

    async def save(self, payload: bytes, watermark: int) -> int:
        self.saved.append((len(self.saved) + 1, payload))
        return len(self.saved)

    async def latest(self) -> tuple[int, bytes] | None:
        return self.saved[-1] if self.saved else None

    async def latest_id(self) -> int | None:
        return self.saved[-1][0] if self.saved else None


class ListSink:
    def __init__(self) -> None:
        self.recorded: list[Interaction] = []

    def record(self, interaction: Interaction) -> None:
        self.recorded.append(interaction)
