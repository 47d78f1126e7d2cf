"""Turning product text and typed queries into the same search tokens.

Both the index (storage) and the query side use these functions, so the SQLite FTS5 index and
the PostgreSQL tsvector contain exactly the tokens a query can produce: lower-cased,
diacritics folded, split on anything that is not a letter or digit, and Chinese runs segmented
with jieba. Because a token is only ever letters and digits, no FTS or tsquery syntax (quotes,
`*`, `:`, `-`, parentheses, NEAR, `;`, `--`) can reach a search engine from a query.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable

import jieba  # type: ignore[import-untyped]

# Letters and digits, without the underscore that \w also matches (tsquery would split on it).
_WORD = re.compile(r"[^\W_]+")
# CJK ideographs (basic, extension A, compatibility); everything else is split as words.
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
MAX_TOKEN_LEN = 40

_jieba_lock = threading.Lock()
_jieba_ready = False


def warm_up() -> None:
    """Load jieba's dictionary now (about a second), quietly, instead of at the first search.

    Later calls return at once. Thread-safe, so it may run in a thread while the event loop
    keeps serving (load_segmenter_for does that).
    """
    global _jieba_ready
    if _jieba_ready:
        return
    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _jieba_ready = True


async def load_segmenter_for(*texts: str) -> None:
    """Load jieba's dictionary in a thread the first time a text needs it (Chinese in it).

    The dictionary costs about a second of CPU and 60 MiB, so a bot loads it only if Chinese
    text comes (a shopper's query, a product saved), and never on the event loop, which would
    stall every other shopper for that second. Later calls return at once.
    """
    if not _jieba_ready and any(_CJK.search(text) for text in texts if text):
        await asyncio.to_thread(warm_up)


def is_cjk(token: str) -> bool:
    return bool(_CJK.fullmatch(token))


def fold(text: str) -> str:
    """NFKC, case-fold and strip Latin diacritics ("Crème" -> "creme"); CJK is unchanged."""
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def _split(text: str, *, for_index: bool) -> Iterable[str]:
    for word in _WORD.findall(fold(text)):
        if not _CJK.search(word):
            yield word[:MAX_TOKEN_LEN]
            continue
        # A word may mix scripts ("mate60手机"): keep Latin parts whole, segment CJK parts.
        position = 0
        for match in _CJK.finditer(word):
            if match.start() > position:
                yield word[position : match.start()][:MAX_TOKEN_LEN]
            warm_up()
            run = match.group()
            # The index holds both fine and coarse words (华为智能手机 -> 华为, 智能, 手机,
            # 智能手机) so that a query segmented precisely finds either.
            pieces = (
                jieba.cut_for_search(run, HMM=False) if for_index else jieba.cut(run, HMM=False)
            )
            for piece in pieces:
                piece = piece.strip()
                if piece:
                    yield piece[:MAX_TOKEN_LEN]
            position = match.end()
        if position < len(word):
            yield word[position:][:MAX_TOKEN_LEN]


def index_tokens(*texts: str) -> list[str]:
    """Tokens for the search index, in order, duplicates removed."""
    seen: dict[str, None] = {}
    for text in texts:
        for token in _split(text or "", for_index=True):
            seen.setdefault(token, None)
    return list(seen)


def index_document(*texts: str) -> str:
    """The pre-segmented, space-separated document both search backends index."""
    return " ".join(index_tokens(*texts))


def query_tokens(text: str, *, limit: int) -> list[str]:
    """Tokens of a typed query (precise segmentation), first `limit` distinct ones."""
    seen: dict[str, None] = {}
    for token in _split(text, for_index=False):
        seen.setdefault(token, None)
        if len(seen) >= limit:
            break
    return list(seen)


def deletes(term: str) -> set[str]:
    """The term and every string made by deleting one character from it.

    Two words within one edit (insert, delete, substitute, swap of neighbours) share at least
    one such key, which makes typo candidates an indexed lookup rather than a vocabulary scan.
    """
    keys = {term}
    keys.update(term[:i] + term[i + 1 :] for i in range(len(term)))
    return keys


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, capped at `limit`."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return min(previous[-1], limit)
