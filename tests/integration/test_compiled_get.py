"""CompiledGet answers exactly as Tortoise's get_or_none, on both backends and in transactions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tortoise.transactions import in_transaction

from storage.compiled import CompiledGet
from storage.models import AddressRow, UserRow


async def _user(telegram_id: int, **extra: object) -> UserRow:
    return await UserRow.create(
        telegram_id=telegram_id,
        first_name="Zoë",
        referral_code=f"c{telegram_id}",
        last_seen_at=datetime(2026, 11, 1, 12, 30, tzinfo=UTC),
        **extra,
    )


def _fields(row: UserRow | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {name: getattr(row, name) for name in row._meta.db_fields}


async def test_same_row_as_get_or_none(db: str) -> None:
    first = await _user(6_000_000_001, language="zh", is_blocked=True, phone="+15550001")
    await _user(6_000_000_002)
    by_tid = CompiledGet(UserRow, "telegram_id")
    for telegram_id in (6_000_000_001, 6_000_000_002, 6_000_000_003):
        ours = await by_tid.get(telegram_id)
        theirs = await UserRow.get_or_none(telegram_id=telegram_id)
        assert _fields(ours) == _fields(theirs)
    got = await by_tid.get(6_000_000_001)
    assert got is not None and got.id == first.id
    assert got.is_blocked is True and got.language == "zh"  # converted like Tortoise's rows
    assert got.last_seen_at == datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
    await got.save()  # a usable model: saved in place, not inserted again
    assert await UserRow.filter(telegram_id=6_000_000_001).count() == 1


async def test_two_fields_and_transactions(db: str) -> None:
    user = await _user(6_000_000_010)
    by_id_and_user = CompiledGet(AddressRow, "id", "user_id")
    async with in_transaction():
        home = await AddressRow.create(
            user_id=user.id, recipient="Z", phone="+1", city="C", street="S"
        )
        seen = await by_id_and_user.get(home.id, user.id)  # inside the same transaction
        assert seen is not None and seen.city == "C"
        assert await by_id_and_user.get(home.id, user.id + 1) is None  # someone else's
    with pytest.raises(RuntimeError):
        async with in_transaction():
            gone = await AddressRow.create(
                user_id=user.id, recipient="Z", phone="+1", city="D", street="S"
            )
            raise RuntimeError("roll back")
    assert await by_id_and_user.get(gone.id, user.id) is None


async def test_only_integer_keys(db: str) -> None:
    with pytest.raises(TypeError):
        await CompiledGet(UserRow, "referral_code").get("c1")
