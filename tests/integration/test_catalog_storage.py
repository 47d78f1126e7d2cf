"""Catalogue storage on SQLite and PostgreSQL: tree, pages, cards, lists, stock, demo data."""

from __future__ import annotations

import asyncio

import pytest

from demo.seed import seed_demo_catalog
from domain.catalog.service import (
    CatalogService,
    CategoryDraft,
    CategoryNotFound,
    Localized,
    ProductDraft,
    ProductNotFound,
    VariantDraft,
    VariantNotFound,
)
from domain.users.service import TelegramIdentity
from storage.catalog.models import ProductRow
from storage.catalog.repository import TortoiseCatalogRepository, TortoiseShopperListsRepository
from storage.users import TortoiseUserRepository


@pytest.fixture
async def catalog(db: str) -> CatalogService:
    return CatalogService(TortoiseCatalogRepository(), TortoiseShopperListsRepository())


async def _user(telegram_id: int = 1) -> int:
    user, _ = await TortoiseUserRepository().upsert_seen(
        TelegramIdentity(telegram_id, "Ann"), f"code{telegram_id}"
    )
    return user.id


async def _tree(catalog: CatalogService) -> dict[str, int]:
    root = await catalog.create_category(CategoryDraft(Localized("Home", "家居"), position=2))
    first = await catalog.create_category(CategoryDraft(Localized("Tech", "科技"), position=1))
    sub = await catalog.create_category(CategoryDraft(Localized("Lamps", "灯具"), root.id))
    return {"home": root.id, "tech": first.id, "lamps": sub.id}


async def test_tree_children_and_path(catalog: CatalogService) -> None:
    ids = await _tree(catalog)
    tree = await catalog.tree()
    assert [n.category.name.en for n in tree] == ["Tech", "Home"]
    assert [c.id for c in await catalog.children(ids["home"])] == [ids["lamps"]]
    path = await catalog.category_path(ids["lamps"])
    assert [c.name.get("zh") for c in path] == ["家居", "灯具"]
    with pytest.raises(CategoryNotFound):
        await catalog.children(99999)


async def test_product_pages_include_sub_categories_and_clamp(catalog: CatalogService) -> None:
    ids = await _tree(catalog)
    for i in range(5):
        await catalog.create_product(
            ProductDraft(f"L{i}", ids["lamps"], Localized(f"Lamp {i}"), price=100 + i)
        )
    page = await catalog.products(ids["home"], page=2, page_size=2)
    assert page.total == 5 and page.pages == 3 and len(page.items) == 2
    forged = await catalog.products(ids["home"], page=-7, page_size=2)
    assert forged.page == 1
    assert (await catalog.products(ids["home"], page=10**9, page_size=2)).page == 3
    with pytest.raises(CategoryNotFound):
        await catalog.products(424242)


async def test_detail_variants_availability_and_deleted_card(catalog: CatalogService) -> None:
    ids = await _tree(catalog)
    shirt = await catalog.create_product(
        ProductDraft(
            "TS",
            ids["tech"],
            Localized("Shirt", "衬衫"),
            price=999,
            low_stock_threshold=3,
            variants=(
                VariantDraft("TS-M", (("Size", "M"),), 1099, on_hand=2),
                VariantDraft("TS-L", (("Size", "L"),), 1299, on_hand=0, position=1),
            ),
        )
    )
    assert shirt.has_variants and shirt.price == 1099  # "from" the cheapest variant
    user_id = await _user()
    detail = await catalog.detail(shirt.id, viewer_id=user_id)
    assert [v.label for v in detail.variants] == ["M", "L"]
    first = detail.variants[0]  # read in one statement, the product's currency joined in
    assert (first.options, first.currency, first.active) == ((("Size", "M"),), "USD", True)
    assert (first.price, first.on_hand, first.reserved, first.product_id) == (1099, 2, 0, shirt.id)
    assert detail.available == 2 and detail.stock_status == "low"
    variant = await catalog.variant(shirt.id, detail.variants[0].id)
    assert variant.sku == "TS-M" and variant.currency == "USD"
    other = await catalog.create_product(ProductDraft("X", ids["tech"], Localized("X"), price=1))
    with pytest.raises(VariantNotFound):
        await catalog.variant(other.id, detail.variants[0].id)  # forged: not this product's
    await catalog.delete_product(shirt.id)
    with pytest.raises(ProductNotFound):
        await catalog.detail(shirt.id)
    assert (await ProductRow.get(id=other.id)).views == 0
    assert (await catalog.history(user_id)) == []  # the deleted product left the history too


async def test_favourites_are_per_user_and_idempotent(catalog: CatalogService) -> None:
    ids = await _tree(catalog)
    lamp = await catalog.create_product(ProductDraft("L", ids["lamps"], Localized("L"), price=1))
    ann, bob = await _user(1), await _user(2)
    assert await catalog.add_favourite(ann, lamp.id) is True
    assert await catalog.add_favourite(ann, lamp.id) is False
    assert [p.id for p in (await catalog.favourites(ann)).items] == [lamp.id]
    assert (await catalog.favourites(bob)).items == []
    assert await catalog.toggle_favourite(ann, lamp.id) is False
    assert await catalog.is_favourite(ann, lamp.id) is False
    assert await catalog.remove_favourite(ann, lamp.id) is False
    with pytest.raises(ProductNotFound):
        await catalog.add_favourite(ann, 987654)
    await asyncio.gather(*(catalog.add_favourite(bob, lamp.id) for _ in range(5)))
    assert (await catalog.favourites(bob)).total == 1


async def test_history_keeps_last_fifty_most_recent_first(catalog: CatalogService) -> None:
    ids = await _tree(catalog)
    user_id = await _user()
    made = [
        await catalog.create_product(ProductDraft(f"H{i}", ids["tech"], Localized(f"H{i}"), 1))
        for i in range(53)
    ]
    for product in made:
        await catalog.detail(product.id, viewer_id=user_id)
    await catalog.detail(made[10].id, viewer_id=user_id)  # seen again: back on top
    history = await catalog.history(user_id)
    assert len(history) == 50 and history[0].id == made[10].id and history[1].id == made[-1].id
    assert made[0].id not in {p.id for p in history}
    assert await catalog.clear_history(user_id) == 50
    assert await catalog.history(user_id) == []


async def test_similar_prefers_same_brand_in_same_category(catalog: CatalogService) -> None:
    ids = await _tree(catalog)

    async def make(sku: str, brand: str, sales: int, category: str = "tech") -> int:
        draft = ProductDraft(sku, ids[category], Localized(sku), 1, brand=brand, sales=sales)
        return (await catalog.create_product(draft)).id

    base = await make("A", "Acme", 0)
    same_brand = await make("B", "Acme", 1)
    popular = await make("C", "Other", 99)
    await make("D", "Acme", 500, category="lamps")
    assert [p.id for p in await catalog.similar(base)] == [same_brand, popular]


async def test_reserve_is_one_conditional_update(catalog: CatalogService) -> None:
    ids = await _tree(catalog)
    repo = TortoiseCatalogRepository()
    lamp = await catalog.create_product(
        ProductDraft("LR", ids["lamps"], Localized("L"), price=1, on_hand=3)
    )
    results = await asyncio.gather(*(repo.reserve(lamp.id, None, 1) for _ in range(5)))
    assert sum(results) == 3
    assert (await catalog.product(lamp.id)).available == 0
    assert await repo.release(lamp.id, None, 2) is True
    assert await repo.release(lamp.id, None, 5) is False
    assert (await catalog.product(lamp.id)).available == 2


async def test_demo_catalogue_loads_and_is_browsable(catalog: CatalogService) -> None:
    report = await seed_demo_catalog(n=40, seed=3)
    assert report.products == 40 and report.categories >= 20
    roots = await catalog.children(None)
    assert roots[0].name.get("zh") == "电子产品"
    page = await catalog.products(roots[0].id)
    assert page.total > 0 and all(p.title.zh for p in page.items)
