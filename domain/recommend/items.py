"""Item metadata as the recommender sees it, and content features for cold goods."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scipy loads when a model is built, not at start-up (0.25 s, 25 MiB)
    import scipy.sparse as sp  # type: ignore[import-untyped]


from domain.catalog.search_text import query_tokens

MAX_TEXT_TOKENS = 200

# How much each kind of feature counts before IDF; a shared category matters more than a
# shared word in the description.
FEATURE_WEIGHTS = {"cat": 3.0, "parent": 1.5, "brand": 2.0, "spec": 1.0, "tag": 1.0, "w": 0.5}


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """Plain metadata of one sellable item; the catalogue maps its products to these.

    `category_path` lists ancestor categories (root first), `text` is title + description in
    any languages, `active` False means the item is never recommended.
    """

    item_id: int
    category_id: int | None = None
    category_path: tuple[int, ...] = ()
    brand: str = ""
    specs: tuple[tuple[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    text: str = ""
    created_at: datetime | None = None
    active: bool = True


Tokenizer = Callable[[str], list[str]]


def default_tokenizer(text: str) -> list[str]:
    """The search tokenizer (case-folded, Chinese segmented), so both agree on words."""
    return query_tokens(text, limit=MAX_TEXT_TOKENS)


def item_features(item: ItemInfo, tokenize: Tokenizer = default_tokenizer) -> list[str]:
    """Feature strings of one item, e.g. "cat:3", "brand:acme", "spec:colour=red", "w:tea"."""
    features: list[str] = []
    if item.category_id is not None:
        features.append(f"cat:{item.category_id}")
    features.extend(f"parent:{c}" for c in item.category_path if c != item.category_id)
    if item.brand.strip():
        features.append(f"brand:{item.brand.strip().casefold()}")
    features.extend(
        f"spec:{k.strip().casefold()}={v.strip().casefold()}" for k, v in item.specs if v.strip()
    )
    features.extend(f"tag:{t.strip().casefold()}" for t in item.tags if t.strip())
    if item.text:
        features.extend(f"w:{token}" for token in tokenize(item.text))
    return list(dict.fromkeys(features))


def content_matrix(
    items: Sequence[ItemInfo], tokenize: Tokenizer = default_tokenizer
) -> sp.csr_matrix:
    """Rows = items (in the given order), L2-normalised TF-IDF weights over their features."""
    import scipy.sparse as sp

    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for row, item in enumerate(items):
        for feature in item_features(item, tokenize):
            col = vocabulary.setdefault(feature, len(vocabulary))
            rows.append(row)
            cols.append(col)
            vals.append(FEATURE_WEIGHTS[feature.split(":", 1)[0]])
    shape = (len(items), len(vocabulary))
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float64)
    if matrix.nnz == 0:
        return matrix
    document_frequency = np.bincount(matrix.indices, minlength=shape[1])
    idf = np.log((1.0 + shape[0]) / (1.0 + document_frequency)) + 1.0
    matrix = matrix @ sp.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)
