"""CatalogService rules against in-memory fakes, and the demo catalogue generator."""

from __future__ import annotations

import pytest

from demo.catalog_gen import generate_catalogue
from domain.catalog.service import (
    CatalogService,
    CategoryDraft,
    CategoryNotFound,
    Localized,
    Page,
    ProductDraft,
    ProductNotFound,
    clamp_page,
    stock_status,
)
from domain.kernel.errors import LimitReached, ValidationError
from tests.unit.catalog_fakes import InMemoryCatalog


@pytest.fixture
def catalog() -> CatalogService:
    fake = InMemoryCatalog()
    return CatalogService(fake, fake)


def test_localized_falls_back_to_english() -> None:
    assert Localized("Phone", "手机").get("zh-hans") == "手机"
    assert Localized("Phone").get("zh") == "Phone"
    assert Localized("", "手机").get("en") == "手机"


def test_stock_status_and_page_clamping() -> None:
    assert [stock_status(n, 3) for n in (0, -2, 3, 4)] == ["out", "out", "low", "in"]
    assert clamp_page(0, 8, 20) == 1 and clamp_page(99, 8, 20) == 3 and clamp_page(5, 8, 0) == 1
    page = Page([1, 2], 2, 2, 5)
    assert page.pages == 3 and page.has_prev and page.has_next


async def test_inactive_categories_are_hidden_with_their_subtree(catalog: CatalogService) -> None:
    root = await catalog.create_category(CategoryDraft(Localized("A")))
    hidden = await catalog.create_category(CategoryDraft(Localized("B"), active=False))
    await catalog.create_category(CategoryDraft(Localized("C"), hidden.id))
    assert [n.category.id for n in await catalog.tree()] == [root.id]
    with pytest.raises(CategoryNotFound):
        await catalog.products(hidden.id)


async def test_validation_of_drafts(catalog: CatalogService) -> None:
    cat = await catalog.create_category(CategoryDraft(Localized("A")))
    for bad in (
        ProductDraft("S", cat.id, Localized(" "), 1),
        ProductDraft(" ", cat.id, Localized("T"), 1),
        ProductDraft("S", cat.id, Localized("T"), -1),
        ProductDraft("S", cat.id, Localized("T"), 1, currency="DOLLAR"),
    ):
        with pytest.raises(ValidationError):
            await catalog.create_product(bad)
    with pytest.raises(CategoryNotFound):
        await catalog.create_product(ProductDraft("S", 999, Localized("T"), 1))


async def test_inactive_product_is_not_found(catalog: CatalogService) -> None:
    cat = await catalog.create_category(CategoryDraft(Localized("A")))
    product = await catalog.create_product(ProductDraft("S", cat.id, Localized("T"), 1))
    await catalog.update_product(product.id, active=False)
    with pytest.raises(ProductNotFound):
        await catalog.detail(product.id)
    with pytest.raises(ProductNotFound):
        await catalog.add_favourite(1, product.id)


async def test_favourite_limit(catalog: CatalogService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("domain.catalog.service.MAX_FAVOURITES", 2)
    cat = await catalog.create_category(CategoryDraft(Localized("A")))
    ids = [
        (await catalog.create_product(ProductDraft(f"S{i}", cat.id, Localized("T"), 1))).id
        for i in range(3)
    ]
    await catalog.add_favourite(7, ids[0])
    await catalog.add_favourite(7, ids[1])
    with pytest.raises(LimitReached):
        await catalog.add_favourite(7, ids[2])
    assert (await catalog.favourites(7, page=42)).page == 1


def test_generator_is_deterministic_and_bilingual() -> None:
    first, again = generate_catalogue(50, seed=9), generate_catalogue(50, seed=9)
    assert first == again
    assert generate_catalogue(50, seed=10).products != first.products
    assert len(first.products) == 50 and len({p.sku for p in first.products}) == 50
    assert all(p.title.en and p.title.zh for p in first.products)
    assert any(p.variants for p in generate_catalogue(300).products)
    assert len(generate_catalogue(5).products) == 20  # clamped to the minimum
    categories = first.categories
    assert all(c.parent is None or c.parent < i for i, c in enumerate(categories))
    assert any("智能手机" in p.title.zh for p in first.products)


async def test_a_category_listing_reads_the_tree_once() -> None:
    fake = InMemoryCatalog()
    catalog = CatalogService(fake, fake)
    home = await catalog.create_category(CategoryDraft(Localized("Home")))
    kitchen = await catalog.create_category(CategoryDraft(Localized("Kitchen"), home.id))
    await catalog.create_category(CategoryDraft(Localized("Hidden"), kitchen.id, active=False))
    for n in range(10):
        await catalog.create_product(ProductDraft(f"K{n}", kitchen.id, Localized(f"Pan {n}"), 100))
    reads = 0
    list_categories = fake.list_categories

    async def counted() -> list:  # type: ignore[type-arg]
        nonlocal reads
        reads += 1
        return await list_categories()

    fake.list_categories = counted  # type: ignore[method-assign]
    listing = await catalog.listing(kitchen.id, page=99)
    assert reads == 1
    assert [c.name.en for c in listing.path] == ["Home", "Kitchen"]
    assert listing.category.id == kitchen.id and listing.children == []  # inactive: hidden
    assert listing.goods.page == listing.goods.pages == 2 and listing.goods.total == 10
    top = await catalog.listing(home.id)
    assert [c.id for c in top.children] == [kitchen.id] and top.goods.total == 10
    with pytest.raises(CategoryNotFound):
        await catalog.listing(987654)
