"""Discovery scorers over item indices: item-kNN, EASE, bestsellers, and the blend of them
with buy-again that "for you" serves. Each neighbour scorer is a sparse top-K matrix, so
scoring a shopper is one sum over the rows of the goods in their history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from domain.recommend.ledger import FloatArray, IntArray
from domain.recommend.repeat import RepeatParams
from domain.recommend.similarity import top_k_rows

if TYPE_CHECKING:  # scipy loads when a model is built, not at start-up
    import scipy.sparse as sp  # type: ignore[import-untyped]

EASE_MAX_ITEMS = 2500  # a dense items x items inverse: ~50 MiB and ~1 s at this size
EASE_LAMBDA = 100.0


@dataclass(frozen=True, slots=True)
class Blend:
    """What "for you" serves: weights of buy-again, of one discovery scorer ("knn", "ease",
    "content" or "none") and of bestsellers, each normalised per shopper to 0..1."""

    name: str
    repeat: float = 0.0
    discovery: float = 0.0
    popular: float = 1.0
    scorer: str = "none"
    repeat_params: RepeatParams = field(default_factory=RepeatParams)
    half_life: float = 0.0  # discovery profile recency in positions; 0 = whole history

    def scores(self, repeat: FloatArray, discovery: FloatArray, popular: FloatArray) -> FloatArray:
        """Blend aligned component scores (any shape; the last axis is the candidates)."""
        return (
            self.repeat * _per_row_max(repeat)
            + self.discovery * _per_row_max(discovery)
            + self.popular * _per_row_max(popular)
        )


BESTSELLERS = Blend("bestsellers")


def _per_row_max(values: FloatArray) -> FloatArray:
    top = values.max(axis=-1, keepdims=True) if values.size else values
    return np.divide(values, top, out=np.zeros_like(values), where=top > 0)


def ease_neighbours(
    user_index: IntArray,
    item_index: IntArray,
    n_users: int,
    n_items: int,
    *,
    k: int,
    reg: float = EASE_LAMBDA,
) -> sp.csr_matrix:
    """EASE (Steck 2019), B = I - P diag(1/diag P) with P = (X'X + reg I)^-1, over the items
    that have any interaction, pruned to each row's best k positive weights."""
    import scipy.sparse as sp

    used = np.unique(item_index)
    if used.size == 0:
        return sp.csr_matrix((n_items, n_items))
    local = np.searchsorted(used, item_index)
    x = sp.csr_matrix(
        (np.ones(local.size, dtype=np.float32), (user_index, local)), shape=(n_users, used.size)
    )
    x.data[:] = 1.0
    gram = (x.T @ x).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += reg
    precision = np.linalg.inv(gram)
    weights = precision / -np.diag(precision)
    weights[np.diag_indices_from(weights)] = 0.0
    del gram, precision
    pruned = top_k_rows(used.size, used.size, k, lambda a, b: sp.csr_matrix(weights[a:b]))
    coo = pruned.tocoo()
    return sp.csr_matrix(
        (coo.data, (used[coo.row], used[coo.col])), shape=(n_items, n_items), dtype=np.float64
    )


def neighbour_scores(profile: sp.csr_matrix, neighbours: sp.csr_matrix) -> sp.csr_matrix:
    """Shoppers x items scores: each shopper's weighted history through the neighbours."""
    import scipy.sparse as sp

    return sp.csr_matrix(profile @ neighbours)
