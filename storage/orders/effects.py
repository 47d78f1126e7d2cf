"""Applied-effect markers (domain.kernel.idempotency) on Tortoise.

`claim_effect` must run inside the transaction of the change it guards: the marker commits or
rolls back with it. A second claim of the same key fails on the primary key (on PostgreSQL it
waits for the first transaction and fails once that committed), which aborts the transaction,
so callers catch `EffectApplied` outside their `in_transaction` block and then read the first
run's result with `applied_result`.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError

from storage.compiled import CompiledRows
from storage.orders.models import AppliedEffectRow

_SET_RESULT = CompiledRows(
    AppliedEffectRow,
    lambda rows, key, result: rows.filter(key=key).update(result_id=result),
    str,
    int,
)
_CLEAR_RESULT = CompiledRows(
    AppliedEffectRow, lambda rows, key: rows.filter(key=key).update(result_id=None), str
)
_RESULT = CompiledRows(
    AppliedEffectRow, lambda rows, key: rows.filter(key=key).limit(1).values("result_id"), str
)


class EffectApplied(Exception):
    """The effect of this key was already committed."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def claim_effect(key: str) -> None:
    """Insert the marker of `key` in the current transaction; EffectApplied if it exists."""
    try:
        await AppliedEffectRow.create(key=key)
    except IntegrityError:
        raise EffectApplied(key) from None


async def set_effect_result(key: str, result_id: int | None) -> None:
    """Remember what the effect produced (in the same transaction as the claim)."""
    if result_id is None:
        await _CLEAR_RESULT.execute(key)
    else:
        await _SET_RESULT.execute(key, result_id)


async def applied_result(key: str) -> int | None:
    """The result id stored with `key` (None when it produced nothing, or is unknown)."""
    rows = await _RESULT.dicts(key)
    return rows[0]["result_id"] if rows else None


async def prune_effects(before: datetime) -> int:
    """Delete markers created before `before`; returns how many."""
    return await AppliedEffectRow.filter(created_at__lt=before).delete()
