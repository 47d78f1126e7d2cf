"""Raw-SQL helpers shared by the catalogue repository, search engine and bulk loader:
placeholders per backend, product rows to domain objects, search documents and vocabulary."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ParamSpec

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.catalog.search_text import deletes, fold, index_document, is_cjk, load_segmenter_for
from domain.catalog.service import Localized, Product
from domain.catalog.types import product_kind

P = ParamSpec("P")

FUZZY_MIN_LEN = 4  # the vocabulary keys only words long enough to be typo-corrected

PRODUCT_COLUMNS = (
    "id, sku, category_id, title_en, title_zh, description_en, description_zh, brand, price, "
    "currency, compare_at, photos, specs, tags, on_hand, reserved, low_stock_threshold, active, "
    "has_variants, created_at, rating_avg, rating_count, views, sales, kind, stars_price"
)


def client() -> BaseDBAsyncClient:
    conn: BaseDBAsyncClient = connections.get("default")  # the proxy's lookups are untyped
    return conn


def dialect_of(conn: BaseDBAsyncClient) -> str:
    return "sqlite" if conn.capabilities.dialect == "sqlite" else "postgres"


class Params:
    """Collects query parameters and hands out the backend's placeholder for each."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def add(self, value: Any) -> str:
        self.values.append(value)
        # Numbered on both backends, so SQL text may use parameters in any order.
        return f"?{len(self.values)}" if self.dialect == "sqlite" else f"${len(self.values)}"

    def add_many(self, values: Iterable[Any]) -> str:
        return ", ".join(self.add(v) for v in values)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _datetime(value: Any) -> datetime:
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def product_from_record(row: Mapping[str, Any]) -> Product:
    """A Product from a raw row (SQLite gives JSON and dates as text, PostgreSQL as objects)."""
    return Product(
        id=row["id"],
        sku=row["sku"],
        category_id=row["category_id"],
        title=Localized(row["title_en"], row["title_zh"] or ""),
        description=Localized(row["description_en"] or "", row["description_zh"] or ""),
        brand=row["brand"] or "",
        price=row["price"],
        currency=row["currency"],
        compare_at=row["compare_at"],
        photos=tuple(_json(row["photos"]) or ()),
        specs=tuple((str(k), str(v)) for k, v in _json(row["specs"]) or ()),
        tags=tuple(_json(row["tags"]) or ()),
        on_hand=row["on_hand"],
        reserved=row["reserved"],
        low_stock_threshold=row["low_stock_threshold"],
        active=bool(row["active"]),
        has_variants=bool(row["has_variants"]),
        created_at=_datetime(row["created_at"]),
        rating_avg=float(row["rating_avg"] or 0.0),
        rating_count=row["rating_count"],
        views=row["views"],
        sales=row["sales"],
        kind=product_kind(row.get("kind")),
        stars_price=row.get("stars_price"),
    )


def category_token(category_id: int) -> str:
    """Index token of a category (and, on its goods, of each ancestor): the category filter.

    Tokens starting with "_" can't come from typed text (queries keep letters and digits only),
    so filters ride in the full-text index and intersect there instead of row by row.
    """
    return f"_c{category_id}"


def brand_token(brand: str) -> str:
    key = "".join(ch for ch in fold(brand) if ch.isalnum())
    return f"_b{key}" if key else ""


def search_documents(
    title: Localized,
    description: Localized,
    brand: str,
    sku: str,
    tags: Sequence[str],
    specs: Sequence[Sequence[str]],
    category_path: Sequence[tuple[int, Localized]],
) -> tuple[str, str]:
    """(title document, body document). Titles and brand make the first relevance tier; the
    title document also carries the filter tokens of the category path and the brand, so one
    index condition serves "words in the title, within this category"."""
    title_doc = index_document(title.en, title.zh, brand)
    body_doc = index_document(
        " ".join(tags),
        " ".join(str(v) for _, v in specs),
        " ".join(f"{name.en} {name.zh}" for _, name in category_path),
        sku,
        description.en,
        description.zh,
    )
    filters = [category_token(cid) for cid, _ in category_path] + [brand_token(brand)]
    return " ".join([title_doc, *(t for t in filters if t)]).strip(), body_doc


def _segmenting(
    build: Callable[P, tuple[str, str]],
) -> Callable[P, Coroutine[Any, Any, tuple[str, str]]]:
    async def run(*args: P.args, **kwargs: P.kwargs) -> tuple[str, str]:
        # The fields' repr holds every text in them, Chinese characters as they are.
        await load_segmenter_for(repr((args, kwargs)))
        return build(*args, **kwargs)

    return run


# search_documents for a product saved while the bot runs: Chinese text in it loads jieba's
# dictionary first, in a thread rather than on the event loop.
segmented_documents = _segmenting(search_documents)


def document_terms(title_doc: str, body_doc: str) -> set[str]:
    """The vocabulary words of a product (filter tokens are not words anyone types)."""
    words = set(title_doc.split()) | set(body_doc.split())
    return {w for w in words if not w.startswith("_")}


def fuzzy_keys(term: str) -> set[str]:
    if len(term) < FUZZY_MIN_LEN or is_cjk(term):
        return set()
    return deletes(term)


async def add_terms(conn: BaseDBAsyncClient, counts: Mapping[str, int]) -> None:
    """Count words into the vocabulary (and key new ones for typo lookup on SQLite)."""
    if not counts:
        return
    dialect = dialect_of(conn)
    p1, p2 = ("?", "?") if dialect == "sqlite" else ("$1", "$2")
    await conn.execute_many(
        f"INSERT INTO catalog_terms (term, docs) VALUES ({p1}, {p2}) "
        "ON CONFLICT (term) DO UPDATE SET docs = catalog_terms.docs + excluded.docs",
        [[term, n] for term, n in sorted(counts.items())],
    )
    if dialect == "sqlite":
        keys = [[key, term] for term in sorted(counts) for key in sorted(fuzzy_keys(term))]
        if keys:
            await conn.execute_many(
                "INSERT INTO catalog_term_keys (key, term) VALUES (?, ?) ON CONFLICT DO NOTHING",
                keys,
            )


async def remove_terms(conn: BaseDBAsyncClient, terms: Iterable[str]) -> None:
    """Uncount words of a product that changed or went away (keys stay; docs = 0 hides them)."""
    values = [[t] for t in sorted(set(terms))]
    if values:
        mark = "?" if dialect_of(conn) == "sqlite" else "$1"
        await conn.execute_many(
            f"UPDATE catalog_terms SET docs = docs - 1 WHERE term = {mark} AND docs > 0", values
        )
