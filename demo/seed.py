"""Fast bulk loading of a catalogue (demo, tests, benchmarks) and search index rebuilds.

`seed_demo_catalog(n)` is the one-liner for tests and the demo. The loader writes products
with multi-row executemany in one transaction per chunk; the FTS5 triggers / the generated
tsvector index each row as it lands, and the vocabulary is counted once in Python.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from demo.catalog_gen import DemoCatalogue, generate_catalogue, with_category_ids
from domain.catalog.search_text import warm_up
from domain.catalog.service import Localized, ProductDraft
from storage.catalog.models import CategoryRow
from storage.catalog.repository import product_columns
from storage.catalog.sql import add_terms, client, dialect_of, document_terms, search_documents

CHUNK = 5_000


@dataclass(frozen=True, slots=True)
class LoadReport:
    categories: int
    products: int
    variants: int
    seconds: float
    category_ids: list[int]


def _stored(value: object, dialect: str) -> object:
    """Column values as the raw driver wants them (JSON text, SQLite's datetime text)."""
    if isinstance(value, list):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(value, datetime) and dialect == "sqlite":
        return value.isoformat(sep=" ")
    if isinstance(value, bool) and dialect == "sqlite":
        return int(value)
    return value


def _placeholders(dialect: str, count: int) -> str:
    if dialect == "sqlite":
        return ", ".join("?" * count)
    return ", ".join(f"${i}" for i in range(1, count + 1))


async def _insert_many(
    conn: BaseDBAsyncClient, table: str, rows: Sequence[Mapping[str, object]]
) -> None:
    if not rows:
        return
    dialect = dialect_of(conn)
    names = list(rows[0])
    sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({_placeholders(dialect, len(names))})"
    await conn.execute_many(sql, [[_stored(r[n], dialect) for n in names] for r in rows])


async def bulk_load(catalogue: DemoCatalogue) -> LoadReport:
    """Insert a generated catalogue (categories, products, variants, vocabulary)."""
    warm_up()
    started = time.perf_counter()
    category_ids: list[int] = []
    paths: list[list[tuple[int, Localized]]] = []
    for category in catalogue.categories:
        parent_id = category_ids[category.parent] if category.parent is not None else None
        row = await CategoryRow.create(
            parent_id=parent_id,
            name_en=category.name.en,
            name_zh=category.name.zh,
            position=category.position,
        )
        category_ids.append(row.id)
        path = [(row.id, category.name)]
        if category.parent is not None:
            path += paths[category.parent]
        paths.append(path)

    variants = 0
    vocabulary: Counter[str] = Counter()
    now = datetime.now(UTC)
    for start in range(0, len(catalogue.products), CHUNK):
        chunk = catalogue.products[start : start + CHUNK]
        rows = []
        for draft in chunk:
            title_doc, body_doc = search_documents(
                draft.title,
                draft.description,
                draft.brand,
                draft.sku,
                draft.tags,
                draft.specs,
                paths[draft.category_id],
            )
            vocabulary.update(document_terms(title_doc, body_doc))
            rows.append(_product_row(with_category_ids(draft, category_ids), now))
            rows[-1].update(search_title=title_doc, search_body=body_doc)
        async with in_transaction() as conn:
            await _insert_many(conn, "catalog_products", rows)
            ids = await _ids_by_sku(conn, [d.sku for d in chunk])
            variant_rows = [
                {
                    "product_id": ids[draft.sku],
                    "sku": v.sku,
                    "options": [list(o) for o in v.options],
                    "price": v.price,
                    "compare_at": v.compare_at,
                    "on_hand": v.on_hand,
                    "reserved": 0,
                    "position": v.position,
                    "active": True,
                }
                for draft in chunk
                for v in draft.variants
            ]
            variants += len(variant_rows)
            await _insert_many(conn, "catalog_variants", variant_rows)
    async with in_transaction() as conn:
        await add_terms(conn, vocabulary)
    await analyse()
    return LoadReport(
        len(category_ids),
        len(catalogue.products),
        variants,
        time.perf_counter() - started,
        category_ids,
    )


def _product_row(draft: ProductDraft, now: datetime) -> dict[str, object]:
    prices = [v.price for v in draft.variants]
    return {
        **product_columns(draft),
        "price": min(prices) if prices else draft.price,
        "reserved": 0,
        "created_at": draft.created_at or now,
    }


async def _ids_by_sku(conn: BaseDBAsyncClient, skus: list[str]) -> dict[str, int]:
    dialect = dialect_of(conn)
    found: dict[str, int] = {}
    for start in range(0, len(skus), 500):
        part = skus[start : start + 500]
        marks = _placeholders(dialect, len(part))
        rows = await conn.execute_query_dict(
            f"SELECT id, sku FROM catalog_products WHERE sku IN ({marks})", part
        )
        found.update((r["sku"], r["id"]) for r in rows)
    return found


async def analyse() -> None:
    """Refresh planner statistics after a bulk change (matters a lot on PostgreSQL).

    On PostgreSQL a vacuum comes with it: freshly loaded pages are not yet marked all-visible,
    so every search count would read each matching row's page until autovacuum gets there."""
    conn = client()
    if dialect_of(conn) == "sqlite":
        await conn.execute_script(
            "INSERT INTO catalog_fts(catalog_fts) VALUES ('optimize'); ANALYZE"
        )
    else:
        await conn.execute_script(  # one statement: VACUUM can't share a query string
            "VACUUM (ANALYZE) catalog_products, catalog_variants, catalog_terms, "
            "catalog_categories"
        )


async def rebuild_search_index() -> float:
    """Rebuild the full-text index from the stored documents; returns the seconds it took."""
    conn = client()
    started = time.perf_counter()
    if dialect_of(conn) == "sqlite":
        await conn.execute_script(
            "INSERT INTO catalog_fts(catalog_fts) VALUES ('delete-all'); "
            "INSERT INTO catalog_fts(rowid, search_title, search_body) "
            "SELECT id, search_title, search_body FROM catalog_products WHERE active; "
            "INSERT INTO catalog_fts(catalog_fts) VALUES ('optimize');"
        )
    else:
        await conn.execute_script(
            "REINDEX INDEX catalog_products_search_gin; REINDEX INDEX catalog_products_title_gin"
        )
    return time.perf_counter() - started


async def seed_demo_catalog(n: int = 60, seed: int = 42) -> LoadReport:
    """Generate and load `n` demo goods (20..100,000) into the connected database."""
    return await bulk_load(generate_catalogue(n, seed))
