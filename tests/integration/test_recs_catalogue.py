"""The recommender's view of the catalogue on SQLite and PostgreSQL: availability (active and
in stock, variants counted) and the metadata feed (category ancestors, both languages)."""

from __future__ import annotations

from domain.catalog.service import (
    CatalogService,
    CategoryDraft,
    Localized,
    ProductDraft,
    VariantDraft,
)
from storage.catalog.models import ProductRow, VariantRow
from storage.catalog.repository import TortoiseCatalogRepository, TortoiseShopperListsRepository
from storage.recs.catalogue import (
    CatalogueAvailability,
    TortoiseCatalogueFeed,
    category_ancestors,
)


async def test_availability_and_feed(db: str) -> None:
    catalog = CatalogService(TortoiseCatalogRepository(), TortoiseShopperListsRepository())
    root = await catalog.create_category(CategoryDraft(Localized("Electronics", "电子")))
    phones = await catalog.create_category(CategoryDraft(Localized("Phones", "手机"), root.id))

    async def make(sku: str, **kw: object) -> int:
        title = Localized(sku, sku + "中")
        draft = ProductDraft(sku=sku, category_id=phones.id, title=title, price=100, **kw)  # type: ignore[arg-type]
        return (await catalog.create_product(draft)).id

    stocked = await make("IN", on_hand=2, brand="Acme", specs=(("Colour", "Red"),), tags=("x",))
    empty = await make("OUT", on_hand=0)
    reserved = await make("HELD", on_hand=1)
    hidden = await make("OFF", on_hand=5)
    variants = await make(
        "VAR",
        variants=(
            VariantDraft("VAR-S", (("Size", "S"),), 100, on_hand=0),
            VariantDraft("VAR-M", (("Size", "M"),), 100, on_hand=3),
        ),
    )
    sold_variants = await make("VAR2", variants=(VariantDraft("V2-S", (), 100, on_hand=1),))
    await ProductRow.filter(id=reserved).update(reserved=1)
    await ProductRow.filter(id=hidden).update(active=False)
    await VariantRow.filter(product_id=sold_variants).update(active=False)

    every = [stocked, empty, reserved, hidden, variants, sold_variants, 424242]
    assert await CatalogueAvailability().available(every) == {stocked, variants}
    assert await CatalogueAvailability().available([]) == set()

    feed = {item.item_id: item for item in await TortoiseCatalogueFeed().items()}
    assert set(feed) == set(every) - {424242}
    info = feed[stocked]
    assert (info.category_id, info.category_path) == (phones.id, (root.id,))
    assert (info.brand, info.specs, info.tags) == ("Acme", (("Colour", "Red"),), ("x",))
    assert "IN" in info.text and "IN中" in info.text and info.active
    assert info.created_at is not None and info.created_at.tzinfo is not None
    assert not feed[hidden].active


def test_category_ancestors_stop_at_cycles_and_gaps() -> None:
    parents = {1: None, 2: 1, 3: 2, 4: 5, 5: 4, 6: 99}
    assert category_ancestors(parents, 3) == (1, 2)
    assert category_ancestors(parents, 1) == ()
    assert category_ancestors(parents, 4) == (5,)  # a cycle stops instead of looping
    assert category_ancestors(parents, 6) == (99,)  # an unknown parent ends the path
