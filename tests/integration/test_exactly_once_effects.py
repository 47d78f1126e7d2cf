"""An update handled again after a crash changes nothing twice (domain.kernel.idempotency): the
"applied" marker commits with the cart line or the order, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import importlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from domain.cart.service import OutOfStock
from domain.kernel.idempotency import effect_key, handling
from domain.orders.service import OrderDraft, PayMethod
from storage.admin.models import StockMovementRow
from storage.loyalty.models import LoyaltyEntryRow
from storage.orders.effects import prune_effects
from storage.orders.models import AppliedEffectRow, CartLineRow, CartRow, OrderRow
from tests.integration.orders_setup import address_of, build_shop, buyers, goods
from tests.integration.test_loyalty_ledger import assert_consistent, credit, wired_shop
from tests.integration.test_orders_concurrency import pay, stock

NOW = datetime.now(UTC)
one_cart_per_user = importlib.import_module("storage.orders.migrations.0003_one_cart_per_user")


async def units_in_cart(user_id: int) -> list[tuple[int, int, int]]:
    rows = await CartLineRow.filter(cart__user_id=user_id).order_by("id")
    return [(r.product_id, r.variant_id, r.quantity) for r in rows]


def test_keys_exist_only_inside_an_update() -> None:
    assert effect_key("order_place") is None
    with handling("u7"):
        assert effect_key("order_place") == "order_place:u7"
        with handling("u8"):
            assert effect_key("cart_add:1:0") == "cart_add:1:0:u8"
        assert effect_key("order_place") == "order_place:u7"
    assert effect_key("order_place") is None


async def test_the_same_update_adds_one_unit(db: str) -> None:
    shop = build_shop()
    mug, tee, tee_m = await goods(shop)
    (user,) = await buyers(1)
    with handling("u1"):
        first = await shop.carts.add(user.id, mug, None)
        again = await shop.carts.add(user.id, mug, None)  # the replay after a crash
    assert (
        (first.item.id, first.item.quantity)
        == (again.item.id, again.item.quantity)
        == (first.item.id, 1)
    )
    assert await units_in_cart(user.id) == [(mug, 0, 1)]
    with handling("u2"):  # another press: another unit
        await shop.carts.add(user.id, mug, None)
        await shop.carts.add(user.id, tee, tee_m)  # one update may add several products
    with handling("u2"):
        await shop.carts.add(user.id, tee, tee_m)
    assert await units_in_cart(user.id) == [(mug, 0, 2), (tee, tee_m, 1)]


async def test_without_an_update_every_add_counts(db: str) -> None:
    shop = build_shop()
    mug, _, _ = await goods(shop)
    (user,) = await buyers(1)
    await shop.carts.add(user.id, mug, None)
    await shop.carts.add(user.id, mug, None)
    assert await units_in_cart(user.id) == [(mug, 0, 2)]
    assert await AppliedEffectRow.all().count() == 0


async def test_concurrent_deliveries_of_one_update_add_once(db: str) -> None:
    shop = build_shop()
    mug, _, _ = await goods(shop)
    people = await buyers(3)

    async def press(user_id: int) -> None:
        with handling("u5"):
            await shop.carts.add(user_id, mug, None)

    await asyncio.gather(*(press(people[0].id) for _ in range(4)))
    assert await units_in_cart(people[0].id) == [(mug, 0, 1)]


async def test_the_same_update_places_one_order(db: str) -> None:
    drafts: list[OrderDraft] = []

    async def remember(draft: OrderDraft, order_id: int) -> None:
        drafts.append(draft)

    shop, loyalty = wired_shop(place_hooks=[remember])
    mug, _, _ = await goods(shop, mug_stock=10)
    (user,) = await buyers(1)
    await loyalty.repo.add(credit(user.id, 500))
    await shop.carts.add(user.id, mug, None, 2)
    with handling("u10"):
        order = await shop.orders.place(
            user.id, address_of(user), "std", PayMethod.CARD, NOW, points=400
        )
        again = await shop.repo.place(drafts[0])  # the replay: same update, same draft
        replayed = await shop.orders.place(  # through the service, points already gone
            user.id, address_of(user), "std", PayMethod.CARD, NOW, points=400
        )
    assert again == replayed == order
    assert await OrderRow.all().count() == 1
    assert len(drafts) == 1  # the hooks (loyalty redeem) ran once
    assert await stock(mug) == (10, 2)
    assert await StockMovementRow.filter(product_id=mug, reason="reserve").count() == 1
    assert await LoyaltyEntryRow.filter(user_id=user.id, points__lt=0).count() == 1
    assert await assert_consistent(loyalty.repo, user.id) == 100


async def test_other_updates_and_no_update_place_again(db: str) -> None:
    shop = build_shop()
    mug, _, _ = await goods(shop, mug_stock=10)
    (user,) = await buyers(1)
    await shop.carts.add(user.id, mug, None)
    placed = []
    for key in ("u20", "u21", None):
        with handling(key):
            placed.append(
                await shop.orders.place(user.id, address_of(user), "std", PayMethod.CARD, NOW)
            )
    assert len({o.id for o in placed}) == 3
    assert await stock(mug) == (10, 3)
    assert sorted(await AppliedEffectRow.all().values_list("key", flat=True)) == [
        "order_place:u20",
        "order_place:u21",
    ]


async def test_a_refused_order_leaves_no_marker(db: str) -> None:
    shop = build_shop()
    mug, _, _ = await goods(shop, mug_stock=1)
    (user, other) = await buyers(2)
    await shop.carts.add(user.id, mug, None)
    await shop.carts.add(other.id, mug, None)
    await shop.orders.place(other.id, address_of(other), "std", PayMethod.CARD, NOW)
    with handling("u30"):
        with pytest.raises(OutOfStock):  # the marker rolls back with the order
            await shop.orders.place(user.id, address_of(user), "std", PayMethod.CARD, NOW)
    assert await AppliedEffectRow.filter(key="order_place:u30").count() == 0


async def test_old_markers_are_pruned(db: str) -> None:
    await AppliedEffectRow.create(key="order_place:u1")
    await AppliedEffectRow.create(key="order_place:u2")
    await AppliedEffectRow.filter(key="order_place:u1").update(created_at=NOW - timedelta(days=4))
    assert await prune_effects(NOW - timedelta(days=3)) == 1
    assert await AppliedEffectRow.all().values_list("key", flat=True) == ["order_place:u2"]


async def test_first_adds_at_once_make_one_cart(db: str) -> None:
    shop = build_shop()
    mug, tee, tee_m = await goods(shop)
    (user,) = await buyers(1)
    await asyncio.gather(
        *(shop.carts.add(user.id, mug, None) for _ in range(3)),
        shop.carts.add(user.id, tee, tee_m),
    )
    assert await CartRow.filter(user_id=user.id).count() == 1
    assert sorted(await units_in_cart(user.id)) == sorted([(mug, 0, 3), (tee, tee_m, 1)])


async def test_the_migration_merges_duplicate_carts(db: str) -> None:
    shop = build_shop()
    mug, tee, tee_m = await goods(shop)
    (user, other) = await buyers(2)
    await shop.carts.add(other.id, mug, None)
    connection = connections.get("default")
    await connection.execute_script("DROP INDEX orders_carts_one_per_user")
    carts = [await CartRow.create(user_id=user.id) for _ in range(3)]
    for cart, unit, quantity in [
        (carts[0], (mug, 0), 1),
        (carts[1], (mug, 0), 5),
        (carts[1], (tee, tee_m), 2),
        (carts[2], (tee, tee_m), 4),
    ]:
        await CartLineRow.create(
            cart=cart,
            product_id=unit[0],
            variant_id=unit[1],
            quantity=quantity,
            price_seen=1,
            currency="USD",
        )
    await one_cart_per_user.forward(None, SimpleNamespace(client=connection))
    assert await CartRow.filter(user_id=user.id).values_list("id", flat=True) == [carts[0].id]
    assert sorted(await units_in_cart(user.id)) == sorted([(mug, 0, 1), (tee, tee_m, 2)])
    assert await units_in_cart(other.id) == [(mug, 0, 1)]
    with pytest.raises(IntegrityError):
        await CartRow.create(user_id=user.id)


async def test_the_payment_empties_the_cart_in_its_own_transaction(db: str) -> None:
    shop = build_shop()
    mug, tee, tee_m = await goods(shop)
    (user,) = await buyers(1)
    await shop.carts.add(user.id, mug, None)
    order = await shop.orders.place(user.id, address_of(user), "std", PayMethod.CARD, NOW)
    await shop.carts.add(user.id, tee, tee_m)  # added after checkout: stays
    await pay(shop, order, "charge-1", NOW)
    assert await units_in_cart(user.id) == [(tee, tee_m, 1)]
