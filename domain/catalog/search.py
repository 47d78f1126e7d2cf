"""Product search: query cleaning, typo correction, "did you mean" and a popular fallback.

The engine (storage) does full-text matching on pre-segmented tokens (see
domain.catalog.search_text);
this module decides what to ask it, so both backends behave the same for the same input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Protocol

from domain.catalog.search_text import (
    edit_distance,
    is_cjk,
    load_segmenter_for,
    query_tokens,
    warm_up,
)
from domain.catalog.types import MAX_PAGE_SIZE, Product

__all__ = [
    "COUNT_CAP",
    "SearchEngine",
    "SearchFilters",
    "SearchQuery",
    "SearchResult",
    "SearchService",
    "SearchSort",
    "SearchTerm",
    "prepare_terms",
    "warm_up",
]

MAX_QUERY_CHARS = 256  # longer input is cut: nobody types a 4,000-character product name
MAX_TERMS = 8
COUNT_CAP = 500  # matches are counted up to here (50 pages); beyond it, refine the words
MAX_OFFSET = COUNT_CAP
FALLBACK_SIZE = 8
MIN_FUZZY_LEN = 4  # shorter words have too many neighbours one typo away


class SearchSort(StrEnum):
    RELEVANCE = "relevance"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"
    RATING = "rating"
    POPULARITY = "popularity"


@dataclass(frozen=True, slots=True)
class SearchFilters:
    category_id: int | None = None  # includes every sub-category
    price_min: int | None = None  # minor units, inclusive
    price_max: int | None = None
    in_stock: bool = False
    brand: str | None = None  # exact brand name, case-insensitive

    @property
    def any(self) -> bool:
        return self != SearchFilters()


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a shopper asked for. Build it with `SearchQuery.page_of(...)` for page numbers
    (/search) or directly with offset/limit (inline mode's next_offset)."""

    text: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    sort: SearchSort = SearchSort.RELEVANCE
    offset: int = 0
    limit: int = 10

    @classmethod
    def page_of(
        cls,
        text: str,
        page: int = 1,
        page_size: int = 10,
        filters: SearchFilters | None = None,
        sort: SearchSort = SearchSort.RELEVANCE,
    ) -> SearchQuery:
        page_size = min(max(1, page_size), MAX_PAGE_SIZE)
        offset = (max(1, page) - 1) * page_size
        return cls(text, filters or SearchFilters(), sort, offset, page_size)


@dataclass(frozen=True, slots=True)
class SearchTerm:
    """One token for the engine; `prefix` lets "smartph" match "smartphone"."""

    text: str
    prefix: bool


@dataclass(frozen=True, slots=True)
class SearchResult:
    products: list[Product]
    total: int  # matches for the shown query, at most COUNT_CAP + 1 (0 for a fallback)
    offset: int
    limit: int
    query: str  # the cleaned query, tokens joined by spaces
    corrected: str | None = None  # typos were fixed: these are the results for `corrected`
    suggestion: str | None = None  # nothing found; "did you mean ...?"
    partial: bool = False  # no product has every word; these match some of them
    fallback: bool = False  # nothing matched: `products` are popular items instead
    notice: str | None = None  # "empty", "too_short" or "no_words" (emoji, punctuation only)

    @property
    def total_capped(self) -> bool:
        """More than COUNT_CAP matched: show "500+" rather than a number."""
        return self.total > COUNT_CAP

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-min(self.total, COUNT_CAP) // self.limit))

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, or None on the last one (inline mode's next_offset)."""
        end = self.offset + len(self.products)
        return end if not self.fallback and end < min(self.total, COUNT_CAP) else None


class SearchEngine(Protocol):
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
        """Active products having every term (any term if `match_any`; all products if no
        terms) within the filters, sorted; returns one slice and the total number (without
        `with_total`, only offset + the slice's length, which is cheaper)."""
        ...

    async def known_terms(self, terms: Sequence[str]) -> set[str]:
        """Which of `terms` occur in the index as a word or as the start of one."""
        ...

    async def similar_terms(self, term: str, limit: int) -> list[tuple[str, int]]:
        """Indexed words that look like `term` (typo candidates) with their document counts."""
        ...


def prepare_terms(text: str) -> list[SearchTerm]:
    """Clean typed text into engine terms; syntax characters never survive (see search_text).

    Only the last word matches as a prefix (people type left to right, so earlier words are
    complete; this also keeps index work small), and only when it has two or more letters
    or is Chinese: a lone Latin letter or digit must match a whole word.
    """
    if len(text) > MAX_QUERY_CHARS:
        # Cut at a word boundary so the last word isn't a fragment ("wor" of "word").
        head = text[:MAX_QUERY_CHARS]
        text = head.rsplit(None, 1)[0] if text[MAX_QUERY_CHARS].isalnum() and " " in head else head
    tokens = query_tokens(text, limit=MAX_TERMS)
    last = len(tokens) - 1
    return [
        SearchTerm(t, prefix=i == last and (len(t) >= 2 or is_cjk(t)))
        for i, t in enumerate(tokens)
    ]


class SearchService:
    """Relevance-ranked product search that always gives the shopper somewhere to go."""

    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine

    async def search(self, query: SearchQuery) -> SearchResult:
        """Run a query: exact words and prefixes first, then typo-corrected words, then any
        of the words, and finally popular items with a "did you mean" when one exists."""
        limit = min(max(1, query.limit), MAX_PAGE_SIZE)
        offset = min(max(0, query.offset), max(0, MAX_OFFSET - limit))
        query = replace(query, offset=offset, limit=limit)
        raw = (query.text or "").strip()
        await load_segmenter_for(raw[:MAX_QUERY_CHARS])
        terms = prepare_terms(raw)
        cleaned = " ".join(t.text for t in terms)
        if not terms:
            return await self._fallback(query, cleaned, notice="empty" if not raw else "no_words")
        if len(terms) == 1 and len(terms[0].text) == 1 and not is_cjk(terms[0].text):
            return await self._fallback(query, cleaned, notice="too_short")

        found = await self._run(query, terms)
        if found.total:
            return replace(found, query=cleaned)

        corrected_terms = await self._correct(terms)
        corrected = " ".join(t.text for t in corrected_terms)
        if corrected_terms != terms:
            found = await self._run(query, corrected_terms)
            if found.total:
                return replace(found, query=cleaned, corrected=corrected)
        if len(terms) > 1:
            found = await self._run(query, corrected_terms, match_any=True)
            if found.total:
                fixed = corrected if corrected_terms != terms else None
                return replace(found, query=cleaned, corrected=fixed, partial=True)
        suggestion = corrected if corrected_terms != terms else None
        return await self._fallback(query, cleaned, suggestion=suggestion)

    async def _run(
        self, query: SearchQuery, terms: Sequence[SearchTerm], *, match_any: bool = False
    ) -> SearchResult:
        products, total = await self.engine.search(
            terms, query.filters, query.sort, query.offset, query.limit, match_any=match_any
        )
        if not products and total and query.offset:
            # A forged or stale offset past the end: show the last page instead.
            last = (min(total, COUNT_CAP) - 1) // query.limit * query.limit
            products, total = await self.engine.search(
                terms, query.filters, query.sort, last, query.limit, match_any=match_any
            )
            query = replace(query, offset=last)
        return SearchResult(products, total, query.offset, query.limit, "")

    async def _correct(self, terms: Sequence[SearchTerm]) -> list[SearchTerm]:
        """Replace each unknown word by the closest indexed word (one or two typos away)."""
        candidates = [t.text for t in terms if len(t.text) >= MIN_FUZZY_LEN and not is_cjk(t.text)]
        known = await self.engine.known_terms(candidates) if candidates else set()
        fixed: list[SearchTerm] = []
        for term in terms:
            if term.text not in candidates or term.text in known:
                fixed.append(term)
                continue
            best = await self._closest(term.text)
            fixed.append(SearchTerm(best, prefix=False) if best else term)
        return fixed

    async def _closest(self, word: str) -> str | None:
        allowed = 1 if len(word) <= 5 else 2
        scored = []
        for candidate, docs in await self.engine.similar_terms(word, 20):
            distance = edit_distance(word, candidate, allowed + 1)
            if distance <= allowed:
                scored.append((distance, -docs, candidate))
        return min(scored)[2] if scored else None

    async def _fallback(
        self,
        query: SearchQuery,
        cleaned: str,
        *,
        suggestion: str | None = None,
        notice: str | None = None,
    ) -> SearchResult:
        """Popular items, within the shopper's filters when those still leave something."""
        size = min(query.limit, FALLBACK_SIZE)
        products, _ = await self.engine.search(
            [], query.filters, SearchSort.POPULARITY, 0, size, with_total=False
        )
        if not products and query.filters.any:
            products, _ = await self.engine.search(
                [], SearchFilters(), SearchSort.POPULARITY, 0, size, with_total=False
            )
        return SearchResult(
            products,
            0,
            0,
            query.limit,
            cleaned,
            suggestion=suggestion,
            fallback=True,
            notice=notice,
        )
