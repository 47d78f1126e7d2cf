"""Shelves: recommendation lists turned into catalogue products, ready to show.

The recommender answers with item ids; a shelf loads those products in the recommender's order
(one query) and falls back to the catalogue's own "same category" list for a product card
while the model is cold, so the card's "Similar" button is never a dead end.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Protocol

from domain.catalog.types import Product
from domain.recommend import RecommendationPage, RecommendationService

SHELF_SIZE = 6
FOR_YOU_SIZE = 8
PERSONAL_REASONS = frozenset({"history", "again"})
MAX_PAGE = 20  # 60-deep lists in pages of 3+ never go past this; forged pages are clamped


class ProductLookup(Protocol):
    async def products_by_ids(self, ids: Sequence[int]) -> list[Product]:
        """Active products among `ids`, in the order of `ids`."""
        ...


class FallbackSimilar(Protocol):
    async def similar(self, product_id: int, limit: int = SHELF_SIZE) -> list[Product]:
        """The catalogue's own baseline (same category and brand, then popular)."""
        ...


@dataclass(frozen=True, slots=True)
class Shelf:
    """One page (0-based) of recommended products; `source` is "model" or "catalogue";
    `personal` when the person's own history put goods here (not only trending/new)."""

    products: tuple[Product, ...]
    page: int
    has_more: bool
    source: str = "model"
    personal: bool = False

    @property
    def empty(self) -> bool:
        return not self.products


EMPTY_SHELF = Shelf((), 0, False)


def clamp(page: int) -> int:
    return min(max(page, 0), MAX_PAGE)


class ShelfService:
    """Every recommendation surface as products: similar, bought together, for you,
    complete your order, trending and new arrivals."""

    def __init__(
        self,
        recs: RecommendationService,
        products: ProductLookup,
        fallback: FallbackSimilar | None = None,
    ) -> None:
        self.recs = recs
        self.products = products
        self.fallback = fallback

    async def _load(self, found: Awaitable[RecommendationPage]) -> Shelf:
        page = await found
        if not page.items:
            return EMPTY_SHELF
        products = await self.products.products_by_ids(page.item_ids)
        personal = any(r.reason in PERSONAL_REASONS for r in page.items)
        return Shelf(tuple(products), page.page, page.has_more, personal=personal)

    async def similar(self, product_id: int, viewer: int | None, page: int = 0) -> Shelf:
        """The card's "Similar" list; the catalogue's list when the model knows nothing yet."""
        shelf = await self._load(self.recs.similar(product_id, SHELF_SIZE, clamp(page), viewer))
        if shelf.empty and page <= 0 and self.fallback is not None:
            baseline = await self.fallback.similar(product_id, SHELF_SIZE)
            return Shelf(tuple(baseline), 0, False, "catalogue")
        return shelf

    async def bought_together(self, product_id: int, viewer: int | None, page: int = 0) -> Shelf:
        return await self._load(
            self.recs.bought_together(product_id, SHELF_SIZE, clamp(page), viewer)
        )

    async def for_you(self, user_id: int, page: int = 0, size: int = FOR_YOU_SIZE) -> Shelf:
        return await self._load(self.recs.for_you(user_id, size, clamp(page)))

    async def buy_again(self, user_id: int, page: int = 0, size: int = SHELF_SIZE) -> Shelf:
        """Goods the shopper bought, the most due for another purchase first."""
        return await self._load(self.recs.buy_again(user_id, size, clamp(page)))

    async def complete_your_order(self, cart_product_ids: Sequence[int], viewer: int) -> Shelf:
        """Goods that go with the cart (never the cart's own goods); empty for an empty cart."""
        if not cart_product_ids:
            return EMPTY_SHELF
        return await self._load(
            self.recs.complete_your_order(list(cart_product_ids), SHELF_SIZE, viewer)
        )

    async def trending(self, viewer: int | None, page: int = 0) -> Shelf:
        return await self._load(self.recs.trending(FOR_YOU_SIZE, clamp(page), viewer))

    async def new_arrivals(self, viewer: int | None, page: int = 0) -> Shelf:
        return await self._load(self.recs.new_arrivals(FOR_YOU_SIZE, clamp(page), viewer))
