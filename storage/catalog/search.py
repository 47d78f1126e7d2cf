"""SearchEngine on SQLite FTS5 and on PostgreSQL tsvector + GIN + pg_trgm.

Both backends index the same pre-segmented documents of active products and rank the same
way, so they return the same goods in the same order:
  relevance = goods whose *title* has every word first, then goods matching elsewhere;
  within each tier the most popular first (sales, views, newest id).
Ranking by a stored order instead of a per-row score (bm25 / ts_rank) keeps a query's cost
flat when a word matches 20,000 goods: the engine walks the order's index and stops at the
page. Category and brand filters are index tokens (see sql.category_token), so they
intersect inside the full-text index; price and stock are checked on the rows.

Terms reach SQL only as bound parameters and are letters/digits only (domain.catalog.search_text),
so quoting each one inside the FTS5 / tsquery expression makes every character literal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.catalog.search import COUNT_CAP, SearchFilters, SearchSort, SearchTerm
from domain.catalog.search_text import deletes
from domain.catalog.service import Product
from storage.catalog.sql import (
    PRODUCT_COLUMNS,
    Params,
    brand_token,
    category_token,
    client,
    dialect_of,
    product_from_record,
)

# ORDER BY per sort and the index that yields it (created by name in migration 0002).
_ORDERS = {
    SearchSort.POPULARITY: ("p.sales DESC, p.views DESC, p.id DESC", "popularity"),
    SearchSort.PRICE_ASC: ("p.price ASC, p.id ASC", "price"),
    SearchSort.PRICE_DESC: ("p.price DESC, p.id DESC", "price"),
    SearchSort.NEWEST: ("p.created_at DESC, p.id DESC", "newest"),
    SearchSort.RATING: ("p.rating_avg DESC, p.rating_count DESC, p.id DESC", "rating"),
}
_COLUMNS = ", ".join(f"p.{c.strip()}" for c in PRODUCT_COLUMNS.split(","))


def _filter_tokens(filters: SearchFilters) -> list[str]:
    tokens = []
    if filters.category_id is not None:
        tokens.append(category_token(filters.category_id))
    if filters.brand and brand_token(filters.brand):
        tokens.append(brand_token(filters.brand))
    return tokens


def fts5_expression(
    terms: Sequence[SearchTerm], tokens: Sequence[str], match_any: bool, title_only: bool
) -> str:
    """e.g. `(search_title : "smartph"* AND search_title : "huawei") AND "_c3"`."""
    column = "search_title : " if title_only else ""
    words = [f'{column}"{t.text}"' + ("*" if t.prefix else "") for t in terms]
    parts = [f"({(' OR ' if match_any else ' AND ').join(words)})"] if words else []
    parts += [f'"{token}"' for token in tokens]
    return " AND ".join(parts)


def tsquery_expression(terms: Sequence[SearchTerm], tokens: Sequence[str], match_any: bool) -> str:
    """e.g. `('smartph':* & 'huawei') & '_c3'` for a `::tsquery` cast (no parser)."""
    words = [f"'{t.text}'" + (":*" if t.prefix else "") for t in terms]
    parts = [f"({(' | ' if match_any else ' & ').join(words)})"] if words else []
    parts += [f"'{token}'" for token in tokens]
    return " & ".join(parts)


def _row_filters(filters: SearchFilters, params: Params, *, fenced: bool = False) -> list[str]:
    """Price and stock conditions checked on rows. `fenced` (PostgreSQL, beside a full-text
    condition): `price + 0` keeps the planner from AND-ing a bitmap of the price index with the
    text index's; a range like "under 1,000.00" covers most of the shop, and building that
    bitmap took longer than checking the price of each text hit."""
    where = []
    price = "p.price + 0" if fenced and params.dialect == "postgres" else "p.price"
    if filters.price_min is not None:
        where.append(f"{price} >= {params.add(filters.price_min)}")
    if filters.price_max is not None:
        where.append(f"{price} <= {params.add(filters.price_max)}")
    if filters.in_stock:
        # variants_in_stock is kept by triggers on the variants (catalog migration 0003).
        where.append(
            "((p.has_variants = FALSE AND p.on_hand > p.reserved) "
            "OR (p.has_variants = TRUE AND p.variants_in_stock = TRUE))"
        )
    return where


class SqlSearchEngine:
    """One engine for both backends; the dialect of the connection picks the SQL."""

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
        conn = client()
        tokens = _filter_tokens(filters)
        if not terms and not tokens:
            return await self._browse(conn, filters, sort, offset, limit, with_total)
        order = SearchSort.POPULARITY if sort is SearchSort.RELEVANCE else sort
        matching = _Match(conn, terms, tokens, match_any, filters)
        if not with_total:  # a fallback list: no count shown; category/brand sets are large
            walk = not terms and (
                matching.sqlite or await matching.count(title_only=False) > COUNT_CAP
            )
            rows = await matching.fetch(order, offset, limit, "all", walk=walk)
            return rows, offset + len(rows)
        total = await matching.count(title_only=False)
        if not total:
            return [], 0
        if sort is not SearchSort.RELEVANCE:
            walk = total > COUNT_CAP and not matching.sqlite
            rows = await matching.fetch(order, offset, limit, "all", walk=walk)
            return rows, total
        # Relevance: every word in the title first, then the rest, each by popularity. The
        # title tier's size decides between sorting its hits and walking the popularity order.
        many = total > COUNT_CAP
        in_title = await matching.count(title_only=True) if many or offset else total
        rows = []
        if offset < in_title:
            walk = in_title > COUNT_CAP
            rows = await matching.fetch(order, offset, limit, "title", walk=walk)
        if len(rows) < limit:
            rest_offset = max(0, offset - in_title) if many or offset else 0
            walk = many and in_title <= COUNT_CAP // 2  # the rest holds 250+ goods
            rows += await matching.fetch(order, rest_offset, limit - len(rows), "rest", walk=walk)
        return rows, total

    async def _browse(
        self,
        conn: BaseDBAsyncClient,
        filters: SearchFilters,
        sort: SearchSort,
        offset: int,
        limit: int,
        with_total: bool,
    ) -> tuple[list[Product], int]:
        """No words and no indexed filter: walk the sort order over active goods."""
        params = Params(dialect_of(conn))
        where = " AND ".join(["p.active = TRUE", *_row_filters(filters, params)])
        order, index = _ORDERS.get(sort) or _ORDERS[SearchSort.POPULARITY]
        source = "catalog_products p"
        if params.dialect == "sqlite":  # left alone, SQLite may sort every row in a price range
            source += f" INDEXED BY catalog_products_by_{index}"
        rows = await conn.execute_query_dict(
            f"SELECT {_COLUMNS} FROM {source} WHERE {where} ORDER BY {order} "
            f"LIMIT {params.add(limit)} OFFSET {params.add(offset)}",
            params.values,
        )
        products = [product_from_record(r) for r in rows]
        if not with_total:
            return products, offset + len(products)
        count_params = Params(params.dialect)
        where = " AND ".join(["p.active = TRUE", *_row_filters(filters, count_params)])
        counted = await conn.execute_query_dict(
            f"SELECT count(*) AS n FROM (SELECT 1 FROM catalog_products p WHERE {where} "
            f"LIMIT {COUNT_CAP}) s",
            count_params.values,
        )
        return products, int(counted[0]["n"])

    async def known_terms(self, terms: Sequence[str]) -> set[str]:
        conn = client()
        dialect = dialect_of(conn)
        known: set[str] = set()
        for term in terms:
            params = Params(dialect)
            # Range scan on the primary key: the word itself or any word starting with it.
            low, high = params.add(term), params.add(term + "\U0010ffff")
            rows = await conn.execute_query_dict(
                f"SELECT term FROM catalog_terms WHERE term >= {low} AND term < {high} "
                "AND docs > 0 LIMIT 1",
                params.values,
            )
            if rows:
                known.add(term)
        return known

    async def similar_terms(self, term: str, limit: int) -> list[tuple[str, int]]:
        conn = client()
        params = Params(dialect_of(conn))
        if params.dialect == "sqlite":
            keys = params.add_many(sorted(deletes(term)))
            sql = (
                "SELECT DISTINCT t.term, t.docs FROM catalog_term_keys k "
                "JOIN catalog_terms t ON t.term = k.term "
                f"WHERE k.key IN ({keys}) AND t.docs > 0 "
                f"ORDER BY t.docs DESC, t.term LIMIT {params.add(limit)}"
            )
        else:
            word = params.add(term)
            sql = (
                f"SELECT term, docs FROM catalog_terms WHERE term % {word} AND docs > 0 "
                f"ORDER BY similarity(term, {word}) DESC, docs DESC, term "
                f"LIMIT {params.add(limit)}"
            )
        rows = await conn.execute_query_dict(sql, params.values)
        return [(str(r["term"]), int(r["docs"])) for r in rows]


class _Match:
    """The goods matching a query's words and indexed filters, on one connection."""

    def __init__(
        self,
        conn: BaseDBAsyncClient,
        terms: Sequence[SearchTerm],
        tokens: Sequence[str],
        match_any: bool,
        filters: SearchFilters,
    ) -> None:
        self.conn = conn
        self.sqlite = dialect_of(conn) == "sqlite"
        self.filters = filters
        self.has_terms = bool(terms)
        if self.sqlite:
            self.everywhere = fts5_expression(terms, tokens, match_any, False)
            self.in_title = fts5_expression(terms, tokens, match_any, True)
        else:
            self.everywhere = self.in_title = tsquery_expression(terms, tokens, match_any)

    def _where(self, params: Params, tier: str, walk: bool = False) -> list[str]:
        if self.sqlite:
            expression = {
                "all": self.everywhere,
                "title": self.in_title,
                "rest": f"({self.everywhere}) NOT ({self.in_title})",
            }[tier]
            # "+p.id" keeps SQLite from driving the query by the id list when walking.
            target = "+p.id" if walk else "p.id"
            match = [
                f"{target} IN (SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH "
                f"{params.add(expression)})"
            ]
        else:
            # One indexed condition per tier (the title vector carries the filter tokens too),
            # and the planner, seeing the tsquery, picks an index walk or a sort of the hits.
            expression = f"{params.add(self.everywhere)}::tsquery"
            match = {
                "all": [f"p.search_tsv @@ {expression}"],
                "title": [f"p.title_tsv @@ {expression}"],
                "rest": [f"p.search_tsv @@ {expression}", f"NOT (p.title_tsv @@ {expression})"],
            }[tier]
        return [*match, *_row_filters(self.filters, params, fenced=True)]

    async def count(self, *, title_only: bool) -> int:
        """Matches, counted up to COUNT_CAP (+1 tells "more than the cap")."""
        params = Params("sqlite" if self.sqlite else "postgres")
        if self.sqlite and not _row_filters(self.filters, Params("sqlite")):
            # The index holds active goods only: count its hits without touching rows.
            expression = self.in_title if title_only else self.everywhere
            rows = await self.conn.execute_query_dict(
                "SELECT count(*) AS n FROM (SELECT 1 FROM catalog_fts WHERE catalog_fts MATCH "
                f"{params.add(expression)} LIMIT {COUNT_CAP + 1}) s",
                params.values,
            )
            return int(rows[0]["n"])
        where = " AND ".join(self._where(params, "title" if title_only else "all"))
        rows = await self.conn.execute_query_dict(
            f"SELECT count(*) AS n FROM (SELECT 1 FROM catalog_products p WHERE {where} "
            f"LIMIT {COUNT_CAP + 1}) s",
            params.values,
        )
        return int(rows[0]["n"])

    async def fetch(
        self, sort: SearchSort, offset: int, limit: int, tier: str, *, walk: bool
    ) -> list[Product]:
        """One page of a tier. `walk`: there are many hits, so follow the popularity index
        and test each good, stopping at the page, instead of sorting every hit. Only for
        popularity: it doesn't depend on the words, while a walk from the dearest goods
        could pass most of the shop before reaching a T-shirt."""
        if limit <= 0:
            return []
        if tier == "rest" and not self.has_terms:
            return []  # without words every match is a "title" match
        # SQLite walks popularity only (its other sorts are fine sorting the hits); PostgreSQL
        # walks any order that doesn't follow the words.
        walk = walk and (
            sort is SearchSort.POPULARITY
            if self.sqlite
            else sort not in (SearchSort.PRICE_ASC, SearchSort.PRICE_DESC)
        )
        params = Params("sqlite" if self.sqlite else "postgres")
        where = self._where(params, tier, walk)
        order, index = _ORDERS[sort]
        source = "catalog_products p"
        if walk and self.sqlite:
            source += f" INDEXED BY catalog_products_by_{index}"
        select = f"SELECT {_COLUMNS} FROM {source} WHERE {' AND '.join(where)}"
        if not self.sqlite and sort in (SearchSort.PRICE_ASC, SearchSort.PRICE_DESC):
            # Prices follow the words (T-shirts are cheap): a walk down the price index would
            # pass most of the shop, so fence the planner into sorting just the hits.
            select = f"SELECT * FROM ({select} OFFSET 0) p"
        sql = f"{select} ORDER BY {order} LIMIT {params.add(limit)} OFFSET {params.add(offset)}"
        if walk and not self.sqlite:
            rows = await _walking(sql, params.values)
        else:
            rows = await self.conn.execute_query_dict(sql, params.values)
        return [product_from_record(r) for r in rows]


async def _walking(sql: str, values: list[Any]) -> list[dict[str, Any]]:
    """Run `sql` on PostgreSQL following its ORDER BY index instead of collecting every hit.

    The planner's estimate of how many goods a text query matches is poor (it multiplies
    guesses per word and filter), and when it guesses "few" it fetches all hits to sort them:
    4,000 rows for a common word, where walking the order's index finds ten in a few hundred.
    The caller has counted the hits, so it knows better; these settings only add a cost to the
    alternatives (for this transaction), so the query stays correct whatever plan results.
    """
    async with in_transaction() as tx:
        await tx.execute_query(
            "SELECT set_config('enable_sort', 'off', true), "
            "set_config('enable_bitmapscan', 'off', true), "
            "set_config('enable_seqscan', 'off', true)"
        )
        return await tx.execute_query_dict(sql, values)
