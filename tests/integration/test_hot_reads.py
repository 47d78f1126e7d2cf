"""The reads behind nearly every screen, each one statement, on SQLite and PostgreSQL
(issue #20: bench/throughput.py --inprocess counts statements per update)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiosqlite
import asyncpg.connection
import pytest

from storage.orders.carts import TortoiseCartRepository
from tests.integration.orders_setup import build_shop, buyers, goods

_DRIVER_CALLS = (
    (aiosqlite.Connection, ("execute", "execute_fetchall", "execute_insert", "executemany")),
    (asyncpg.connection.Connection, ("execute", "executemany", "fetch", "fetchrow", "fetchval")),
)


@contextmanager
def statements() -> Iterator[list[str]]:
    """The statements the database drivers are given inside the block."""
    seen: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        for cls, names in _DRIVER_CALLS:
            for name in names:
                original = getattr(cls, name)

                async def counted(
                    self: Any, *args: Any, _original: Any = original, **kw: Any
                ) -> Any:
                    seen.append(str(args[0]) if args else "")
                    return await _original(self, *args, **kw)

                patch.setattr(cls, name, counted)
        yield seen


async def test_cart_contents_are_one_statement(db: str) -> None:
    shop = build_shop()
    mug, tee, tee_m = await goods(shop)
    ann, bob, cid = await buyers(3)
    carts = TortoiseCartRepository()
    await shop.carts.add(ann.id, tee, tee_m, 2)
    await shop.carts.add(ann.id, mug, None, 1)
    await carts.set_coupon_code(ann.id, "SPRING")
    await carts.set_coupon_code(bob.id, "ALONE")  # a cart row without lines
    with statements() as sql:
        items, code = await carts.contents(ann.id)
    assert len(sql) == 1
    assert code == "SPRING"
    assert [(i.product_id, i.variant_id, i.quantity) for i in items] == [
        (tee, tee_m, 2),
        (mug, None, 1),
    ]
    assert items == await carts.items(ann.id)
    assert await carts.contents(bob.id) == ([], "ALONE")
    assert await carts.contents(cid.id) == ([], None)  # no cart at all


async def test_variants_are_one_statement(db: str) -> None:
    shop = build_shop()
    _mug, tee, _tee_m = await goods(shop)
    with statements() as sql:
        variants = await shop.catalog.repo.list_variants(tee)
    assert len(sql) == 1 and variants
    assert {v.currency for v in variants} == {"USD"}
    assert await shop.catalog.repo.list_variants(987654) == []
