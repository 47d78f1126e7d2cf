"""The console's hot reads over the whole catalogue (inactive goods too), on both backends:
the goods table (filters, sorts, indexed offset paging), a category's subtree and a product's
stock ledger; and the Redis store of CSV previews waiting for confirmation.

Paging selects the page's ids first (walking the sort's index: catalog migration 0002's sort
indexes, 0005's title and stock indexes) and only then loads those rows, so a deep page
reads ids, not whole products.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from domain.catalog.console import (
    GoodsQuery,
    GoodsRow,
    GoodsSort,
    LedgerEntry,
    StockState,
)
from storage.admin.models import StockMovementRow
from storage.catalog.models import CategoryRow
from storage.catalog.search import fts5_expression, tsquery_expression
from storage.catalog.sql import PRODUCT_COLUMNS, Params, client, dialect_of, product_from_record

_ORDER = {
    GoodsSort.NEWEST: "p.id DESC",
    GoodsSort.OLDEST: "p.id ASC",
    GoodsSort.TITLE: "p.title_en ASC, p.id ASC",
    GoodsSort.PRICE_ASC: "p.price ASC, p.id ASC",
    GoodsSort.PRICE_DESC: "p.price DESC, p.id DESC",
    GoodsSort.SALES: "p.sales DESC, p.views DESC, p.id DESC",
}
_COLUMNS = ", ".join(f"p.{c.strip()}" for c in PRODUCT_COLUMNS.split(","))
_UNIT_AVAILABLE = "CASE WHEN v.on_hand > v.reserved THEN v.on_hand - v.reserved ELSE 0 END"
_VARIANTS_AVAILABLE = (
    f"(SELECT COALESCE(SUM({_UNIT_AVAILABLE}), 0) FROM catalog_variants v "
    "WHERE v.product_id = p.id AND v.active = TRUE)"
)
_PLAIN = "p.has_variants = FALSE"
_WITH_OPTIONS = "p.has_variants = TRUE"
_STOCK = {
    StockState.OUT: (
        f"(({_PLAIN} AND p.on_hand <= p.reserved) "
        f"OR ({_WITH_OPTIONS} AND p.variants_in_stock = FALSE))"
    ),
    StockState.LOW: (
        f"(({_PLAIN} AND p.on_hand > p.reserved "
        "AND p.on_hand - p.reserved <= p.low_stock_threshold) "
        f"OR ({_WITH_OPTIONS} AND p.variants_in_stock = TRUE "
        f"AND {_VARIANTS_AVAILABLE} <= p.low_stock_threshold))"
    ),
    StockState.IN: (
        f"(({_PLAIN} AND p.on_hand - p.reserved > p.low_stock_threshold) "
        f"OR ({_WITH_OPTIONS} AND p.variants_in_stock = TRUE "
        f"AND {_VARIANTS_AVAILABLE} > p.low_stock_threshold))"
    ),
}


def _where(query: GoodsQuery, params: Params) -> str:
    where: list[str] = []
    found: list[str] = []
    if query.terms:
        if params.dialect == "sqlite":
            expression = fts5_expression(query.terms, [], False, False)
            found.append(
                "p.id IN (SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH "
                f"{params.add(expression)})"
            )
        else:
            expression = tsquery_expression(query.terms, [], False)
            found.append(f"p.search_tsv @@ {params.add(expression)}::tsquery")
    if query.sku_prefix:
        for prefix in dict.fromkeys((query.sku_prefix, query.sku_prefix.upper())):
            low, high = params.add(prefix), params.add(prefix + "\U0010ffff")
            found.append(f"(p.sku >= {low} AND p.sku < {high})")
    if query.product_id is not None:
        found.append(f"p.id = {params.add(query.product_id)}")
    if found:
        where.append(f"({' OR '.join(found)})")
    elif query.terms or query.sku_prefix:
        where.append("1 = 0")
    if query.category_ids is not None:
        where.append(f"p.category_id IN ({params.add_many(query.category_ids)})")
    if query.active is not None:
        where.append("p.active = TRUE" if query.active else "p.active = FALSE")
    if query.stock is not None:
        where.append(_STOCK[query.stock])
    return " AND ".join(where) or "1 = 1"


class TortoiseGoodsTable:
    """domain.catalog.console.GoodsTable."""

    async def count_goods(self, query: GoodsQuery) -> int:
        conn = client()
        params = Params(dialect_of(conn))
        where = _where(query, params)
        rows = await conn.execute_query_dict(
            f"SELECT count(*) AS n FROM catalog_products p WHERE {where}", params.values
        )
        return int(rows[0]["n"])

    async def goods_page(
        self, query: GoodsQuery, sort: GoodsSort, offset: int, limit: int
    ) -> list[GoodsRow]:
        conn = client()
        params = Params(dialect_of(conn))
        where = _where(query, params)
        order = _ORDER[sort]
        ids = (
            f"SELECT p.id FROM catalog_products p WHERE {where} ORDER BY {order} "
            f"LIMIT {params.add(limit)} OFFSET {params.add(offset)}"
        )
        rows = await conn.execute_query_dict(
            f"SELECT {_COLUMNS} FROM catalog_products p WHERE p.id IN ({ids}) ORDER BY {order}",
            params.values,
        )
        products = [product_from_record(r) for r in rows]
        with_options = [p.id for p in products if p.has_variants]
        sums: dict[int, int] = {}
        if with_options:
            sum_params = Params(params.dialect)
            found = await conn.execute_query_dict(
                f"SELECT v.product_id AS pid, SUM({_UNIT_AVAILABLE}) AS n FROM catalog_variants v "
                f"WHERE v.product_id IN ({sum_params.add_many(with_options)}) "
                "AND v.active = TRUE GROUP BY v.product_id",
                sum_params.values,
            )
            sums = {int(r["pid"]): int(r["n"] or 0) for r in found}
        return [
            GoodsRow(p, sums.get(p.id, 0) if p.has_variants else p.available) for p in products
        ]

    async def category_subtree(self, category_id: int) -> tuple[int, ...]:
        pairs: list[tuple[int, int | None]] = await CategoryRow.all().values_list(
            "id", "parent_id"
        )
        if category_id not in {cid for cid, _ in pairs}:
            return ()
        children: dict[int | None, list[int]] = {}
        for cid, parent in pairs:
            children.setdefault(parent, []).append(cid)
        found, frontier = [category_id], [category_id]
        while frontier and len(found) <= len(pairs):
            frontier = [c for parent in frontier for c in children.get(parent, [])]
            found.extend(frontier)
        return tuple(dict.fromkeys(found))

    async def ledger(self, product_id: int, offset: int, limit: int) -> list[LedgerEntry]:
        rows = (
            await StockMovementRow.filter(product_id=product_id)
            .order_by("-id")
            .offset(offset)
            .limit(limit)
        )
        return [
            LedgerEntry(
                r.id,
                r.variant_id,
                r.delta_on_hand,
                r.delta_reserved,
                r.reason,
                r.ref,
                r.actor,
                r.created_at,
            )
            for r in rows
        ]

    async def count_ledger(self, product_id: int) -> int:
        return await StockMovementRow.filter(product_id=product_id).count()


class RedisPreviewStore:
    """domain.catalog.transfer.PreviewStore in Redis: every replica finds an upload."""

    PREFIX = "kiosk:console:csv:"

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def put(self, key: str, data: bytes, ttl: int) -> None:
        await self.redis.set(self.PREFIX + key, data, ex=max(1, ttl))

    async def get(self, key: str) -> bytes | None:
        raw: Any = await self.redis.get(self.PREFIX + key)
        return bytes(raw) if raw is not None else None

    async def delete(self, key: str) -> None:
        await self.redis.delete(self.PREFIX + key)
