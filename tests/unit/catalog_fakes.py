"""In-memory catalogue repository and search engine for unit tests of the domain services."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from domain.catalog.search import SearchFilters, SearchSort, SearchTerm
from domain.catalog.search_text import index_tokens
from domain.catalog.service import Category, CategoryDraft, Product, ProductDraft, Variant


class InMemoryCatalog:
    """Implements CatalogRepository and ShopperListsRepository."""

    def __init__(self) -> None:
        self.categories: dict[int, Category] = {}
        self.products: dict[int, Product] = {}
        self.variants: dict[int, list[Variant]] = {}
        self.favourites: dict[int, list[int]] = {}
        self.history: dict[int, list[int]] = {}

    async def list_categories(self) -> list[Category]:
        return list(self.categories.values())

    def _in(self, category_ids: Sequence[int]) -> list[Product]:
        found = [p for p in self.products.values() if p.active and p.category_id in category_ids]
        return sorted(found, key=lambda p: (p.created_at, p.id), reverse=True)

    async def count_products(self, category_ids: Sequence[int]) -> int:
        return len(self._in(category_ids))

    async def list_products(
        self, category_ids: Sequence[int], offset: int, limit: int
    ) -> list[Product]:
        return self._in(category_ids)[offset : offset + limit]

    async def popular_products(
        self, limit: int, category_ids: Sequence[int] | None = None
    ) -> list[Product]:
        found = [p for p in self.products.values() if p.active]
        return sorted(found, key=lambda p: (-p.sales, -p.id))[:limit]

    async def get_product(self, product_id: int) -> Product | None:
        return self.products.get(product_id)

    async def products_by_ids(self, ids: Sequence[int]) -> list[Product]:
        return [self.products[i] for i in ids if i in self.products]

    async def list_variants(self, product_id: int) -> list[Variant]:
        return self.variants.get(product_id, [])

    async def similar_products(self, product: Product, limit: int) -> list[Product]:
        found = [p for p in self._in([product.category_id]) if p.id != product.id]
        return sorted(found, key=lambda p: (p.brand != product.brand, -p.sales))[:limit]

    async def count_view(self, product_id: int) -> None:
        product = self.products[product_id]
        self.products[product_id] = replace(product, views=product.views + 1)

    async def create_category(self, draft: CategoryDraft) -> Category:
        category = Category(
            len(self.categories) + 1, draft.parent_id, draft.name, draft.position, draft.active
        )
        self.categories[category.id] = category
        return category

    async def create_product(self, draft: ProductDraft) -> Product:
        product = Product(
            id=len(self.products) + 1,
            sku=draft.sku,
            category_id=draft.category_id,
            title=draft.title,
            description=draft.description,
            brand=draft.brand,
            price=draft.price,
            currency=draft.currency,
            compare_at=draft.compare_at,
            photos=draft.photos,
            specs=draft.specs,
            tags=draft.tags,
            on_hand=draft.on_hand,
            reserved=0,
            low_stock_threshold=draft.low_stock_threshold,
            active=draft.active,
            has_variants=bool(draft.variants),
            created_at=draft.created_at or datetime.now(UTC),
            sales=draft.sales,
        )
        self.products[product.id] = product
        return product

    async def update_product(self, product_id: int, changes: dict[str, object]) -> bool:
        if product_id not in self.products:
            return False
        self.products[product_id] = replace(self.products[product_id], **changes)  # type: ignore[arg-type]
        return True

    async def delete_product(self, product_id: int) -> bool:
        return self.products.pop(product_id, None) is not None

    # ---- lists ----

    async def add_favourite(self, user_id: int, product_id: int, limit: int) -> bool | None:
        mine = self.favourites.setdefault(user_id, [])
        if product_id in mine:
            return False
        if len(mine) >= limit:
            return None
        mine.insert(0, product_id)
        return True

    async def remove_favourite(self, user_id: int, product_id: int) -> bool:
        mine = self.favourites.get(user_id, [])
        if product_id not in mine:
            return False
        mine.remove(product_id)
        return True

    async def is_favourite(self, user_id: int, product_id: int) -> bool:
        return product_id in self.favourites.get(user_id, [])

    async def count_favourites(self, user_id: int) -> int:
        return len(self.favourites.get(user_id, []))

    async def list_favourites(self, user_id: int, offset: int, limit: int) -> list[Product]:
        ids = self.favourites.get(user_id, [])[offset : offset + limit]
        return [self.products[i] for i in ids if i in self.products]

    async def record_view(self, user_id: int, product_id: int, keep: int) -> None:
        mine = [i for i in self.history.get(user_id, []) if i != product_id]
        self.history[user_id] = [product_id, *mine][:keep]

    async def list_history(self, user_id: int, limit: int) -> list[Product]:
        ids = self.history.get(user_id, [])[:limit]
        return [self.products[i] for i in ids if i in self.products]

    async def clear_history(self, user_id: int) -> int:
        return len(self.history.pop(user_id, []))


class InMemorySearchEngine:
    """Substring-free token matching over products, enough to drive SearchService."""

    def __init__(self, products: Sequence[Product]) -> None:
        self.products = list(products)
        self.calls: list[tuple[list[str], bool]] = []

    def _tokens(self, product: Product) -> list[str]:
        return index_tokens(product.title.en, product.title.zh, product.brand)

    def _hit(self, product: Product, term: SearchTerm) -> bool:
        tokens = self._tokens(product)
        return any(t == term.text or (term.prefix and t.startswith(term.text)) for t in tokens)

    async def search(
        self,
        terms: Sequence[SearchTerm],
        filters: SearchFilters,
        sort: SearchSort,
        offset: int,
        limit: int,
        *,
        match_any: bool = False,
        with_total: bool = True,
    ) -> tuple[list[Product], int]:
        self.calls.append(([t.text for t in terms], match_any))
        combine = any if match_any else all
        found = [
            p
            for p in self.products
            if (not terms or combine(self._hit(p, t) for t in terms))
            and (filters.brand is None or p.brand.lower() == filters.brand.lower())
        ]
        found.sort(key=lambda p: (-p.sales, -p.id))
        return found[offset : offset + limit], len(found)

    async def known_terms(self, terms: Sequence[str]) -> set[str]:
        vocabulary = {t for p in self.products for t in self._tokens(p)}
        return {t for t in terms if any(v.startswith(t) for v in vocabulary)}

    async def similar_terms(self, term: str, limit: int) -> list[tuple[str, int]]:
        vocabulary = sorted({t for p in self.products for t in self._tokens(p)})
        return [(t, 1) for t in vocabulary][:limit]
