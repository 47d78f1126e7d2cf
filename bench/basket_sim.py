"""A documented shop simulator: baskets with repeat-purchase cycles and category structure.

Used by bench/recsys_eval.py as the second data set because no registry package was found
that ships a real e-commerce basket data set other than the Instacart sample reserved as the
held-out check (what was searched is listed in the README's "Recommendations" section).

The shop:
- `n_categories` categories; each has a repeat propensity (consumables such as coffee come
  back, durables such as a kettle rarely) drawn from Beta(0.7, 0.7), and a repurchase cycle
  drawn log-normally around 7..60 days. Goods sit in categories; within a category goods have
  Zipf(1.1) popularity.
- Each shopper likes a few categories (Dirichlet(0.3) over categories, mixed 80/20 with the
  shop's category popularity) and visits every ~`visit_days` days (exponential gaps).
- A visit's basket: every good the shopper already buys regularly is added when it is due
  (elapsed time beyond its personal cycle, jittered ±30 %) with probability 0.85; then 1-4
  new goods from the liked categories. A newly bought good becomes a regular with its
  category's repeat propensity. Empty baskets are not recorded.

Deterministic for a given seed. Returns rows (user, item, epoch seconds, category of item).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = 86400.0


@dataclass(frozen=True)
class SimulatedShop:
    user: np.ndarray
    item: np.ndarray
    at: np.ndarray
    item_category: np.ndarray  # per item id
    n_items: int


def simulate(
    *,
    n_users: int = 3000,
    n_items: int = 2000,
    n_categories: int = 60,
    days: int = 365,
    visit_days: float = 14.0,
    seed: int = 0,
) -> SimulatedShop:
    rng = np.random.default_rng(seed)
    category = np.sort(rng.integers(0, n_categories, n_items))
    propensity = rng.beta(0.7, 0.7, n_categories)
    cycle = np.exp(rng.uniform(np.log(7), np.log(60), n_categories)) * DAY
    cat_pop = rng.dirichlet(np.full(n_categories, 1.0))
    members = [np.flatnonzero(category == c) for c in range(n_categories)]
    in_cat_pop = []
    for goods in members:
        w = 1.0 / np.power(np.arange(1, goods.size + 1), 1.1)
        in_cat_pop.append(w / w.sum() if goods.size else w)
    users, items, times = [], [], []
    for u in range(n_users):
        taste = 0.8 * rng.dirichlet(np.full(n_categories, 0.3)) + 0.2 * cat_pop
        taste /= taste.sum()
        regular: dict[int, tuple[float, float]] = {}  # item -> (personal cycle, last time)
        t = rng.exponential(visit_days) * DAY
        while t < days * DAY:
            basket = set()
            for item, (own_cycle, last) in list(regular.items()):
                if t - last >= own_cycle * rng.uniform(0.7, 1.3) and rng.random() < 0.85:
                    basket.add(item)
            for _ in range(int(rng.integers(1, 5))):
                c = int(rng.choice(n_categories, p=taste))
                if members[c].size == 0:
                    continue
                item = int(rng.choice(members[c], p=in_cat_pop[c]))
                basket.add(item)
            for item in basket:
                users.append(u)
                items.append(item)
                times.append(t + rng.uniform(0, 600))
                c = int(category[item])
                if item in regular:
                    regular[item] = (regular[item][0], t)
                elif rng.random() < propensity[c]:
                    regular[item] = (cycle[c] * rng.uniform(0.6, 1.6), t)
            t += max(0.5, rng.exponential(visit_days)) * DAY
    order = np.lexsort((np.array(times), np.array(users)))
    return SimulatedShop(
        np.array(users, dtype=np.int64)[order],
        np.array(items, dtype=np.int64)[order],
        np.array(times)[order],
        category,
        n_items,
    )
