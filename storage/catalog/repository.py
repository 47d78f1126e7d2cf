"""CatalogRepository and ShopperListsRepository on Tortoise."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Subquery
from tortoise.transactions import in_transaction

from domain.catalog.service import (
    Category,
    CategoryDraft,
    Localized,
    Product,
    ProductDraft,
    Variant,
)
from domain.catalog.types import product_kind
from domain.inventory.ledger import StockReason, UnitNotFound, movement
from storage.catalog.models import (
    CategoryRow,
    FavouriteRow,
    HistoryRow,
    ProductRow,
    VariantRow,
)
from storage.catalog.sql import add_terms, document_terms, remove_terms, segmented_documents
from storage.compiled import CompiledGet, CompiledRows
from storage.inventory.ledger import apply_stock_movement

# Fields a merchant may change through update_product, and the columns behind them.
_PLAIN_FIELDS = {
    "brand",
    "price",
    "currency",
    "compare_at",
    "photos",
    "specs",
    "tags",
    "on_hand",
    "low_stock_threshold",
    "active",
    "category_id",
    "rating_avg",
    "rating_count",
}
_SEARCHED_FIELDS = {"title", "description", "brand", "tags", "specs", "category_id", "sku"}
_PRODUCT_BY_ID = CompiledGet(ProductRow, "id")  # cards, carts, checkout: several per update


def category_from_row(row: CategoryRow) -> Category:
    return Category(
        id=row.id,
        parent_id=row.parent_id,
        name=Localized(row.name_en, row.name_zh),
        position=row.position,
        active=row.active,
    )


def product_from_row(row: ProductRow) -> Product:
    return Product(
        id=row.id,
        sku=row.sku,
        category_id=row.category_id,
        title=Localized(row.title_en, row.title_zh),
        description=Localized(row.description_en, row.description_zh),
        brand=row.brand,
        price=row.price,
        currency=row.currency,
        compare_at=row.compare_at,
        photos=tuple(row.photos or ()),
        specs=tuple((str(k), str(v)) for k, v in row.specs or ()),
        tags=tuple(row.tags or ()),
        on_hand=row.on_hand,
        reserved=row.reserved,
        low_stock_threshold=row.low_stock_threshold,
        active=row.active,
        has_variants=row.has_variants,
        created_at=row.created_at,
        rating_avg=row.rating_avg,
        rating_count=row.rating_count,
        views=row.views,
        sales=row.sales,
        kind=product_kind(row.kind),
        stars_price=row.stars_price,
    )


def variant_from_row(row: VariantRow, currency: str) -> Variant:
    return Variant(
        id=row.id,
        product_id=row.product_id,
        sku=row.sku,
        options=tuple((str(k), str(v)) for k, v in row.options or ()),
        price=row.price,
        currency=currency,
        compare_at=row.compare_at,
        on_hand=row.on_hand,
        reserved=row.reserved,
        position=row.position,
        active=row.active,
    )


_CATEGORY_COLUMNS = ("id", "parent_id", "name_en", "name_zh", "position", "active")
_VARIANT_COLUMNS = (
    "id",
    "product_id",
    "sku",
    "options",
    "price",
    "compare_at",
    "on_hand",
    "reserved",
    "position",
    "active",
)


def variant_from_values(row: dict[str, Any]) -> Variant:
    """A variant from `.values(*_VARIANT_COLUMNS, currency=...)` (the product's currency)."""
    return Variant(
        id=row["id"],
        product_id=row["product_id"],
        sku=row["sku"],
        options=tuple((str(k), str(v)) for k, v in row["options"] or ()),
        price=row["price"],
        currency=row["currency"],
        compare_at=row["compare_at"],
        on_hand=row["on_hand"],
        reserved=row["reserved"],
        position=row["position"],
        active=bool(row["active"]),
    )


async def category_path(category_id: int) -> list[tuple[int, Localized]]:
    """(id, name) of the category and its ancestors, indexed with each product."""
    path: list[tuple[int, Localized]] = []
    current = await CategoryRow.get_or_none(id=category_id)
    while current is not None and len(path) < 32:
        path.append((current.id, Localized(current.name_en, current.name_zh)))
        parent_id = current.parent_id
        current = await CategoryRow.get_or_none(id=parent_id) if parent_id else None
    return path


_COUNT_VIEW = CompiledRows(  # every card opened
    ProductRow, lambda rows, pid: rows.filter(id=pid).update(views=F("views") + 1), int
)
_SEEN_AGAIN = CompiledRows(  # a card opened again goes back to the top of the history
    HistoryRow,
    lambda rows, user_id, product_id, at: rows.filter(
        user_id=user_id, product_id=product_id
    ).update(viewed_at=at),
    int,
    int,
    datetime,
)
_TRIM_HISTORY = CompiledRows(  # what lies beyond the newest `keep` of a user's history
    HistoryRow,
    lambda rows, user_id, again, keep: (
        rows.filter(user_id=user_id)
        .exclude(
            id__in=Subquery(
                HistoryRow.filter(user_id=again)
                .order_by("-viewed_at", "-id")
                .limit(keep)
                .values("id")
            )
        )
        .delete()
    ),
    int,
    int,
    int,
)
_COUNT_SALE = CompiledRows(
    ProductRow, lambda rows, n, pid: rows.filter(id=pid).update(sales=F("sales") + n), int, int
)
_FAVOURITE = CompiledRows(  # every card asks
    FavouriteRow,
    lambda rows, user_id, product_id: (
        rows.filter(user_id=user_id, product_id=product_id).limit(1).values("id")
    ),
    int,
    int,
)


@lru_cache(maxsize=64)
def _count_in_categories(n: int) -> CompiledRows[ProductRow]:
    """Active goods in `n` categories (a category screen: it and those below it)."""
    return CompiledRows(
        ProductRow,
        lambda rows, *ids: rows.filter(category_id__in=list(ids), active=True).count(),
        *(int,) * n,
    )


@lru_cache(maxsize=64)
def _page_in_categories(n: int) -> CompiledRows[ProductRow]:
    """A page of them, newest first (parameters: the ids, then offset and limit)."""
    return CompiledRows(
        ProductRow,
        lambda rows, *args: (
            rows.filter(category_id__in=list(args[:-2]), active=True)
            .order_by("-created_at", "-id")
            .offset(args[-2])
            .limit(args[-1])
        ),
        *(int,) * (n + 2),
    )


_CATEGORIES = CompiledRows(
    CategoryRow, lambda rows: rows.order_by("position", "id").values(*_CATEGORY_COLUMNS)
)


class TortoiseCatalogRepository:
    async def list_categories(self) -> list[Category]:
        # Read by every catalogue screen and card: the values, no model built per row.
        rows = await _CATEGORIES.dicts()
        return [
            Category(
                id=r["id"],
                parent_id=r["parent_id"],
                name=Localized(r["name_en"], r["name_zh"]),
                position=r["position"],
                active=bool(r["active"]),
            )
            for r in rows
        ]

    async def count_products(self, category_ids: Sequence[int]) -> int:
        ids = list(category_ids)
        return await _count_in_categories(len(ids)).count(*ids) if ids else 0

    async def list_products(
        self, category_ids: Sequence[int], offset: int, limit: int
    ) -> list[Product]:
        ids = list(category_ids)
        if not ids:
            return []
        rows = await _page_in_categories(len(ids)).models(*ids, offset, limit)
        return [product_from_row(r) for r in rows]

    async def popular_products(
        self, limit: int, category_ids: Sequence[int] | None = None
    ) -> list[Product]:
        query = ProductRow.filter(active=True)
        if category_ids is not None:
            query = query.filter(category_id__in=list(category_ids))
        rows = await query.order_by("-sales", "-views", "-id").limit(limit)
        return [product_from_row(r) for r in rows]

    async def get_product(self, product_id: int) -> Product | None:
        row = await _PRODUCT_BY_ID.get(product_id)
        return product_from_row(row) if row else None

    async def products_by_ids(self, ids: Sequence[int]) -> list[Product]:
        rows = {r.id: r for r in await ProductRow.filter(id__in=list(ids), active=True)}
        return [product_from_row(rows[i]) for i in ids if i in rows]

    async def list_variants(self, product_id: int) -> list[Variant]:
        # One statement (the product's currency joined in), and no model built per row:
        # cards, carts and checkout read a product's variants on every screen.
        rows = (
            await VariantRow.filter(product_id=product_id)
            .order_by("position", "id")
            .values(*_VARIANT_COLUMNS, currency="product__currency")
        )
        return [variant_from_values(r) for r in rows]

    async def similar_products(self, product: Product, limit: int) -> list[Product]:
        base = ProductRow.filter(category_id=product.category_id, active=True).exclude(
            id=product.id
        )
        same_brand = await base.filter(brand=product.brand).order_by("-sales", "id").limit(limit)
        found = [product_from_row(r) for r in same_brand]
        if len(found) < limit:
            others = (
                await base.exclude(brand=product.brand)
                .order_by("-sales", "id")
                .limit(limit - len(found))
            )
            found += [product_from_row(r) for r in others]
        return found

    async def count_view(self, product_id: int) -> None:
        await _COUNT_VIEW.execute(product_id)

    async def create_category(self, draft: CategoryDraft) -> Category:
        row = await CategoryRow.create(
            parent_id=draft.parent_id,
            name_en=draft.name.en,
            name_zh=draft.name.zh,
            position=draft.position,
            active=draft.active,
        )
        return category_from_row(row)

    async def create_product(self, draft: ProductDraft) -> Product:
        title_doc, body_doc = await segmented_documents(
            draft.title,
            draft.description,
            draft.brand,
            draft.sku,
            draft.tags,
            draft.specs,
            await category_path(draft.category_id),
        )
        prices = [v.price for v in draft.variants]
        async with in_transaction() as conn:
            row = await ProductRow.create(
                using_db=conn,
                **product_columns(draft),
                price=min(prices) if prices else draft.price,
                created_at=draft.created_at or datetime.now(UTC),
                search_title=title_doc,
                search_body=body_doc,
            )
            for variant in draft.variants:
                await VariantRow.create(
                    using_db=conn,
                    product_id=row.id,
                    sku=variant.sku,
                    options=[list(o) for o in variant.options],
                    price=variant.price,
                    compare_at=variant.compare_at,
                    on_hand=variant.on_hand,
                    position=variant.position,
                )
            await add_terms(conn, Counter(document_terms(title_doc, body_doc)))
        return product_from_row(row)

    async def update_product(self, product_id: int, changes: dict[str, object]) -> bool:
        unknown = set(changes) - _PLAIN_FIELDS - {"title", "description", "sku"}
        if unknown:
            raise ValueError(f"can't change {sorted(unknown)}")
        columns = {k: v for k, v in changes.items() if k in _PLAIN_FIELDS | {"sku"}}
        for name in ("title", "description"):
            if name in changes:
                text = changes[name]
                assert isinstance(text, Localized)
                columns[f"{name}_en"], columns[f"{name}_zh"] = text.en, text.zh
        if "brand" in columns:
            columns["brand_key"] = str(columns["brand"]).casefold()
        for key in ("specs", "tags"):
            if key in columns:
                # A ProductDraft's field: a tuple of tags, or of (key, value) pairs.
                items = cast("Iterable[object]", columns[key])
                columns[key] = [list(x) if isinstance(x, tuple) else x for x in items]
        async with in_transaction() as conn:
            row = await ProductRow.get_or_none(id=product_id, using_db=conn)
            if row is None:
                return False
            if set(changes) & _SEARCHED_FIELDS:
                for key, value in columns.items():
                    setattr(row, key, value)
                fresh = product_from_row(row)
                title_doc, body_doc = await segmented_documents(
                    fresh.title,
                    fresh.description,
                    fresh.brand,
                    fresh.sku,
                    fresh.tags,
                    fresh.specs,
                    await category_path(fresh.category_id),
                )
                old_terms = document_terms(row.search_title, row.search_body)
                new_terms = document_terms(title_doc, body_doc)
                columns.update(search_title=title_doc, search_body=body_doc)
                await remove_terms(conn, old_terms - new_terms)
                await add_terms(conn, Counter(new_terms - old_terms))
            await ProductRow.filter(id=product_id).using_db(conn).update(**columns)
        return True

    async def delete_product(self, product_id: int) -> bool:
        async with in_transaction() as conn:
            row = await ProductRow.get_or_none(id=product_id, using_db=conn)
            if row is None:
                return False
            await remove_terms(conn, document_terms(row.search_title, row.search_body))
            await ProductRow.filter(id=product_id).using_db(conn).delete()
        return True

    # ---- stock of a sellable unit (for checkout; see domain.catalog.service's docstring) ----
    # Each movement goes through the inventory ledger (storage.inventory.ledger): one conditional
    # UPDATE plus its ledger row, inside the caller's (the order's) transaction.

    async def reserve(
        self, product_id: int, variant_id: int | None, quantity: int, ref: str = ""
    ) -> bool:
        """Reserve `quantity` of one sellable unit atomically; False when not enough is left."""
        if quantity <= 0:
            return False
        return await _move(
            product_id, variant_id, StockReason.RESERVE, quantity, ref, only_active=True
        )

    async def release(
        self, product_id: int, variant_id: int | None, quantity: int, ref: str = ""
    ) -> bool:
        """Give back a reservation (never below zero)."""
        return await _move(product_id, variant_id, StockReason.RELEASE, quantity, ref)

    # Added by the orders feature (issue 4): the other two stock movements of an order.

    async def sell(
        self, product_id: int, variant_id: int | None, quantity: int, ref: str = ""
    ) -> bool:
        """Reserved goods are sold: on_hand and reserved both drop by `quantity`, once."""
        sold = await _move(product_id, variant_id, StockReason.SALE, quantity, ref)
        if sold:
            await _COUNT_SALE.execute(quantity, product_id)
        return sold

    async def restock(
        self, product_id: int, variant_id: int | None, quantity: int, ref: str = ""
    ) -> bool:
        """Sold goods are back on the shelf (a return, or a paid order cancelled unshipped)."""
        return await _move(product_id, variant_id, StockReason.RETURN, quantity, ref)


async def _move(
    product_id: int,
    variant_id: int | None,
    reason: StockReason,
    quantity: int,
    ref: str,
    only_active: bool = False,
) -> bool:
    """One checkout movement through the ledger; False when refused or the unit is gone."""
    if quantity <= 0:
        return False
    delta_on_hand, delta_reserved = movement(reason, quantity)
    try:
        level = await apply_stock_movement(
            product_id,
            variant_id,
            delta_on_hand,
            delta_reserved,
            reason.value,
            ref,
            only_active=only_active,
        )
    except UnitNotFound:
        return False
    return level is not None


def product_columns(draft: ProductDraft) -> dict[str, object]:
    """Stored columns of a draft, except price/created_at/search documents."""
    return {
        "sku": draft.sku,
        "category_id": draft.category_id,
        "title_en": draft.title.en,
        "title_zh": draft.title.zh,
        "description_en": draft.description.en,
        "description_zh": draft.description.zh,
        "brand": draft.brand,
        "brand_key": draft.brand.casefold(),
        "currency": draft.currency,
        "compare_at": draft.compare_at,
        "photos": list(draft.photos),
        "specs": [list(s) for s in draft.specs],
        "tags": list(draft.tags),
        "on_hand": draft.on_hand,
        "low_stock_threshold": draft.low_stock_threshold,
        "active": draft.active,
        "has_variants": bool(draft.variants),
        "rating_avg": draft.rating_avg,
        "rating_count": draft.rating_count,
        "views": draft.views,
        "sales": draft.sales,
        "kind": draft.kind.value,
        "stars_price": draft.stars_price,
    }


class TortoiseShopperListsRepository:
    async def add_favourite(self, user_id: int, product_id: int, limit: int) -> bool | None:
        if await FavouriteRow.exists(user_id=user_id, product_id=product_id):
            return False
        if await FavouriteRow.filter(user_id=user_id).count() >= limit:
            return None
        try:
            await FavouriteRow.create(user_id=user_id, product_id=product_id)
        except IntegrityError:  # a double tap raced us; the favourite exists, which is the goal
            return False
        return True

    async def remove_favourite(self, user_id: int, product_id: int) -> bool:
        return await FavouriteRow.filter(user_id=user_id, product_id=product_id).delete() > 0

    async def is_favourite(self, user_id: int, product_id: int) -> bool:
        return bool(await _FAVOURITE.dicts(user_id, product_id))

    async def count_favourites(self, user_id: int) -> int:
        return await FavouriteRow.filter(user_id=user_id, product__active=True).count()

    async def list_favourites(self, user_id: int, offset: int, limit: int) -> list[Product]:
        rows = (
            await FavouriteRow.filter(user_id=user_id, product__active=True)
            .order_by("-created_at", "-id")
            .offset(offset)
            .limit(limit)
            .prefetch_related("product")
        )
        return [product_from_row(r.product) for r in rows]

    async def record_view(self, user_id: int, product_id: int, keep: int) -> None:
        """Put the product on top of the history, dropping entries beyond `keep`: one statement
        when it is there already, else an insert and one trimming delete (moving an entry to
        the top can't make the list longer). No transaction: each statement leaves a valid
        history, and a concurrent trim only deletes what is beyond `keep` anyway."""
        now = datetime.now(UTC)
        if await _SEEN_AGAIN.execute(user_id, product_id, now):
            return
        try:
            await HistoryRow.create(user_id=user_id, product_id=product_id, viewed_at=now)
        except IntegrityError:  # the same card opened twice at once: already recorded
            return
        await _TRIM_HISTORY.execute(user_id, user_id, keep)

    async def list_history(self, user_id: int, limit: int) -> list[Product]:
        rows = (
            await HistoryRow.filter(user_id=user_id, product__active=True)
            .order_by("-viewed_at", "-id")
            .limit(limit)
            .prefetch_related("product")
        )
        return [product_from_row(r.product) for r in rows]

    async def clear_history(self, user_id: int) -> int:
        return await HistoryRow.filter(user_id=user_id).delete()
