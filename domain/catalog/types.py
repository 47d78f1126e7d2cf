"""Catalogue entities, drafts and errors (re-exported by domain.catalog.service; import from
there).

Stock lives on the *sellable unit*: a variant, or the product itself when it has no variants.
Each unit carries on_hand/reserved so checkout reserves it with one conditional UPDATE
(`reserved = reserved + q WHERE id = ? AND on_hand - reserved >= q`, affected rows == 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from domain.kernel.errors import NotFound
from domain.kernel.i18n import N_

T = TypeVar("T")

PAGE_SIZE = 8
MAX_PAGE_SIZE = 50
HISTORY_KEEP = 50
MAX_FAVOURITES = 500
SIMILAR_LIMIT = 6


# A service has no stock to count: it is always this available (never reserved against).
SERVICE_AVAILABLE = 1_000_000


class ProductKind(StrEnum):
    """What a product is; it decides how it is paid and fulfilled (domain.orders.rules).

    physical: ships to an address, paid through the payment provider in the shop's currency.
    digital: a pool of units (codes, keys, links or files; domain.digital), one sent per item
    bought, at once. service: no stock and no shipping. Digital goods and services are paid
    in Telegram Stars only (Telegram's rule)."""

    PHYSICAL = "physical"
    DIGITAL = "digital"
    SERVICE = "service"

    @property
    def ships(self) -> bool:
        return self is ProductKind.PHYSICAL


def product_kind(raw: str | None) -> ProductKind:
    """A stored kind; anything unknown reads as physical (the kind every old row had)."""
    try:
        return ProductKind(raw or ProductKind.PHYSICAL)
    except ValueError:
        return ProductKind.PHYSICAL


class CategoryNotFound(NotFound):
    message = N_("That category doesn't exist (any more).")


class ProductNotFound(NotFound):
    message = N_("This product is no longer available.")


class VariantNotFound(NotFound):
    message = N_("That option of the product is no longer available.")


@dataclass(frozen=True, slots=True)
class Localized:
    """A text in English with an optional Chinese version; falls back to English."""

    en: str
    zh: str = ""

    def get(self, locale: str) -> str:
        if locale.startswith("zh") and self.zh:
            return self.zh
        return self.en or self.zh


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    parent_id: int | None
    name: Localized
    position: int = 0
    active: bool = True


@dataclass(frozen=True, slots=True)
class CategoryNode:
    """A category with its active children, in display order."""

    category: Category
    children: tuple[CategoryNode, ...] = ()


def stock_status(available: int, low_stock_threshold: int) -> str:
    """'out', 'low' or 'in' — what a shopper is told about stock."""
    if available <= 0:
        return "out"
    if available <= low_stock_threshold:
        return "low"
    return "in"


@dataclass(frozen=True, slots=True)
class Variant:
    """A sellable option of a product (size, colour...), with its own SKU, price and stock."""

    id: int
    product_id: int
    sku: str
    options: tuple[tuple[str, str], ...]  # e.g. (("Size", "M"), ("Colour", "Black"))
    price: int
    currency: str
    compare_at: int | None
    on_hand: int
    reserved: int
    position: int = 0
    active: bool = True

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved)

    @property
    def label(self) -> str:
        return " / ".join(value for _, value in self.options)


@dataclass(frozen=True, slots=True)
class Product:
    """A product. When `has_variants`, its own price is the lowest variant price ("from")
    and its stock fields are unused: the variants are what is sold."""

    id: int
    sku: str
    category_id: int
    title: Localized
    description: Localized
    brand: str
    price: int  # minor units
    currency: str
    compare_at: int | None
    photos: tuple[str, ...]
    specs: tuple[tuple[str, str], ...]
    tags: tuple[str, ...]
    on_hand: int
    reserved: int
    low_stock_threshold: int
    active: bool
    has_variants: bool
    created_at: datetime
    rating_avg: float = 0.0
    rating_count: int = 0
    views: int = 0
    sales: int = 0
    kind: ProductKind = ProductKind.PHYSICAL
    stars_price: int | None = None  # in Stars; None: derived from the shop's rate

    @property
    def available(self) -> int:
        """Stock that can still be sold, never below zero (own stock; see ProductDetail).
        A digital good's on_hand is its count of unsold units; a service has no stock."""
        if self.kind is ProductKind.SERVICE:
            return SERVICE_AVAILABLE
        return max(0, self.on_hand - self.reserved)

    @property
    def on_sale(self) -> bool:
        return self.compare_at is not None and self.compare_at > self.price


@dataclass(frozen=True, slots=True)
class ProductDetail:
    """Everything a product card needs: the product, its variants and where it sits."""

    product: Product
    variants: tuple[Variant, ...]
    category_path: tuple[Category, ...]  # root first, the product's category last

    @property
    def available(self) -> int:
        if self.product.has_variants:
            return sum(v.available for v in self.variants if v.active)
        return self.product.available

    @property
    def stock_status(self) -> str:
        return stock_status(self.available, self.product.low_stock_threshold)

    def variant(self, variant_id: int) -> Variant:
        for variant in self.variants:
            if variant.id == variant_id and variant.active:
                return variant
        raise VariantNotFound()


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    page: int  # 1-based, already clamped into range
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


@dataclass(frozen=True, slots=True)
class CategoryDraft:
    name: Localized
    parent_id: int | None = None
    position: int = 0
    active: bool = True


@dataclass(frozen=True, slots=True)
class VariantDraft:
    sku: str
    options: tuple[tuple[str, str], ...]
    price: int
    on_hand: int = 0
    compare_at: int | None = None
    position: int = 0


@dataclass(frozen=True, slots=True)
class ProductDraft:
    """A product to create (merchant input, the demo generator, tests)."""

    sku: str
    category_id: int
    title: Localized
    price: int
    currency: str = "USD"
    description: Localized = Localized("")
    brand: str = ""
    compare_at: int | None = None
    photos: tuple[str, ...] = ()
    specs: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    on_hand: int = 0
    low_stock_threshold: int = 3
    active: bool = True
    variants: tuple[VariantDraft, ...] = field(default=())
    created_at: datetime | None = None  # None: now
    views: int = 0
    sales: int = 0
    rating_avg: float = 0.0
    rating_count: int = 0
    kind: ProductKind = ProductKind.PHYSICAL
    stars_price: int | None = None


def clamp_page(page: int, page_size: int, total: int) -> int:
    """A forged or stale page number lands on the nearest real page, never an error."""
    last = max(1, math.ceil(total / page_size))
    return min(max(1, page), last)


@dataclass(frozen=True, slots=True)
class CategoryListing:
    """What a category screen shows: the category, its breadcrumbs, sub-categories, goods."""

    category: Category
    path: list[Category]
    children: list[Category]
    goods: Page[Product]
