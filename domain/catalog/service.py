"""The catalogue: categories (a tree), products, variants, favourites and browsing history.

Stock lives on the *sellable unit*: a variant, or the product itself when it has no variants.
Each unit carries on_hand/reserved so checkout reserves it with one conditional UPDATE
(`reserved = reserved + q WHERE id = ? AND on_hand - reserved >= q`, affected rows == 1).
Entities live in domain.catalog.types and are re-exported here: import them from this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.catalog.types import (
    HISTORY_KEEP,
    MAX_FAVOURITES,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    SIMILAR_LIMIT,
    Category,
    CategoryDraft,
    CategoryListing,
    CategoryNode,
    CategoryNotFound,
    Localized,
    Page,
    Product,
    ProductDetail,
    ProductDraft,
    ProductNotFound,
    Variant,
    VariantDraft,
    VariantNotFound,
    clamp_page,
    stock_status,
)
from domain.kernel.errors import LimitReached, ValidationError
from domain.kernel.i18n import N_

__all__ = [
    "HISTORY_KEEP",
    "MAX_FAVOURITES",
    "MAX_PAGE_SIZE",
    "PAGE_SIZE",
    "SIMILAR_LIMIT",
    "CatalogRepository",
    "CatalogService",
    "Category",
    "CategoryDraft",
    "CategoryNode",
    "CategoryNotFound",
    "Localized",
    "Page",
    "Product",
    "ProductDetail",
    "ProductDraft",
    "ProductNotFound",
    "ShopperListsRepository",
    "Variant",
    "VariantDraft",
    "VariantNotFound",
    "clamp_page",
    "stock_status",
    "validate_product",
]


class CatalogRepository(Protocol):
    async def list_categories(self) -> list[Category]:
        """Every category, active or not."""
        ...

    async def count_products(self, category_ids: Sequence[int]) -> int:
        """How many active products these categories hold."""
        ...

    async def list_products(
        self, category_ids: Sequence[int], offset: int, limit: int
    ) -> list[Product]:
        """Active products in these categories, newest first."""
        ...

    async def popular_products(
        self, limit: int, category_ids: Sequence[int] | None = None
    ) -> list[Product]:
        """Active products by sales, then views (optionally within categories)."""
        ...

    async def get_product(self, product_id: int) -> Product | None: ...

    async def products_by_ids(self, ids: Sequence[int]) -> list[Product]:
        """Active products among `ids`, in the order of `ids`."""
        ...

    async def list_variants(self, product_id: int) -> list[Variant]: ...

    async def similar_products(self, product: Product, limit: int) -> list[Product]:
        """Active, other products of the same category; same brand first, then popular."""
        ...

    async def count_view(self, product_id: int) -> None: ...

    async def create_category(self, draft: CategoryDraft) -> Category: ...

    async def create_product(self, draft: ProductDraft) -> Product:
        """Store the product (and its variants) and index it for search."""
        ...

    async def update_product(self, product_id: int, changes: dict[str, object]) -> bool:
        """Change fields (title/description as Localized) and re-index; False if absent."""
        ...

    async def delete_product(self, product_id: int) -> bool: ...


class ShopperListsRepository(Protocol):
    """Favourites and browsing history; every call is scoped to one user."""

    async def add_favourite(self, user_id: int, product_id: int, limit: int) -> bool | None:
        """True if added, False if already there, None if the user is at `limit`."""
        ...

    async def remove_favourite(self, user_id: int, product_id: int) -> bool: ...

    async def is_favourite(self, user_id: int, product_id: int) -> bool: ...

    async def count_favourites(self, user_id: int) -> int:
        """How many active products the user has favourited."""
        ...

    async def list_favourites(self, user_id: int, offset: int, limit: int) -> list[Product]:
        """Active favourite products, most recently added first."""
        ...

    async def record_view(self, user_id: int, product_id: int, keep: int) -> None:
        """Move the product to the top of the history and keep only the last `keep`."""
        ...

    async def list_history(self, user_id: int, limit: int) -> list[Product]: ...

    async def clear_history(self, user_id: int) -> int: ...


class CatalogService:
    """Browsing the catalogue and the shopper's own lists (favourites, recently viewed)."""

    def __init__(self, repo: CatalogRepository, lists: ShopperListsRepository) -> None:
        self.repo = repo
        self.lists = lists

    # ---- categories ----

    async def _active_categories(self) -> dict[int, Category]:
        return {c.id: c for c in await self.repo.list_categories() if c.active}

    async def tree(self) -> list[CategoryNode]:
        """The whole active category tree, roots first, each level by position."""
        categories = await self._active_categories()
        return _build_tree(categories, None)

    async def children(self, parent_id: int | None) -> list[Category]:
        """Active sub-categories of `parent_id` (None: the roots), in display order."""
        categories = await self._active_categories()
        if parent_id is not None and parent_id not in categories:
            raise CategoryNotFound()
        return [n.category for n in _build_tree(categories, parent_id)]

    async def category(self, category_id: int) -> Category:
        categories = await self._active_categories()
        if category_id not in categories:
            raise CategoryNotFound()
        return categories[category_id]

    async def category_path(self, category_id: int) -> list[Category]:
        """Breadcrumbs from the root to this category (what Back walks up)."""
        categories = await self._active_categories()
        return _path(categories, category_id)

    async def descendant_ids(self, category_id: int) -> list[int]:
        """The category and every active category below it."""
        categories = await self._active_categories()
        if category_id not in categories:
            raise CategoryNotFound()
        return _descendants(categories, category_id)

    # ---- products ----

    async def products(
        self, category_id: int, page: int = 1, page_size: int = PAGE_SIZE
    ) -> Page[Product]:
        """One page of active products in a category and its sub-categories, newest first.

        The page number is clamped, so a forged or stale one shows the nearest real page.
        """
        return await self._page(await self.descendant_ids(category_id), page, page_size)

    async def listing(self, category_id: int, page: int = 1) -> CategoryListing:
        """A category screen's content from ONE read of the category tree (reading it per
        part cost four identical queries per screen); `page` is clamped like `products`."""
        categories = await self._active_categories()
        if category_id not in categories:
            raise CategoryNotFound()
        goods = await self._page(_descendants(categories, category_id), page, PAGE_SIZE)
        children = [n.category for n in _build_tree(categories, category_id)]
        path = _path(categories, category_id)
        return CategoryListing(categories[category_id], path, children, goods)

    async def _page(self, ids: list[int], page: int, page_size: int) -> Page[Product]:
        page_size = min(max(1, page_size), MAX_PAGE_SIZE)
        total = await self.repo.count_products(ids)
        page = clamp_page(page, page_size, total)
        items = await self.repo.list_products(ids, (page - 1) * page_size, page_size)
        return Page(items, page, page_size, total)

    async def product(self, product_id: int) -> Product:
        found = await self.repo.get_product(product_id)
        if found is None or not found.active:
            raise ProductNotFound()
        return found

    async def detail(self, product_id: int, viewer_id: int | None = None) -> ProductDetail:
        """The product card: product, active variants and breadcrumbs.

        With `viewer_id`, counts a view and puts it on top of the viewer's history.
        """
        product = await self.product(product_id)
        variants: tuple[Variant, ...] = ()
        if product.has_variants:  # as carts do: a product without variants reads none
            variants = tuple(v for v in await self.repo.list_variants(product_id) if v.active)
        categories = await self._active_categories()
        path = tuple(_path(categories, product.category_id))
        if viewer_id is not None:
            await self.repo.count_view(product_id)
            await self.lists.record_view(viewer_id, product_id, HISTORY_KEEP)
        return ProductDetail(product, variants, path)

    async def variant(self, product_id: int, variant_id: int) -> Variant:
        """One active variant of an active product (ids from callbacks are checked here)."""
        await self.product(product_id)
        for variant in await self.repo.list_variants(product_id):
            if variant.id == variant_id and variant.active:
                return variant
        raise VariantNotFound()

    async def similar(self, product_id: int, limit: int = SIMILAR_LIMIT) -> list[Product]:
        """A simple baseline: same category, same brand first, then the most popular."""
        product = await self.product(product_id)
        return await self.repo.similar_products(product, limit)

    async def popular(self, limit: int = PAGE_SIZE) -> list[Product]:
        """Best sellers and most viewed across the shop (the search fallback uses this too)."""
        return await self.repo.popular_products(min(max(1, limit), MAX_PAGE_SIZE))

    # ---- favourites ----

    async def add_favourite(self, user_id: int, product_id: int) -> bool:
        """Favourite a product; False when it already was one."""
        await self.product(product_id)
        added = await self.lists.add_favourite(user_id, product_id, MAX_FAVOURITES)
        if added is None:
            raise LimitReached(
                N_("You can keep at most {limit} favourites. Remove some first."),
                limit=MAX_FAVOURITES,
            )
        return added

    async def remove_favourite(self, user_id: int, product_id: int) -> bool:
        """Unfavourite; False when it wasn't a favourite (idempotent, no error)."""
        return await self.lists.remove_favourite(user_id, product_id)

    async def toggle_favourite(self, user_id: int, product_id: int) -> bool:
        """Flip the favourite mark; returns whether it is a favourite now."""
        if await self.lists.is_favourite(user_id, product_id):
            await self.lists.remove_favourite(user_id, product_id)
            return False
        await self.add_favourite(user_id, product_id)
        return True

    async def is_favourite(self, user_id: int, product_id: int) -> bool:
        return await self.lists.is_favourite(user_id, product_id)

    async def favourites(
        self, user_id: int, page: int = 1, page_size: int = PAGE_SIZE
    ) -> Page[Product]:
        """The user's favourites (active products only), newest first, clamped page."""
        page_size = min(max(1, page_size), MAX_PAGE_SIZE)
        total = await self.lists.count_favourites(user_id)
        page = clamp_page(page, page_size, total)
        items = await self.lists.list_favourites(user_id, (page - 1) * page_size, page_size)
        return Page(items, page, page_size, total)

    # ---- history ----

    async def history(self, user_id: int, limit: int = HISTORY_KEEP) -> list[Product]:
        """Recently viewed active products, most recent first (at most 50)."""
        return await self.lists.list_history(user_id, min(max(1, limit), HISTORY_KEEP))

    async def clear_history(self, user_id: int) -> int:
        """Forget the user's browsing history; returns how many entries were removed."""
        return await self.lists.clear_history(user_id)

    # ---- merchant side ----

    async def create_category(self, draft: CategoryDraft) -> Category:
        if not draft.name.en.strip():
            raise ValidationError(N_("A category needs a name."))
        if draft.parent_id is not None:
            categories = {c.id: c for c in await self.repo.list_categories()}
            if draft.parent_id not in categories:
                raise CategoryNotFound()
        return await self.repo.create_category(draft)

    async def create_product(self, draft: ProductDraft) -> Product:
        validate_product(draft)
        categories = {c.id for c in await self.repo.list_categories()}
        if draft.category_id not in categories:
            raise CategoryNotFound()
        return await self.repo.create_product(draft)

    async def update_product(self, product_id: int, **changes: object) -> Product:
        """Change product fields (re-indexed for search at once)."""
        if not await self.repo.update_product(product_id, changes):
            raise ProductNotFound()
        found = await self.repo.get_product(product_id)
        if found is None:
            raise ProductNotFound()
        return found

    async def delete_product(self, product_id: int) -> None:
        if not await self.repo.delete_product(product_id):
            raise ProductNotFound()


def validate_product(draft: ProductDraft) -> None:
    """Refuse drafts that would show nonsense to shoppers."""
    if not draft.title.en.strip() and not draft.title.zh.strip():
        raise ValidationError(N_("A product needs a title."))
    if not draft.sku.strip():
        raise ValidationError(N_("A product needs a SKU."))
    prices = [draft.price, *(v.price for v in draft.variants)]
    if any(p < 0 for p in prices) or draft.on_hand < 0:
        raise ValidationError(N_("Prices and stock can't be negative."))
    if len(draft.currency) != 3:
        raise ValidationError(N_("A currency is a 3-letter code such as USD."))


def _build_tree(categories: dict[int, Category], parent_id: int | None) -> list[CategoryNode]:
    kids = sorted(
        (c for c in categories.values() if c.parent_id == parent_id),
        key=lambda c: (c.position, c.id),
    )
    return [CategoryNode(c, tuple(_build_tree(categories, c.id))) for c in kids]


def _descendants(categories: dict[int, Category], root: int) -> list[int]:
    found = [root]
    frontier = [root]
    while frontier:
        frontier = [c.id for c in categories.values() if c.parent_id in frontier]
        found.extend(frontier)
    return found


def _path(categories: dict[int, Category], category_id: int) -> list[Category]:
    path: list[Category] = []
    current = categories.get(category_id)
    while current is not None and len(path) < 32:  # a cycle in bad data must not hang us
        path.append(current)
        current = categories.get(current.parent_id) if current.parent_id is not None else None
    path.reverse()
    return path
