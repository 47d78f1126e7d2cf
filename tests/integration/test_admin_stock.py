"""Admin storage on SQLite and PostgreSQL: the stock ledger invariant, all-or-nothing import,
optimistic field edits."""

from __future__ import annotations

import asyncio
import random

import pytest

from domain.catalog.csv_rows import ImportRefused
from domain.catalog.merchant import EditConflict
from domain.catalog.service import Localized, ProductDraft, VariantDraft
from domain.inventory.ledger import StockLevel, StockReason, movement, movement_allowed
from storage.catalog.models import ProductRow, VariantRow
from storage.catalog.repository import TortoiseCatalogRepository
from storage.inventory.ledger import apply_stock_movement, ledger_balance
from tests.services import shop_services

pytestmark = pytest.mark.usefixtures("db")
OWNER = 1


async def seed() -> tuple[int, list[int], list[tuple[int, int | None]]]:
    admin = shop_services()
    category = await admin.merchant.create_category(OWNER, "Tea", "茶", None)
    products = []
    for i in range(4):
        draft = ProductDraft(f"T-{i}", category.id, Localized(f"Tea {i}"), 500, on_hand=i * 3)
        products.append((await admin.merchant.create_product(OWNER, draft)).id)
    repo = TortoiseCatalogRepository()
    with_variants = await repo.create_product(
        ProductDraft(
            "V-1",
            category.id,
            Localized("Cups"),
            300,
            variants=(
                VariantDraft("V-1-S", (("Size", "S"),), 300),
                VariantDraft("V-1-L", (("Size", "L"),), 400),
            ),
        )
    )
    variants = [v.id for v in await repo.list_variants(with_variants.id)]
    units: list[tuple[int, int | None]] = [(p, None) for p in products]
    units += [(with_variants.id, v) for v in variants]
    return category.id, products, units


async def test_on_hand_always_equals_the_ledger_sum() -> None:
    _, _, units = await seed()
    rng = random.Random(7)
    reasons = list(StockReason)
    refused = 0
    for _ in range(300):
        product_id, variant_id = rng.choice(units)
        reason = rng.choice(reasons)
        qty = (
            rng.randint(-4, 6)
            if reason in (StockReason.CORRECTION, StockReason.IMPORT)
            else rng.randint(1, 6)
        )
        if qty == 0:
            continue
        d_on_hand, d_reserved = movement(reason, qty)
        if (
            await apply_stock_movement(product_id, variant_id, d_on_hand, d_reserved, reason.value)
            is None
        ):
            refused += 1
    assert refused > 0  # the random walk did hit the floor, and was refused there
    for product_id, variant_id in units:
        row = await (
            VariantRow.get(id=variant_id) if variant_id else ProductRow.get(id=product_id)
        )
        assert 0 <= row.reserved <= row.on_hand
        assert await ledger_balance(product_id, variant_id) == (row.on_hand, row.reserved)


async def test_concurrent_movements_never_oversell() -> None:
    _, products, _ = await seed()
    product_id = products[1]  # 3 on hand
    results = await asyncio.gather(
        *(apply_stock_movement(product_id, None, 0, 1, "reserve", ref=f"o{i}") for i in range(8))
    )
    assert sum(r is not None for r in results) == 3
    row = await ProductRow.get(id=product_id)
    assert (row.on_hand, row.reserved) == (3, 3)
    assert await ledger_balance(product_id, None) == (3, 3)


async def test_inside_a_callers_transaction_the_move_and_its_row_share_its_fate() -> None:
    """Placing or paying an order moves stock inside its own transaction (no savepoint of the
    ledger's own): a rollback of the caller takes the move and its ledger row back together,
    a refusal inside it writes nothing, and a commit keeps both."""
    from tortoise.transactions import in_transaction

    _, products, units = await seed()
    product_id = products[1]  # 3 on hand
    variant_product, variant_id = units[-1]
    with pytest.raises(RuntimeError):
        async with in_transaction():
            assert await apply_stock_movement(product_id, None, 0, 2, "reserve") is not None
            assert await apply_stock_movement(variant_product, variant_id, 4, 0, "received")
            assert await apply_stock_movement(product_id, None, 0, 2, "reserve") is None
            raise RuntimeError("the order failed after its reservation")
    row = await ProductRow.get(id=product_id)
    assert (row.on_hand, row.reserved) == (3, 0)
    assert await ledger_balance(product_id, None) == (3, 0)
    assert await ledger_balance(variant_product, variant_id) == (0, 0)
    async with in_transaction():
        level = await apply_stock_movement(product_id, None, 0, 2, "reserve")
        assert level == StockLevel(product_id, None, 3, 2)
        assert await apply_stock_movement(product_id, None, 0, 2, "reserve") is None
    row = await ProductRow.get(id=product_id)
    assert (row.on_hand, row.reserved) == (3, 2) == await ledger_balance(product_id, None)


async def test_a_variant_product_is_moved_only_through_its_variants() -> None:
    _, _, units = await seed()
    product_id, variant_id = units[-1]
    from domain.inventory.ledger import UnitNotFound

    with pytest.raises(UnitNotFound):
        await apply_stock_movement(product_id, None, 5, 0, "received")
    assert await apply_stock_movement(product_id, variant_id, 5, 0, "received") is not None


async def test_import_is_all_or_nothing() -> None:
    await seed()
    admin = shop_services()
    before = await ProductRow.all().count()
    good_then_bad = (
        b"sku,title_en,category,price,stock\n"
        b"N-1,New one,Tea,1.00,2\n"
        b"T-1,Renamed,Tea,7.00,9\n"
        b"N-2,Broken,Nowhere,1.00,1\n"
    )
    checked, result = await admin.transfer.import_file(OWNER, good_then_bad)
    assert not checked.ok and (result.created, result.updated) == (0, 0)
    assert await ProductRow.all().count() == before
    assert (await ProductRow.get(sku="T-1")).title_en == "Tea 1"

    # Valid rows, but applying one fails (stock below what orders hold): everything rolls back.
    t1 = await ProductRow.get(sku="T-1")
    assert await apply_stock_movement(t1.id, None, 0, 2, "reserve") is not None
    blocked = b"sku,title_en,category,price,stock\nN-1,New one,Tea,1.00,2\nT-1,Renamed,Tea,7,1\n"
    with pytest.raises(Exception) as caught:
        await admin.transfer.import_file(OWNER, blocked)
    assert "open orders hold" in str(caught.value)
    assert not await ProductRow.filter(sku="N-1").exists()
    assert (await ProductRow.get(sku="T-1")).title_en == "Tea 1"

    ok = b"sku,title_en,category,price,stock\nN-1,New one,Tea,1.00,2\nT-1,Renamed,Tea,7,9\n"
    checked, result = await admin.transfer.import_file(OWNER, ok)
    assert checked.ok and (result.created, result.updated) == (1, 1)
    t1 = await ProductRow.get(sku="T-1")
    assert (t1.title_en, t1.price, t1.on_hand) == ("Renamed", 700, 9)
    n1 = await ProductRow.get(sku="N-1")
    assert await ledger_balance(t1.id, None) == (9, 2)
    assert await ledger_balance(n1.id, None) == (2, 0)
    with pytest.raises(ImportRefused):
        await admin.transfer.import_file(OWNER, b"\x00\x01binary")


async def test_two_admins_editing_one_product_do_not_overwrite_each_other() -> None:
    _, products, _ = await seed()
    admin = shop_services()
    first = await admin.merchant.editable(products[0])
    second = await admin.merchant.editable(products[0])
    await admin.merchant.edit(OWNER, products[0], first.version, {"price": 999})
    with pytest.raises(EditConflict):
        await admin.merchant.edit(2, products[0], second.version, {"price": 111})
    assert (await ProductRow.get(id=products[0])).price == 999
    # Stock changes are deltas: they never conflict and both count.
    await admin.stock.adjust(OWNER, products[0], None, StockReason.RECEIVED, 5)
    await admin.stock.adjust(2, products[0], None, StockReason.RECEIVED, 4)
    assert (await ProductRow.get(id=products[0])).on_hand == 9


async def test_export_writes_every_product_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import domain.catalog.transfer as transfer_module

    await seed()
    monkeypatch.setattr(transfer_module, "EXPORT_BATCH", 2)
    admin = shop_services()
    sink = io.StringIO()
    count = await admin.transfer.export(OWNER, sink)
    lines = sink.getvalue().strip().splitlines()
    assert count == 5 and len(lines) == 6
    assert lines[1].startswith("T-0,Tea 0,,,,Tea,5.00")
    # Read back: the export is a valid import that changes nothing.
    checked, result = await admin.transfer.import_file(OWNER, sink.getvalue().encode())
    assert checked.ok, checked.errors
    assert result.updated == 5


async def test_storage_applies_exactly_the_domain_stock_rule() -> None:
    """The conditional UPDATE and domain.inventory.movement_allowed agree on every movement of
    a grid around the edges (zero, reserved == on_hand, one past each)."""
    _category, products, _units = await seed()
    product_id = products[2]  # on_hand 6
    deltas = (-7, -6, -1, 0, 1, 7)
    for reserve_first in (0, 2, 6):
        for delta_on_hand in deltas:
            for delta_reserved in deltas:
                await ProductRow.filter(id=product_id).update(on_hand=6, reserved=reserve_first)
                before = StockLevel(product_id, None, 6, reserve_first)
                expected = movement_allowed(before, delta_on_hand, delta_reserved)
                level = await apply_stock_movement(
                    product_id, None, delta_on_hand, delta_reserved, "correction"
                )
                case = (reserve_first, delta_on_hand, delta_reserved)
                assert (level is not None) is expected, case
                row = await ProductRow.get(id=product_id)
                if expected:
                    assert (row.on_hand, row.reserved) == (
                        6 + delta_on_hand,
                        reserve_first + delta_reserved,
                    ), case
                else:
                    assert (row.on_hand, row.reserved) == (6, reserve_first), case
