"""The merchants' console view of the goods: a filtered, sorted, paged table over the whole
catalogue (inactive goods too), bulk price and active changes, and the stock ledger of one
product. Every change goes through MerchantService (edit versions, audit log)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from domain.catalog.merchant import EditConflict, MerchantService
from domain.catalog.merchant_input import MAX_PRICE_MINOR, parse_price
from domain.catalog.search import SearchTerm, prepare_terms
from domain.catalog.types import Product, ProductNotFound
from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_

PAGE_SIZES = (25, 50, 100)
MAX_SELECTION = 200
LEDGER_PAGE = 50
MAX_PERCENT = 1000
_PERCENT_RE = re.compile(r"^([+-]?)([0-9]{1,4})(?:[.,]([0-9]{1,2}))?%?$")


class GoodsSort(StrEnum):
    NEWEST = "newest"  # by id, newest first
    OLDEST = "oldest"
    TITLE = "title"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    SALES = "sales"


class StockState(StrEnum):
    IN = "in"  # more than the low-stock threshold available
    LOW = "low"  # 1..threshold available
    OUT = "out"  # nothing available


@dataclass(frozen=True, slots=True)
class GoodsFilter:
    text: str = ""  # words (active goods, the shop's search index), a SKU prefix or an id
    category_id: int | None = None  # with every sub-category
    active: bool | None = None
    stock: StockState | None = None


@dataclass(frozen=True, slots=True)
class GoodsQuery:
    """What the storage is asked: the filter with the words already cleaned into terms."""

    terms: tuple[SearchTerm, ...]
    sku_prefix: str | None
    product_id: int | None
    category_ids: tuple[int, ...] | None
    active: bool | None
    stock: StockState | None


@dataclass(frozen=True, slots=True)
class GoodsRow:
    product: Product
    available: int  # of the product, or summed over its active options

    @property
    def stock_state(self) -> StockState:
        if self.available <= 0:
            return StockState.OUT
        if self.available <= self.product.low_stock_threshold:
            return StockState.LOW
        return StockState.IN


@dataclass(frozen=True, slots=True)
class GoodsPage:
    rows: list[GoodsRow]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    variant_id: int | None
    delta_on_hand: int
    delta_reserved: int
    reason: str
    ref: str
    actor: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    changed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # goods with options (priced per option)
    missing: list[int] = field(default_factory=list)  # deleted meanwhile


class GoodsTable(Protocol):
    async def count_goods(self, query: GoodsQuery) -> int: ...

    async def goods_page(
        self, query: GoodsQuery, sort: GoodsSort, offset: int, limit: int
    ) -> list[GoodsRow]: ...

    async def category_subtree(self, category_id: int) -> tuple[int, ...]:
        """The category and all its descendants (empty when it doesn't exist)."""
        ...

    async def ledger(self, product_id: int, offset: int, limit: int) -> list[LedgerEntry]:
        """The product's stock movements (its options' too), newest first."""
        ...

    async def count_ledger(self, product_id: int) -> int: ...


def parse_percent(text: str) -> int:
    """'+10', '-12.5%', '7,25' -> hundredths of a percent (basis points)."""
    match = _PERCENT_RE.fullmatch((text or "").strip().replace(" ", ""))
    if match is None:
        raise ValidationError(N_("Write the change in percent, e.g. 10 or -12.5."))
    sign, whole, fraction = match.groups()
    points = int(whole) * 100 + int((fraction or "0").ljust(2, "0"))
    if points > MAX_PERCENT * 100 or (sign == "-" and points >= 100 * 100):
        raise ValidationError(
            N_("A change must be above -100% and at most +{max}%."), max=MAX_PERCENT
        )
    return -points if sign == "-" else points


def percent_of(price: int, points: int) -> int:
    """The price changed by `points` hundredths of a percent, rounded half up to a minor
    unit, in integers only."""
    return (price * (10_000 + points) + 5_000) // 10_000


class ConsoleGoods:
    """The goods table and bulk actions of the merchants' console."""

    def __init__(self, table: GoodsTable, merchant: MerchantService) -> None:
        self.table = table
        self.merchant = merchant

    async def page(
        self, wanted: GoodsFilter, sort: GoodsSort, page: int, page_size: int
    ) -> GoodsPage:
        """One page of the table; a forged page number lands on the nearest real page."""
        size = page_size if page_size in PAGE_SIZES else PAGE_SIZES[0]
        query = await self._query(wanted)
        if query is None:
            return GoodsPage([], 1, size, 0)
        total = await self.table.count_goods(query)
        last = max(1, math.ceil(total / size))
        page = min(max(1, page), last)
        rows = await self.table.goods_page(query, sort, (page - 1) * size, size) if total else []
        return GoodsPage(rows, page, size, total)

    async def _query(self, wanted: GoodsFilter) -> GoodsQuery | None:
        text = (wanted.text or "").strip()[:128]
        categories = None
        if wanted.category_id is not None:
            categories = await self.table.category_subtree(wanted.category_id)
            if not categories:
                return None
        number = text.lstrip("#")
        product_id = int(number) if number.isascii() and number.isdigit() else None
        if product_id is not None and product_id >= 2**31:
            product_id = None
        sku = text if text and len(text) <= 64 and " " not in text else None
        terms = tuple(prepare_terms(text)) if text else ()
        return GoodsQuery(terms, sku, product_id, categories, wanted.active, wanted.stock)

    async def ledger(self, product_id: int, page: int) -> tuple[list[LedgerEntry], int, int]:
        """(entries, page, pages) of the product's stock movements, newest first."""
        await self.merchant.editable(product_id)  # ProductNotFound for a wrong id
        total = await self.table.count_ledger(product_id)
        pages = max(1, math.ceil(total / LEDGER_PAGE))
        page = min(max(1, page), pages)
        entries = await self.table.ledger(product_id, (page - 1) * LEDGER_PAGE, LEDGER_PAGE)
        return entries, page, pages

    async def bulk_price(
        self,
        actor: int,
        product_ids: list[int],
        mode: Literal["set", "percent"],
        value: str,
        currency: str,
    ) -> BulkOutcome:
        """Set every selected product's price, or change it by a percentage, each as an
        ordinary versioned edit (audited; a chat editor of one of them sees a conflict).
        Goods with options are skipped: their prices live on the options."""
        ids = _selection(product_ids)
        if mode == "set":
            price = parse_price(value, currency)
            points = 0
        else:
            price, points = -1, parse_percent(value)
        outcome = BulkOutcome()
        for product_id in ids:
            for attempt in (1, 2):  # edited between our read and write: once more, fresh
                try:
                    current = await self.merchant.editable(product_id)
                except ProductNotFound:
                    outcome.missing.append(product_id)
                    break
                if current.product.has_variants:
                    outcome.skipped.append(product_id)
                    break
                new = price if mode == "set" else percent_of(current.product.price, points)
                if new >= MAX_PRICE_MINOR:
                    raise ValidationError(N_("That price is too large."))
                try:
                    if new != current.product.price:
                        changes: dict[str, object] = {"price": new}
                        await self.merchant.edit(actor, product_id, current.version, changes)
                except EditConflict:
                    if attempt == 2:
                        raise
                    continue
                outcome.changed.append(product_id)
                break
        return outcome

    async def bulk_active(self, actor: int, product_ids: list[int], active: bool) -> BulkOutcome:
        """Show or hide every selected product (audited per product)."""
        outcome = BulkOutcome()
        for product_id in _selection(product_ids):
            try:
                await self.merchant.set_active(actor, product_id, active)
            except ProductNotFound:
                outcome.missing.append(product_id)
                continue
            outcome.changed.append(product_id)
        return outcome


def _selection(product_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(i for i in product_ids if 0 < i < 2**31))
    if not ids:
        raise ValidationError(N_("Select at least one product."))
    if len(ids) > MAX_SELECTION:
        raise ValidationError(N_("Select at most {max} goods at once."), max=MAX_SELECTION)
    return ids
