"""Buy again: the repurchase signal learnt from the shop's own orders.

Purchases are grouped into baskets (one shopper's purchases within `BASKET_GAP` seconds of
each other: one order). From the baskets the shop learns, per good, how often buyers come
back for it (its repeat rate) and after how long (its cycle), falling back to the good's
category and then the whole shop when a good has few repeat buyers. A shopper's buy-again
score for a good is their recency-weighted purchase frequency, times the good's repeat rate,
times how due the next purchase is. Nothing is listed by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from domain.recommend.ledger import FloatArray, IntArray

BASKET_GAP = 30 * 60.0  # purchases of one shopper this close together are one order
DAY = 86400.0
DEFAULT_CYCLE_DAYS = 30.0  # no repeat purchase anywhere in the shop yet
MIN_CYCLE_GAPS = 3  # fewer observed gaps than this: use the category's (or the shop's) cycle
REPEATABLE_RATE = 0.25  # learnt repeat rate from which a bought good may be suggested again
RATE_PRIOR = 5.0  # pseudo-buyers pulling a good's repeat rate towards its category's


@dataclass(frozen=True, slots=True)
class RepeatParams:
    """How buy-again scores: `decay` per basket of age (1 = plain frequency), `use_rate`
    multiplies by the good's learnt repeat rate, `use_cycle` by how due the good is."""

    decay: float = 0.8
    use_rate: bool = True
    use_cycle: bool = True

    def label(self) -> str:
        parts = [f"decay {self.decay:g}"]
        if self.use_rate:
            parts.append("repeat rate")
        if self.use_cycle:
            parts.append("cycle")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Baskets:
    """Purchases grouped into baskets: per purchase row its basket; per basket its user,
    time and position among that user's baskets (0 = first)."""

    row_basket: IntArray
    basket_user: IntArray
    basket_at: FloatArray
    basket_position: IntArray

    @property
    def count(self) -> int:
        return int(self.basket_user.size)


def group_baskets(user: IntArray, at: FloatArray, gap: float = BASKET_GAP) -> Baskets:
    """Rows must be sorted by user, then time (the ledger keeps them so)."""
    if user.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Baskets(empty, empty, np.zeros(0), empty)
    new = np.ones(user.size, dtype=np.bool_)
    new[1:] = (user[1:] != user[:-1]) | (at[1:] - at[:-1] > gap)
    row_basket = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    basket_user = user[starts]
    first_of_user = np.ones(starts.size, dtype=np.bool_)
    first_of_user[1:] = basket_user[1:] != basket_user[:-1]
    run_start = np.maximum.accumulate(np.where(first_of_user, np.arange(starts.size), 0))
    position = np.arange(starts.size) - run_start
    return Baskets(row_basket.astype(np.int64), basket_user, at[starts], position.astype(np.int64))


@dataclass(frozen=True, slots=True)
class RepeatProfile:
    """What one training history says about repurchase, over item *indices*.

    Per (user, item) pair, sorted by user: the recency-weighted frequency under each decay
    asked for, the last purchase time and the number of baskets; per item its repeat rate
    and cycle (seconds)."""

    pair_user: IntArray
    pair_item: IntArray
    pair_last: FloatArray
    pair_count: IntArray
    weighted: dict[float, FloatArray]
    item_rate: FloatArray
    item_cycle: FloatArray


def repeat_profile(
    user: IntArray,
    item_index: IntArray,
    at: FloatArray,
    n_items: int,
    category: IntArray,
    decays: tuple[float, ...] = (0.8,),
) -> RepeatProfile:
    """Learn repeat rates and cycles, and each shopper's frequencies, from purchase rows
    (sorted by user then time; `item_index` into the model's items, `category` per index)."""
    baskets = group_baskets(user, at)
    basket = baskets.row_basket
    # One row per (basket, item): a good twice in an order is one purchase of it.
    key = basket * n_items + item_index
    key = np.unique(key)
    b = key // n_items
    i = key % n_items
    u = baskets.basket_user[b]
    t = baskets.basket_at[b]
    # Pairs (user, item) and, for each purchase, its position among the user's baskets.
    pair_key = u * n_items + i
    order = np.lexsort((t, pair_key))
    pair_key, b, i, u, t = pair_key[order], b[order], i[order], u[order], t[order]
    pairs, pair_of = np.unique(pair_key, return_inverse=True)
    n_pairs = pairs.size
    last_position = _last_position_per_user(baskets)
    age = last_position[b] - baskets.basket_position[b]  # baskets since this one (0 = latest)
    weighted: dict[float, FloatArray] = {
        d: np.bincount(
            pair_of, weights=np.power(d, age.astype(np.float64)), minlength=n_pairs
        ).astype(np.float64)
        for d in decays
    }
    count = np.bincount(pair_of, minlength=n_pairs).astype(np.int64)
    last = np.full(n_pairs, -np.inf)
    np.maximum.at(last, pair_of, t)
    # Gaps between consecutive purchases of the same good by the same shopper.
    same = pair_key[1:] == pair_key[:-1]
    gaps = (t[1:] - t[:-1])[same]
    gap_items = i[1:][same]
    item_cycle = _cycles(gap_items, gaps, n_items, category)
    # Repeat rate: of the shoppers who bought a good and came back to the shop afterwards,
    # the share who bought that good again.
    pair_first = np.full(n_pairs, np.inf)
    np.minimum.at(pair_first, pair_of, t)
    pair_u = pairs // n_items
    pair_i = pairs % n_items
    user_last_at = _user_last_at(baskets)
    came_back = user_last_at[np.searchsorted(_users(baskets), pair_u)] > pair_first
    repeated = count > 1
    item_rate = _rates(pair_i[came_back], repeated[came_back], n_items, category)
    return RepeatProfile(
        pair_user=pair_u.astype(np.int64),
        pair_item=pair_i.astype(np.int64),
        pair_last=last,
        pair_count=count,
        weighted=weighted,
        item_rate=item_rate,
        item_cycle=item_cycle,
    )


def _users(baskets: Baskets) -> IntArray:
    return np.unique(baskets.basket_user)


def _user_last_at(baskets: Baskets) -> FloatArray:
    users = _users(baskets)
    last = np.full(users.size, -np.inf)
    np.maximum.at(last, np.searchsorted(users, baskets.basket_user), baskets.basket_at)
    return last


def _last_position_per_user(baskets: Baskets) -> IntArray:
    """Per basket: the position of its user's latest basket."""
    users = _users(baskets)
    slot = np.searchsorted(users, baskets.basket_user)
    top = np.zeros(users.size, dtype=np.int64)
    np.maximum.at(top, slot, baskets.basket_position)
    return top[slot]


def _cycles(items: IntArray, gaps: FloatArray, n_items: int, category: IntArray) -> FloatArray:
    """Median gap per item; the category's median with too few gaps; then the shop's."""
    shop = float(np.median(gaps)) if gaps.size else DEFAULT_CYCLE_DAYS * DAY
    cycle = np.full(n_items, shop)
    if gaps.size == 0:
        return cycle
    cats, cat_median, cat_count = _medians(category[items], gaps)
    cat_known = cats[cat_count >= MIN_CYCLE_GAPS]
    cat_value = cat_median[cat_count >= MIN_CYCLE_GAPS]
    slot = np.searchsorted(cat_known, category)
    found = (
        (slot < cat_known.size)
        & (cat_known[np.minimum(slot, max(cat_known.size - 1, 0))] == category)
        if cat_known.size
        else slot < 0
    )
    cycle[found] = cat_value[slot[found]]
    own, own_median, own_count = _medians(items, gaps)
    enough = own_count >= MIN_CYCLE_GAPS
    cycle[own[enough]] = own_median[enough]
    return np.asarray(np.maximum(cycle, DAY / 24), dtype=np.float64)


def _medians(groups: IntArray, values: FloatArray) -> tuple[IntArray, FloatArray, IntArray]:
    """Per group (sorted): the median of its values and how many there are (vectorised)."""
    order = np.lexsort((values, groups))
    groups, values = groups[order], values[order]
    keys, starts, counts = np.unique(groups, return_index=True, return_counts=True)
    low = values[starts + (counts - 1) // 2]
    high = values[starts + counts // 2]
    return keys, (low + high) / 2.0, counts


def _rates(
    items: IntArray, repeated: npt.NDArray[np.bool_], n_items: int, category: IntArray
) -> FloatArray:
    """Shrunk repeat rates: item towards category, category towards the shop."""
    buyers = np.bincount(items, minlength=n_items).astype(np.float64)
    again = np.bincount(items, weights=repeated.astype(np.float64), minlength=n_items)
    shop = (again.sum() + 0.5) / (buyers.sum() + 1.0)
    cats, cat_of = np.unique(category, return_inverse=True)
    cat_buyers = np.bincount(cat_of, weights=buyers, minlength=cats.size)
    cat_again = np.bincount(cat_of, weights=again, minlength=cats.size)
    cat_rate = (cat_again + RATE_PRIOR * shop) / (cat_buyers + RATE_PRIOR)
    prior = cat_rate[cat_of]
    rate: FloatArray = (again + RATE_PRIOR * prior) / (buyers + RATE_PRIOR)
    return rate


def due_factor(elapsed: FloatArray, cycle: FloatArray) -> FloatArray:
    """How due a repurchase is: 1 around one cycle after the last purchase, lower long
    before (just bought) and slowly lower long after (perhaps no longer wanted)."""
    ratio = np.maximum(elapsed, 0.0) / np.maximum(cycle, 1.0)
    log_ratio = np.log(np.maximum(ratio, 1e-3))
    spread = np.where(log_ratio < 0, 0.8, 1.6)
    due: FloatArray = 0.05 + 0.95 * np.exp(-(log_ratio**2) / (2 * spread**2))
    return due


def repeat_scores(
    weighted: FloatArray,
    last: FloatArray,
    items: IntArray,
    item_rate: FloatArray,
    item_cycle: FloatArray,
    now: float | FloatArray,  # one moment, or one per good (a validation's held-out orders)
    params: RepeatParams,
) -> FloatArray:
    """Buy-again scores of one shopper's bought goods (aligned with `items`)."""
    score = weighted.astype(np.float64)
    if params.use_rate:
        score = score * item_rate[items]
    if params.use_cycle:
        score = score * due_factor(now - last, item_cycle[items])
    return score
