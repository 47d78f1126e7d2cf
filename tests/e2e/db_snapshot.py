"""A comparable picture of everything stored, for "this update changed nothing" assertions.

Reads every table of every Tortoise app the bot registered, so a table added by a future
feature is covered without touching the tests. Only bookkeeping that changes on *every* update
by design (when a person was last seen) is left out.
"""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise

# Columns that change whenever anybody sends anything, by design.
VOLATILE_COLUMNS = {"last_seen_at"}


async def snapshot_database() -> dict[str, list[tuple[Any, ...]]]:
    picture: dict[str, list[tuple[Any, ...]]] = {}
    for label, models in sorted(Tortoise.apps.items()):
        for name, model in sorted(models.items()):
            rows = await model.all().values()
            keep = [
                tuple(sorted((k, repr(v)) for k, v in row.items() if k not in VOLATILE_COLUMNS))
                for row in rows
            ]
            picture[f"{label}.{name}"] = sorted(keep)
    return picture
