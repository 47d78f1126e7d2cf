"""Self-tuning: at each rebuild the recommender grades itself on the shop's own history.

Each sampled shopper's last basket is held out (with everything they did from an hour before
it), the candidate scorers are trained on the rest, and every candidate and blend ranks goods
for those shoppers as "for you" would at the moment of that basket. The blend with the best
hit rate (HR@10: the held-out basket has at least one of the ten) is served, never one below
bestsellers. Shops with too few repeat shoppers to judge fall back to bestsellers with
content similarity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from domain.recommend.ledger import FloatArray, IntArray
from domain.recommend.repeat import (
    REPEATABLE_RATE,
    RepeatParams,
    group_baskets,
    repeat_profile,
    repeat_scores,
)
from domain.recommend.scorers import BESTSELLERS, Blend

if TYPE_CHECKING:
    import scipy.sparse as sp  # type: ignore[import-untyped]

K = 10
MIN_VALIDATION_USERS = 20  # fewer shoppers with two orders: too few to judge, use the fallback
MAX_VALIDATION_USERS = 1000  # a sample is enough to choose, and keeps the rebuild fast
HOLDOUT_MARGIN = 3600.0  # what a shopper did this long before the held-out order is left out
CANDIDATES = 50  # per scorer: the blend ranks the union of each scorer's best
MAX_REPEAT_CANDIDATES = 100
FILL = 0.001  # bestsellers' weight when a single scorer runs out of goods
PURCHASE_STRENGTH = 5.0
# Too few to judge: neighbours of the shopper's goods (co-occurrence, content for cold goods)
# over bestsellers, recent goods first: the values tuned on MovieLens (bench/recsys_eval.py).
SMALL_SHOP = Blend(
    "bestsellers + similar goods", discovery=1.0, popular=0.5, scorer="similar", half_life=1.0
)

REPEAT_GRID = tuple(
    RepeatParams(decay, use_rate, use_cycle)
    for decay in (0.5, 0.8, 1.0)
    for use_rate in (False, True)
    for use_cycle in (False, True)
)
DISCOVERY_WEIGHTS = (0.05, 0.2, 0.5, 1.0, 2.0)
# Recency of the discovery profile, in positions (0 = the whole history at full weight).
HALF_LIVES = (0.0, 1.0, 4.0)
POPULAR_WEIGHTS = (FILL, 0.05, 0.2)


@dataclass(frozen=True, slots=True)
class Validation:
    """How the chosen blend did on the held-out baskets, next to bestsellers."""

    users: int
    hit_rate: float
    bestsellers: float
    recall: float = 0.0
    ndcg: float = 0.0
    tried: int = 0

    @property
    def lift(self) -> float:
        return self.hit_rate / self.bestsellers if self.bestsellers > 0 else 0.0


NOT_JUDGED = Validation(0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class History:
    """The shop's history in item-index space: interaction pairs (sorted by user) and every
    purchase row (sorted by user, then time)."""

    pair_user: IntArray
    pair_item: IntArray
    pair_strength: FloatArray
    pair_last: FloatArray
    buy_user: IntArray
    buy_item: IntArray
    buy_at: FloatArray
    n_items: int
    category: IntArray
    active: npt.NDArray[np.bool_]


# Builds a neighbour matrix (items x items) for a scorer name from training pairs (user
# index, item index, number of users); only the rows of the last argument's items are used.
NeighbourBuilder = Callable[[str, IntArray, IntArray, int, IntArray], "sp.csr_matrix | None"]


@dataclass(frozen=True, slots=True)
class Profiles:
    """Per shopper (rows of a user index): weighted history with the time each good was
    last touched, and what they bought (anything else is "seen only")."""

    users: IntArray  # user ids, sorted
    matrix: sp.csr_matrix  # users x items, log2(1 + strength)
    last: FloatArray  # aligned with matrix.data: epoch seconds of the latest event
    bought: sp.csr_matrix  # users x items, 1 where bought

    def rows(self, picked: IntArray) -> tuple[sp.csr_matrix, FloatArray]:
        """The profiles of some shoppers (row indices) and their last-touched times."""
        import scipy.sparse as sp

        m = self.matrix
        last = sp.csr_matrix((self.last, m.indices, m.indptr), shape=m.shape)[picked]
        return m[picked], last.data


def decay(matrix: sp.csr_matrix, last: FloatArray, half_life: float) -> sp.csr_matrix:
    """Weights times 2^-(position / half_life), position 0 = the shopper's most recently
    touched good; half_life 0 keeps the whole history at full weight."""
    if half_life <= 0:
        return matrix
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    order = np.lexsort((-last, rows))
    position = np.empty(order.size, dtype=np.float64)
    position[order] = np.arange(order.size) - matrix.indptr[rows[order]]
    out = matrix.copy()
    out.data = matrix.data * np.power(0.5, position / half_life)
    return out


def profiles(
    h: History,
    keep: npt.NDArray[np.bool_] | None = None,
    buys: npt.NDArray[np.bool_] | None = None,
) -> Profiles:
    """Shopper profiles from the kept pairs and kept purchase rows."""
    import scipy.sparse as sp

    keep = np.ones(h.pair_user.size, dtype=np.bool_) if keep is None else keep
    buys = np.ones(h.buy_user.size, dtype=np.bool_) if buys is None else buys
    user = np.concatenate([h.pair_user[keep], h.buy_user[buys]])
    item = np.concatenate([h.pair_item[keep], h.buy_item[buys]])
    users, row = np.unique(user, return_inverse=True)
    key = row.astype(np.int64) * h.n_items + item
    keys, slot = np.unique(key, return_inverse=True)
    n_kept = int(keep.sum())
    # A pair's strength already holds its purchases; a purchase row only fills in for a
    # pair that was left out (it was touched again around the held-out order).
    strength = np.zeros(keys.size)
    np.maximum.at(strength, slot[:n_kept], h.pair_strength[keep])
    bought_count = np.bincount(slot[n_kept:], minlength=keys.size).astype(np.float64)
    strength = np.maximum(strength, PURCHASE_STRENGTH * bought_count)
    last = np.full(keys.size, -np.inf)
    np.maximum.at(last, slot, np.concatenate([h.pair_last[keep], h.buy_at[buys]]))
    k_row, k_item = keys // h.n_items, keys % h.n_items
    shape = (users.size, h.n_items)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(k_row, minlength=users.size))])
    matrix = sp.csr_matrix((np.log2(1.0 + strength), k_item, indptr), shape=shape)
    had = bought_count > 0
    bought = sp.csr_matrix((np.ones(int(had.sum())), (k_row[had], k_item[had])), shape=shape)
    return Profiles(users, matrix, last, bought)


def bestseller_scores(h: History, buys: npt.NDArray[np.bool_] | None = None) -> FloatArray:
    """Purchases per good (interactions when nothing was bought yet); inactive goods 0."""
    items = h.buy_item if buys is None else h.buy_item[buys]
    counts = np.bincount(items, minlength=h.n_items).astype(np.float64)
    if counts.sum() == 0:
        counts = np.bincount(h.pair_item, weights=h.pair_strength, minlength=h.n_items).astype(
            np.float64
        )
    counts[~h.active] = 0.0
    return counts


@dataclass
class _Grid:
    """Candidates per validation shopper as [users, M] arrays (-1 = padding)."""

    items: IntArray
    target: npt.NDArray[np.bool_]
    targets: FloatArray
    bought: npt.NDArray[np.bool_]  # the candidate was bought by the shopper in training
    new_targets: FloatArray  # held-out goods the shopper never bought
    popular: FloatArray
    discovery: dict[tuple[str, float], FloatArray]
    repeat_row: IntArray  # long format: (row, col) of each bought good among the candidates
    repeat_col: IntArray
    repeat_item: IntArray
    repeat_last: FloatArray
    repeat_now: FloatArray
    repeat_weighted: dict[float, FloatArray]
    item_rate: FloatArray
    item_cycle: FloatArray

    def repeat(self, params: RepeatParams) -> FloatArray:
        values = repeat_scores(
            self.repeat_weighted[params.decay],
            self.repeat_last,
            self.repeat_item,
            self.item_rate,
            self.item_cycle,
            self.repeat_now,
            params,
        )
        out = np.zeros(self.items.shape)
        out[self.repeat_row, self.repeat_col] = values
        return out

    def grade(self, blend: Blend, new_only: bool = False) -> tuple[float, float, float]:
        """(HR@10, NDCG@10, Recall@10) of a blend; `new_only` grades the held-out goods the
        shopper never bought, with bought goods left out of the ranking."""
        zeros = np.zeros(self.items.shape)
        repeat = self.repeat(blend.repeat_params) if blend.repeat > 0 else zeros
        key = (blend.scorer, blend.half_life)
        discovery = self.discovery.get(key, zeros) if blend.discovery > 0 else zeros
        scores = blend.scores(repeat, discovery, self.popular)
        scores[(self.items < 0) | (scores <= 0)] = -np.inf
        target, targets = self.target, self.targets
        if new_only:
            scores[self.bought] = -np.inf
            target = target & ~self.bought
            targets = self.new_targets
        k = min(K, scores.shape[1])
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        rows = np.arange(scores.shape[0])[:, None]
        top = np.take_along_axis(top, np.argsort(-scores[rows, top], axis=1), axis=1)
        hits = target[rows, top] & np.isfinite(scores[rows, top])
        judged = targets > 0
        if not judged.any():
            return 0.0, 0.0, 0.0
        hits, found, targets = hits[judged], hits[judged].sum(axis=1), targets[judged]
        discount = 1.0 / np.log2(np.arange(k) + 2.0)
        ideal = np.cumsum(discount)[np.minimum(targets, k).astype(np.int64) - 1]
        ndcg = (hits * discount).sum(axis=1) / ideal
        return float((found > 0).mean()), float(ndcg.mean()), float((found / targets).mean())


def choose_blend(
    h: History, build: NeighbourBuilder, scorers: tuple[str, ...], seed: int = 0
) -> tuple[Blend, Validation]:
    """Grade every candidate on held-out last baskets and return the best, with its figures.

    `build(scorer, user_index, item_index, n_users, needed_items)` trains a scorer's
    neighbours on the training pairs only; scorers it cannot build (None) are skipped."""
    split = _split(h, seed)
    if split is None:
        return SMALL_SHOP, NOT_JUDGED
    keep, buys, eval_users, held_rows, now = split
    train = profiles(h, keep, buys)
    rows = np.searchsorted(train.users, eval_users)
    known = (rows < train.users.size) & (
        train.users[np.minimum(rows, train.users.size - 1)] == eval_users
    )
    pair_rows = train.matrix.tocoo()
    needed = np.unique(train.matrix[rows[known]].indices).astype(np.int64)
    neighbours = {}
    for name in scorers:
        matrix = build(
            name,
            pair_rows.row.astype(np.int64),
            pair_rows.col.astype(np.int64),
            train.users.size,
            needed,
        )
        if matrix is not None:
            neighbours[name] = matrix
    grid = _grid(h, train, neighbours, eval_users, rows, known, held_rows, now, buys)
    tried: list[tuple[float, float, float, Blend]] = []

    def grade(blend: Blend) -> tuple[float, float, float]:
        hr, ndcg, recall = grid.grade(blend)
        tried.append((hr, ndcg, recall, blend))
        return hr, ndcg, recall

    base_hr = grade(BESTSELLERS)[0]
    best_repeat = max(
        REPEAT_GRID,
        key=lambda p: grade(Blend(f"buy again ({p.label()})", 1.0, 0.0, FILL, "none", p)),
    )
    del tried[1:]  # buy-again alone only picks its parameters; "for you" always discovers
    # Discovery (scorer, recency, bestsellers share) is chosen on the goods shoppers had
    # never bought; then the share of buy-again against it on every good of the basket.
    options = [
        Blend(_SCORER_NAMES[name], 0.0, 1.0, p, name, best_repeat, hl)
        for name in neighbours
        for hl in HALF_LIVES
        for p in POPULAR_WEIGHTS
    ]
    if options:
        found = max(options, key=lambda b: grid.grade(b, new_only=True))
        for d in DISCOVERY_WEIGHTS:
            label = f"buy again + {found.name}"
            grade(
                Blend(label, 1.0, d, d * found.popular, found.scorer, best_repeat, found.half_life)
            )
        grade(found)
    else:
        for d in DISCOVERY_WEIGHTS:
            grade(Blend("buy again + bestsellers", 1.0, 0.0, d, "none", best_repeat))
    hr, ndcg, recall, chosen = max(tried, key=lambda t: (t[0], t[1], t[2]))
    if hr < base_hr:
        hr, ndcg, recall, chosen = tried[0]  # bestsellers
    tried_count = len(tried) + len(REPEAT_GRID) + len(options)
    return chosen, Validation(int(eval_users.size), hr, base_hr, recall, ndcg, tried_count)


_SCORER_NAMES = {"knn": "item-kNN", "ease": "EASE", "content": "content similarity"}


def _split(
    h: History, seed: int
) -> (
    tuple[
        npt.NDArray[np.bool_], npt.NDArray[np.bool_], IntArray, npt.NDArray[np.bool_], FloatArray
    ]
    | None
):
    """Kept pairs, kept purchase rows, validation users, their held-out rows and times."""
    baskets = group_baskets(h.buy_user, h.buy_at)
    if baskets.count == 0:
        return None
    users, counts = np.unique(baskets.basket_user, return_counts=True)
    last_basket = np.cumsum(counts) - 1  # baskets are sorted by user, then time
    eligible = counts >= 2
    if int(eligible.sum()) < MIN_VALIDATION_USERS:
        return None
    picked = np.flatnonzero(eligible)
    if picked.size > MAX_VALIDATION_USERS:
        rng = np.random.default_rng(seed)
        picked = np.sort(rng.choice(picked, MAX_VALIDATION_USERS, replace=False))
    eval_users = users[picked]
    held_baskets = last_basket[picked]
    now = baskets.basket_at[held_baskets]
    held_rows = np.isin(baskets.row_basket, held_baskets)
    cutoff = np.full(users.size, np.inf)
    cutoff[picked] = now - HOLDOUT_MARGIN
    pair_slot = np.searchsorted(users, h.pair_user)
    pair_slot = np.minimum(pair_slot, users.size - 1)
    is_buyer = users[pair_slot] == h.pair_user
    keep = ~is_buyer | (h.pair_last < cutoff[pair_slot])
    buy_slot = np.searchsorted(users, h.buy_user)
    buys = ~held_rows & (h.buy_at < cutoff[buy_slot] + HOLDOUT_MARGIN)
    return keep, buys, eval_users, held_rows, now


def _grid(
    h: History,
    train: Profiles,
    neighbours: dict[str, sp.csr_matrix],
    eval_users: IntArray,
    rows: IntArray,
    known: npt.NDArray[np.bool_],
    held_rows: npt.NDArray[np.bool_],
    now: FloatArray,
    buys: npt.NDArray[np.bool_],
) -> _Grid:
    popular = bestseller_scores(h, buys)
    top_popular = _top(popular, CANDIDATES)
    decays = tuple(sorted({p.decay for p in REPEAT_GRID}))
    profile = repeat_profile(
        h.buy_user[buys], h.buy_item[buys], h.buy_at[buys], h.n_items, h.category, decays
    )
    safe_rows = np.where(known, rows, 0)
    scored = {}
    picked, picked_last = train.rows(safe_rows)
    for half_life in HALF_LIVES:
        mine = decay(picked, picked_last, half_life)
        for name, m in neighbours.items():
            scored[name, half_life] = sp_csr(mine @ m)
    held_user = h.buy_user[held_rows]
    held_item = h.buy_item[held_rows]
    lists: list[IntArray] = []
    rep: list[tuple[int, IntArray, IntArray]] = []
    bought_items: list[IntArray] = []
    for e, user in enumerate(eval_users.tolist()):
        lo, hi = np.searchsorted(profile.pair_user, [user, user + 1])
        mine = np.arange(lo, hi)
        bought_items.append(profile.pair_item[lo:hi])
        if mine.size > MAX_REPEAT_CANDIDATES:
            mine = mine[np.argsort(-profile.weighted[decays[-1]][mine])[:MAX_REPEAT_CANDIDATES]]
        parts = [profile.pair_item[mine], top_popular]
        for matrix in scored.values():
            lo, hi = matrix.indptr[e], matrix.indptr[e + 1]
            if known[e] and hi > lo:
                parts.append(matrix.indices[lo:hi][_top(matrix.data[lo:hi], CANDIDATES)])
        items = np.unique(np.concatenate(parts))
        if known[e]:  # goods only looked at (never bought) are not offered by "for you"
            r = rows[e]
            seen = train.matrix.indices[train.matrix.indptr[r] : train.matrix.indptr[r + 1]]
            got = train.bought.indices[train.bought.indptr[r] : train.bought.indptr[r + 1]]
            items = items[~np.isin(items, np.setdiff1d(seen, got))]
            # bought goods that buyers rarely buy again are left out, as when serving
            items = items[~np.isin(items, got[profile.item_rate[got] < REPEATABLE_RATE])]
        items = items[h.active[items]]
        lists.append(items)
        rep.append((e, mine, items))
    width = max(1, max(len(x) for x in lists))
    n = eval_users.size
    cand = np.full((n, width), -1, dtype=np.int64)
    for e, items in enumerate(lists):
        cand[e, : items.size] = items
    safe = np.maximum(cand, 0)
    target = np.zeros((n, width), dtype=np.bool_)
    held_slot = np.searchsorted(eval_users, held_user)
    for e in range(n):
        goods = held_item[held_slot == e]
        target[e] = np.isin(cand[e], goods) & (cand[e] >= 0)
    targets = np.array([np.unique(held_item[held_slot == e]).size for e in range(n)], dtype=float)
    bought = np.zeros((n, width), dtype=np.bool_)
    for e, items in enumerate(lists):
        bought[e, : items.size] = np.isin(items, bought_items[e])
    new_targets = np.array(
        [
            np.setdiff1d(np.unique(held_item[held_slot == e]), bought_items[e]).size
            for e in range(n)
        ],
        dtype=float,
    )
    discovery = {}
    for key, matrix in scored.items():
        dense = np.zeros((n, width))
        matrix.sort_indices()
        for e in range(n):
            lo, hi = matrix.indptr[e], matrix.indptr[e + 1]
            if not known[e] or lo == hi:
                continue
            cols, vals = matrix.indices[lo:hi], matrix.data[lo:hi]
            at = np.minimum(np.searchsorted(cols, safe[e]), cols.size - 1)
            dense[e] = np.where(cols[at] == safe[e], vals[at], 0.0)
        discovery[key] = np.where(cand >= 0, np.maximum(dense, 0.0), 0.0)
    r_row, r_col, r_pair = [], [], []
    for e, mine, items in rep:
        cols = np.searchsorted(items, profile.pair_item[mine])
        ok = (
            (cols < items.size)
            & (items[np.minimum(cols, max(items.size - 1, 0))] == profile.pair_item[mine])
            if items.size
            else cols < 0
        )
        r_row.append(np.full(int(ok.sum()), e))
        r_col.append(cols[ok])
        r_pair.append(mine[ok])
    pair = np.concatenate(r_pair) if r_pair else np.zeros(0, dtype=np.int64)
    r = np.concatenate(r_row) if r_row else np.zeros(0, dtype=np.int64)
    return _Grid(
        items=cand,
        target=target,
        targets=np.maximum(targets, 1.0),
        bought=bought,
        new_targets=new_targets,
        popular=np.where(cand >= 0, popular[safe], 0.0),
        discovery=discovery,
        repeat_row=r.astype(np.int64),
        repeat_col=(np.concatenate(r_col) if r_col else r).astype(np.int64),
        repeat_item=profile.pair_item[pair],
        repeat_last=profile.pair_last[pair],
        repeat_now=now[r],
        repeat_weighted={d: w[pair] for d, w in profile.weighted.items()},
        item_rate=profile.item_rate,
        item_cycle=profile.item_cycle,
    )


def _top(values: FloatArray, limit: int) -> IntArray:
    positive = np.flatnonzero(values > 0)
    if positive.size > limit:
        positive = positive[np.argpartition(-values[positive], limit - 1)[:limit]]
    return positive.astype(np.int64)


def sp_csr(matrix: sp.spmatrix) -> sp.csr_matrix:
    import scipy.sparse as sp

    return sp.csr_matrix(matrix)
