"""The console's goods reads and bulk changes on SQLite and PostgreSQL: the table's search,
filters, sorts and paging; bulk price/active through versioned, audited edits; the ledger per
product; CSV import with missing categories created in the same all-or-nothing apply."""

from __future__ import annotations

import pytest

from domain.catalog.console import GoodsFilter, GoodsSort, StockState
from domain.catalog.merchant import EditConflict
from domain.catalog.service import Localized, ProductDraft, VariantDraft
from domain.catalog.transfer import PreviewExpired
from domain.inventory.ledger import StockReason
from domain.kernel.errors import ValidationError
from storage.admin.models import AuditRow, StockMovementRow
from storage.catalog.models import CategoryRow, ProductRow
from tests.services import shop_services

pytestmark = pytest.mark.usefixtures("db")
OWNER = 1


async def seed() -> dict[str, int]:
    services = shop_services()
    merchant = services.merchant
    tea = await merchant.create_category(OWNER, "Tea", "茶", None)
    green = await merchant.create_category(OWNER, "Green tea", "绿茶", tea.id)
    cups = await merchant.create_category(OWNER, "Cups", "", None)
    ids: dict[str, int] = {"tea": tea.id, "green": green.id, "cups": cups.id}
    goods = [
        ("GT-001", green.id, "Dragon Well green tea", 1250, 40),
        ("GT-002", green.id, "Jasmine green tea", 990, 2),
        ("BT-001", tea.id, "Assam black tea", 1500, 0),
        ("CUP-01", cups.id, "Porcelain cup", 800, 12),
    ]
    for sku, category, title, price, stock in goods:
        draft = ProductDraft(sku, category, Localized(title), price, on_hand=stock)
        ids[sku] = (await merchant.create_product(OWNER, draft)).id
    options = ProductDraft(
        "CUP-SET",
        cups.id,
        Localized("Cup set"),
        2000,
        variants=(
            VariantDraft("CUP-SET-2", (("Pieces", "2"),), 2000, on_hand=1),
            VariantDraft("CUP-SET-4", (("Pieces", "4"),), 3500, on_hand=1),
        ),
    )
    ids["CUP-SET"] = (await merchant.create_product(OWNER, options)).id
    await merchant.set_active(OWNER, ids["BT-001"], False)
    return ids


async def skus(wanted: GoodsFilter, sort: GoodsSort = GoodsSort.OLDEST) -> list[str]:
    page = await shop_services().console_goods.page(wanted, sort, 1, 25)
    return [row.product.sku for row in page.rows]


async def test_table_search_filters_sorts_and_pages() -> None:
    ids = await seed()
    everything = await skus(GoodsFilter())
    assert everything == ["GT-001", "GT-002", "BT-001", "CUP-01", "CUP-SET"]  # inactive too
    assert await skus(GoodsFilter(text="green")) == ["GT-001", "GT-002"]
    assert await skus(GoodsFilter(text="jasm")) == ["GT-002"]  # a prefix, like search
    assert await skus(GoodsFilter(text="bt-0")) == ["BT-001"]  # SKU prefix, inactive goods
    assert await skus(GoodsFilter(text=str(ids["CUP-01"]))) == ["CUP-01"]
    assert await skus(GoodsFilter(category_id=ids["tea"])) == ["GT-001", "GT-002", "BT-001"]
    assert await skus(GoodsFilter(active=False)) == ["BT-001"]
    assert await skus(GoodsFilter(stock=StockState.OUT)) == ["BT-001"]
    assert await skus(GoodsFilter(stock=StockState.LOW)) == ["GT-002", "CUP-SET"]
    assert await skus(GoodsFilter(stock=StockState.IN)) == ["GT-001", "CUP-01"]
    assert await skus(GoodsFilter(category_id=999_999)) == []
    by_price = await skus(GoodsFilter(), GoodsSort.PRICE_DESC)
    assert by_price == ["CUP-SET", "BT-001", "GT-001", "GT-002", "CUP-01"]
    by_title = await skus(GoodsFilter(), GoodsSort.TITLE)
    assert by_title[:2] == ["BT-001", "CUP-SET"]
    console = shop_services().console_goods
    page = await console.page(GoodsFilter(), GoodsSort.NEWEST, 99, 25)
    assert page.page == 1 and page.total == 5  # a forged page lands on a real one
    sets = [r for r in page.rows if r.product.sku == "CUP-SET"]
    assert sets[0].available == 2  # summed over the options


async def test_bulk_price_and_active_are_versioned_and_audited() -> None:
    ids = await seed()
    services = shop_services()
    before = await services.merchant.editable(ids["GT-001"])
    chosen = [ids["GT-001"], ids["GT-002"], ids["CUP-SET"]]
    outcome = await services.console_goods.bulk_price(OWNER, chosen, "percent", "-10", "USD")
    assert outcome.changed == [ids["GT-001"], ids["GT-002"]]
    assert outcome.skipped == [ids["CUP-SET"]]  # priced per option
    prices = dict(await ProductRow.filter(id__in=chosen).values_list("sku", "price"))
    assert prices["GT-001"] == 1125 and prices["GT-002"] == 891  # 990 * 0.9 = 891
    with pytest.raises(EditConflict):  # a chat edit from the old screen can't overwrite it
        await services.merchant.edit(OWNER, ids["GT-001"], before.version, {"price": 1})
    await services.console_goods.bulk_price(OWNER, [ids["CUP-01"]], "set", "7.5", "USD")
    assert (await ProductRow.get(id=ids["CUP-01"])).price == 750
    with pytest.raises(ValidationError):
        await services.console_goods.bulk_price(OWNER, [ids["CUP-01"]], "set", "-1", "USD")
    with pytest.raises(ValidationError):
        await services.console_goods.bulk_price(OWNER, [], "percent", "5", "USD")
    outcome = await services.console_goods.bulk_active(OWNER, [ids["GT-001"], 999_999], False)
    assert outcome.changed == [ids["GT-001"]] and outcome.missing == [999_999]
    assert not (await ProductRow.get(id=ids["GT-001"])).active
    actions = await AuditRow.filter(actor=OWNER).values_list("action", flat=True)
    assert actions.count("product.edit") == 3 and "product.deactivate" in actions


async def test_ledger_per_product_newest_first() -> None:
    ids = await seed()
    services = shop_services()
    await services.stock.adjust(OWNER, ids["CUP-01"], None, StockReason.RECEIVED, 5)
    await services.stock.adjust(OWNER, ids["CUP-01"], None, StockReason.DAMAGED, 2)
    entries, page, pages = await services.console_goods.ledger(ids["CUP-01"], 1)
    assert [(e.reason, e.delta_on_hand) for e in entries] == [
        ("damaged", -2),
        ("received", 5),
        ("opening", 12),
    ]
    assert (page, pages) == (1, 1)
    assert await StockMovementRow.filter(product_id=ids["CUP-01"]).count() == 3


CSV_WITH_MISSING = (
    "sku,title_en,category,price,stock\n"
    "GT-001,Dragon Well green tea,Tea / Green tea,13.00,40\n"
    "OO-001,Oolong,Tea / Oolong,9.00,5\n"
    "HB-001,Chamomile,Herbal / Flowers,4.00,8\n"
)


async def test_import_preview_applies_nothing_and_creates_categories_on_request() -> None:
    ids = await seed()
    transfer = shop_services().transfer
    preview = await transfer.preview(OWNER, CSV_WITH_MISSING.encode())
    assert preview.check.missing_categories == ["Tea / Oolong", "Herbal / Flowers"]
    assert preview.check.only_missing_categories and not preview.check.ok
    assert await ProductRow.filter(sku="OO-001").count() == 0
    with pytest.raises(PreviewExpired):  # another person's preview key finds nothing
        await transfer.apply_preview(OWNER + 1, preview.key, create_missing=True)
    checked, result = await transfer.apply_preview(OWNER, preview.key)
    assert not checked.ok and result.created == 0  # not asked to create: nothing applied
    checked, result = await transfer.apply_preview(OWNER, preview.key, create_missing=True)
    assert checked.ok and (result.created, result.updated, result.categories) == (2, 1, 3)
    oolong = await CategoryRow.get(name_en="Oolong")
    assert oolong.parent_id == ids["tea"]  # created under the existing "Tea"
    herbal = await CategoryRow.get(name_en="Herbal")
    assert (await CategoryRow.get(name_en="Flowers")).parent_id == herbal.id
    assert (await ProductRow.get(sku="HB-001")).category_id != herbal.id
    assert (await ProductRow.get(sku="GT-001")).price == 1300
    with pytest.raises(PreviewExpired):  # used up: a second press imports nothing twice
        await transfer.apply_preview(OWNER, preview.key, create_missing=True)


async def test_import_with_a_bad_row_creates_no_category() -> None:
    await seed()
    bad = CSV_WITH_MISSING + "XX-1,Broken,Tea,not-a-price,1\n"
    checked, result = await shop_services().transfer.import_file(
        OWNER, bad.encode(), create_missing=True
    )
    assert not checked.ok and result.created == 0
    assert [e.line for e in checked.errors] == [5]
    assert await CategoryRow.filter(name_en="Oolong").count() == 0
    assert await ProductRow.filter(sku="OO-001").count() == 0
