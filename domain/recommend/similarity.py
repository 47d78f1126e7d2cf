"""Item-to-item similarity: co-occurrence with popularity damping, content, top-K pruning.

Everything returns a CSR matrix over item *indices* holding only each row's best K scores,
computed in row blocks so memory stays bounded by block x items even for big catalogues.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # scipy loads when a model is built, not at start-up (0.25 s, 25 MiB)
    import scipy.sparse as sp  # type: ignore[import-untyped]


BLOCK_ROWS = 512
_LEVELS = 1 << 40  # score resolution of the sort key (relative 1e-12); rows fit above it
OUTPUT_BUDGET = 300_000.0  # expected co-occurrence entries per block (bounds memory)
_PAD_BUDGET = 1 << 20  # cells of a padded row-chunk when picking each long row's k-th value


def top_k_rows(
    n_rows: int,
    n_cols: int,
    k: int,
    block: Callable[[int, int], sp.csr_matrix],
    row_ids: npt.NDArray[np.int64] | None = None,
    starts: list[int] | None = None,
) -> sp.csr_matrix:
    """Assemble a CSR matrix keeping the k largest positive entries of each row.

    `block(start, stop)` returns rows start..stop of the full score matrix (or of the rows
    `row_ids` lists), blocks starting at `starts` (every BLOCK_ROWS rows by default); the
    diagonal (an item and itself) is always dropped. Each block is
    ranked in one stable sort (rows, then best first; ties keep the block's column order),
    never row by row in Python.
    """
    import scipy.sparse as sp

    # Written in place into buffers sized for k per row: untouched pages are never resident,
    # and no list of blocks is concatenated (twice the output) at the end. float32 scores
    # and int32 columns are the served lists' own types.
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    data = np.empty(n_rows * k, dtype=np.float32)
    indices = np.empty(n_rows * k, dtype=np.int32)
    filled = 0
    edges = [*(starts if starts is not None else range(0, n_rows, BLOCK_ROWS)), n_rows]
    for start, stop in itertools.pairwise(edges):
        if stop <= start:
            continue
        rows = sp.csr_matrix(block(start, stop))
        local = np.repeat(np.arange(stop - start), np.diff(rows.indptr))
        cols = rows.indices.astype(np.int64)
        vals = rows.data.astype(np.float64)
        del rows
        own = local + start if row_ids is None else row_ids[local + start]
        keep = (cols != own) & (vals > 0)
        local, cols, vals = local[keep], cols[keep], vals[keep]
        local, cols, vals = _candidates(local, cols, vals, stop - start, k)
        if vals.size:  # one integer key (row, then best first): 8x faster than lexsort
            scale = float(vals.max()) * (1.0 + 1e-9)
            rank = ((1.0 - vals / scale) * _LEVELS).astype(np.int64)
            order = np.argsort(local * (_LEVELS + 1) + rank, kind="stable")
            local, cols, vals = local[order], cols[order], vals[order]
        per_row = np.bincount(local, minlength=stop - start)
        first = np.cumsum(per_row) - per_row
        best = (np.arange(local.size) - first[local]) < k
        taken = int(best.sum())
        data[filled : filled + taken] = vals[best]
        indices[filled : filled + taken] = cols[best]
        indptr[start + 1 : stop + 1] = filled + np.cumsum(np.minimum(per_row, k))
        filled += taken
    return sp.csr_matrix((data[:filled], indices[:filled], indptr), shape=(n_rows, n_cols))


def _candidates(
    local: npt.NDArray[np.int64],
    cols: npt.NDArray[np.int64],
    vals: npt.NDArray[np.float64],
    n_rows: int,
    k: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Entries that can be in their row's top k: all of a row with at most k entries; of a
    longer row those at least its k-th largest value (found with a partition over a padded
    row-chunk, not a sort), so the final sort only sees about k entries per row."""
    per_row = np.bincount(local, minlength=n_rows)
    long_rows = np.flatnonzero(per_row > k)
    if long_rows.size == 0:
        return local, cols, vals
    first = np.cumsum(per_row) - per_row
    position = np.arange(local.size) - first[local]  # entries come grouped by row (CSR)
    threshold = np.full(n_rows, -np.inf)
    width = int(per_row[long_rows].max())
    chunk = max(1, _PAD_BUDGET // width)
    in_long = per_row[local] > k
    slot_of = np.full(n_rows, -1)
    slot_of[long_rows] = np.arange(long_rows.size)
    slots, pos, values = slot_of[local[in_long]], position[in_long], vals[in_long]
    for lo in range(0, long_rows.size, chunk):
        hi = min(long_rows.size, lo + chunk)
        part = (slots >= lo) & (slots < hi)
        dense = np.full((hi - lo, width), -np.inf)
        dense[slots[part] - lo, pos[part]] = values[part]
        threshold[long_rows[lo:hi]] = -np.partition(-dense, k - 1, axis=1)[:, k - 1]
    keep = vals >= threshold[local]
    return local[keep], cols[keep], vals[keep]


def cooccurrence_similarity(
    user_index: npt.NDArray[np.int64],
    item_index: npt.NDArray[np.int64],
    n_users: int,
    n_items: int,
    *,
    k: int,
    alpha: float = 0.5,
    shrinkage: float = 0.0,
    user_damping: bool = True,
    only: npt.NDArray[np.int64] | None = None,
) -> sp.csr_matrix:
    """Top-k neighbours by how often two items are used by the same people (for the rows
    of `only` alone when given: a validation needs just the goods in its shoppers' baskets).

    sim(i, j) = c_ij / (d_i^alpha * d_j^(1 - alpha)) * n_ij / (n_ij + shrinkage), where c_ij
    sums user weights over people who used both, d_i the same for i alone, n_ij the raw count.
    User weight is 1 / log2(1 + items of the user) with `user_damping` (IUF): someone who uses
    everything tells little about any pair; alpha < 0.5 damps popular neighbours j harder.
    """
    import scipy.sparse as sp

    if n_items == 0 or user_index.size == 0:
        return sp.csr_matrix((n_items, n_items))
    ones = np.ones(user_index.size)
    users_items = sp.csr_matrix((ones, (user_index, item_index)), shape=(n_users, n_items))
    users_items.data[:] = 1.0  # presence, not counts: pairs are unique but be safe
    per_user = np.asarray(users_items.sum(axis=1)).ravel()
    weights = 1.0 / np.log2(1.0 + np.maximum(per_user, 1.0)) if user_damping else np.ones(n_users)
    items_users = sp.csr_matrix(users_items.T)
    weighted = sp.csr_matrix(items_users @ sp.diags(weights))
    degree = np.asarray(weighted.sum(axis=1)).ravel()
    degree[degree == 0] = 1.0
    left = np.power(degree, alpha)
    right = np.power(degree, 1.0 - alpha)

    targets = np.arange(n_items) if only is None else np.unique(only).astype(np.int64)

    # Raw counts in the real part, user-weighted counts in the imaginary part: both from
    # one sparse product instead of two.
    both = sp.csr_matrix(items_users @ sp.diags(1.0 + 1j * weights)) if shrinkage > 0 else None

    def block(start: int, stop: int) -> sp.csr_matrix:
        picked = targets[start:stop]
        if both is not None:
            product = sp.csr_matrix(both[picked] @ users_items)
            raw, data = product.data.real, product.data.imag
            co = sp.csr_matrix(
                (data * raw / (raw + shrinkage), product.indices, product.indptr),
                shape=product.shape,
            )
        else:
            co = sp.csr_matrix(weighted[picked] @ users_items)
        rows = np.repeat(picked, np.diff(co.indptr))
        co.data /= left[rows] * right[co.indices]
        return co

    # Blocks sized by their expected output (a popular good's row spans most of the shop),
    # so memory stays bounded whatever the popularity curve.
    expected = (items_users @ per_user)[targets]
    starts = _block_starts(expected, OUTPUT_BUDGET)
    compact = top_k_rows(targets.size, n_items, k, block, row_ids=targets, starts=starts)
    if only is None:
        return compact
    return _expand(compact, targets, n_items)


def _block_starts(expected: npt.NDArray[np.float64], budget: float) -> list[int]:
    """Start rows of blocks whose expected entries add up to about `budget` each (at most
    BLOCK_ROWS * 4 rows, at least one)."""
    starts, total, size = [0], 0.0, 0
    for row, value in enumerate(expected.tolist()):
        if size and (total + value > budget or size >= BLOCK_ROWS * 4):
            starts.append(row)
            total, size = 0.0, 0
        total += value
        size += 1
    return starts


def _expand(compact: sp.csr_matrix, row_ids: npt.NDArray[np.int64], n_rows: int) -> sp.csr_matrix:
    """Rows of `compact` placed at `row_ids` of an n_rows matrix (other rows empty)."""
    import scipy.sparse as sp

    lengths = np.zeros(n_rows, dtype=np.int64)
    lengths[row_ids] = np.diff(compact.indptr)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    return sp.csr_matrix((compact.data, compact.indices, indptr), shape=(n_rows, compact.shape[1]))


def content_similarity(
    features: sp.csr_matrix, *, k: int, only: npt.NDArray[np.int64] | None = None
) -> sp.csr_matrix:
    """Top-k neighbours by cosine of the (already L2-normalised) content feature rows (for
    the rows of `only` alone when given)."""
    import scipy.sparse as sp

    n_items = features.shape[0]
    if features.nnz == 0:
        return sp.csr_matrix((n_items, n_items))
    transposed = sp.csr_matrix(features.T)
    if only is None:
        return top_k_rows(n_items, n_items, k, lambda a, b: features[a:b] @ transposed)
    rows = np.unique(only).astype(np.int64)
    compact = top_k_rows(
        rows.size, n_items, k, lambda a, b: features[rows[a:b]] @ transposed, row_ids=rows
    )
    return _expand(compact, rows, n_items)
