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


# ---- CompiledRows: a whole query rendered once ----


async def test_rows_same_as_tortoise_values_models_and_text_keys(db: str) -> None:
    from storage.catalog.models import CategoryRow
    from storage.compiled import CompiledRows
    from storage.orders.models import AppliedEffectRow

    root = await CategoryRow.create(name_en="Tea", position=2)
    await CategoryRow.create(name_en="Cups", position=1, active=False)
    await CategoryRow.create(name_en="Green", parent_id=root.id, position=1)
    columns = ("id", "parent_id", "name_en", "position", "active")
    ordered = CompiledRows(
        CategoryRow, lambda rows: rows.order_by("position", "id").values(*columns)
    )
    theirs = await CategoryRow.all().order_by("position", "id").values(*columns)
    ours = await ordered.dicts()
    assert ours == theirs and [r["name_en"] for r in ours] == ["Cups", "Green", "Tea"]
    assert [type(r["active"]) for r in ours] == [
        bool
    ] * 3  # converted, as Tortoise does (SQLite: 0/1)

    children = CompiledRows(
        CategoryRow, lambda rows, parent: rows.filter(parent_id=parent).order_by("id"), int
    )
    models = await children.models(root.id)
    assert [(c.id, c.name_en, c.active) for c in models] == [
        (c.id, c.name_en, c.active) for c in await CategoryRow.filter(parent_id=root.id)
    ]
    assert await children.models(root.id + 1000) == []
    models[0].name_zh = "绿茶"
    await models[0].save()  # a usable model: updated in place
    assert await CategoryRow.filter(name_zh="绿茶").count() == 1

    await AppliedEffectRow.create(key="pay:1", result_id=7)
    await AppliedEffectRow.create(key="pay:1'; --", result_id=8)
    by_key = CompiledRows(
        AppliedEffectRow, lambda rows, key: rows.filter(key=key).values("result_id"), str
    )
    assert await by_key.dicts("pay:1") == [{"result_id": 7}]
    assert await by_key.dicts("pay:1'; --") == [{"result_id": 8}]  # bound, never spliced in
    assert await by_key.dicts("pay:2") == []


async def test_rows_join_the_callers_transaction_and_refuse_what_they_cannot_render(
    db: str,
) -> None:
    from storage.catalog.models import CategoryRow
    from storage.compiled import CompiledRows

    named = CompiledRows(CategoryRow, lambda rows, name: rows.filter(name_en=name), str)
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await CategoryRow.create(name_en="Draft")
            assert len(await named.models("Draft")) == 1  # seen inside its transaction
            raise RuntimeError("roll back")
    assert await named.models("Draft") == []

    with pytest.raises(TypeError):
        await named.models(5)  # an int where the query takes text
    with pytest.raises(TypeError):
        await named.dicts("Draft")  # models, not values
    with pytest.raises(TypeError):  # a parameter the query doesn't use once
        await CompiledRows(CategoryRow, lambda rows, a: rows.all(), int).models(1)
    with pytest.raises(TypeError):
        await CompiledRows(
            CategoryRow, lambda rows, a: rows.filter(id=a).select_related("parent"), int
        ).models(1)
    with pytest.raises(TypeError):
        CompiledRows(CategoryRow, lambda rows, a: rows, float)


async def test_rows_count_limit_offset_and_lists(db: str) -> None:
    from storage.catalog.models import CategoryRow
    from storage.compiled import CompiledRows

    for n in range(5):
        await CategoryRow.create(name_en=f"C{n}", position=n, active=n != 2)
    ids = await CategoryRow.all().order_by("id").values_list("id", flat=True)
    active = CompiledRows(
        CategoryRow,
        lambda rows, *ids: rows.filter(id__in=list(ids), active=True).count(),
        int,
        int,
        int,
    )
    assert (
        await active.count(*ids[:3])
        == 2
        == await CategoryRow.filter(id__in=ids[:3], active=True).count()
    )
    assert await active.count(0, 0, 0) == 0
    page = CompiledRows(
        CategoryRow,
        lambda rows, offset, limit: rows.order_by("-position").offset(offset).limit(limit),
        int,
        int,
    )
    assert [c.name_en for c in await page.models(1, 2)] == ["C3", "C2"]
    assert [c.name_en for c in await page.models(4, 10)] == ["C0"]
    with pytest.raises(TypeError):
        await active.dicts(*ids[:3])  # a count, not values
    with pytest.raises(TypeError):
        await CompiledRows(CategoryRow, lambda rows: rows.limit(3).count()).count()


async def test_rows_update_and_delete_with_datetimes(db: str) -> None:
    from storage.catalog.models import CategoryRow
    from storage.compiled import CompiledRows
    from storage.models import UserRow

    alice, bob = await _user(6_000_000_020), await _user(6_000_000_021)
    seen = CompiledRows(
        UserRow,
        lambda rows, uid, at: rows.filter(id=uid).update(last_seen_at=at),
        int,
        datetime,
    )
    later = datetime(2026, 12, 6, 23, 30, 15, 123456, tzinfo=UTC)
    assert await seen.execute(alice.id, later) == 1
    assert await seen.execute(alice.id + 1000, later) == 0
    assert (await UserRow.get(id=alice.id)).last_seen_at == later
    assert (await UserRow.get(id=bob.id)).last_seen_at != later  # only the row named
    with pytest.raises(TypeError):
        await seen.execute(alice.id, datetime(2026, 12, 6))  # naive: refused, nothing written
    since = CompiledRows(
        UserRow, lambda rows, at: rows.filter(last_seen_at__gte=at).values("id"), datetime
    )
    assert await since.dicts(later) == [{"id": alice.id}]

    cups = await CategoryRow.create(name_en="Cups")
    gone = CompiledRows(CategoryRow, lambda rows, cid: rows.filter(id=cid).delete(), int)
    with pytest.raises(TypeError):
        await gone.models(cups.id)  # a delete is executed, not read
    assert await gone.execute(cups.id) == 1
    assert await gone.execute(cups.id) == 0
    assert not await CategoryRow.exists(id=cups.id)
