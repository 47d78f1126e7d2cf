"""Pure helpers that turn a user's events and a model into ranked candidates."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from domain.recommend.events import Interaction, InteractionKind
from domain.recommend.ledger import FloatArray, IntArray
from domain.recommend.model import RecommendationModel
from domain.recommend.repeat import BASKET_GAP, repeat_scores


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommended item; `reason` says which signal put it here (for logs and copy):
    "similar", "bought_together", "history", "again" (buy again), "popular", "trending"
    or "new"."""

    item_id: int
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class RecommendationPage:
    items: tuple[Recommendation, ...]
    page: int
    has_more: bool

    @property
    def item_ids(self) -> list[int]:
        return [r.item_id for r in self.items]


EMPTY_PAGE = RecommendationPage((), 0, False)


@dataclass(frozen=True, slots=True)
class UserHistory:
    """A user's recent distinct items with their weights (newest first) and what they bought."""

    weighted: tuple[tuple[int, float], ...]
    bought: frozenset[int]
    strength: tuple[tuple[int, float], ...] = ()  # summed event strength per item
    purchases: tuple[tuple[int, float], ...] = ()  # (item, epoch seconds), newest first
    touched: dict[int, float] = field(default_factory=dict)  # item -> latest event time

    @property
    def items(self) -> frozenset[int]:
        return frozenset(item for item, _ in self.weighted)


def weigh_history(
    events: Sequence[Interaction], kind_weights: Mapping[str, float], half_life: float
) -> UserHistory:
    """Distinct items, newest first; weight = 2^-(position / half_life) * log2(1 + strength).

    Position rather than clock time: what matters is what the person looked at *last*, whether
    that was a minute or a month ago. Strength sums every event on the item, so a purchase
    outweighs a glance.
    """
    strength: dict[int, float] = {}
    bought: set[int] = set()
    purchases: list[tuple[int, float]] = []
    touched: dict[int, float] = {}
    for event in events:
        touched[event.item_id] = max(touched.get(event.item_id, 0.0), event.at.timestamp())
        strength[event.item_id] = strength.get(event.item_id, 0.0) + event.strength(kind_weights)
        if event.kind == InteractionKind.PURCHASE:
            bought.add(event.item_id)
            purchases.append((event.item_id, event.at.timestamp()))
    weighted = tuple(
        (item, math.pow(0.5, position / half_life) * math.log2(1.0 + total))
        for position, (item, total) in enumerate(strength.items())
    )
    return UserHistory(
        weighted, frozenset(bought), tuple(strength.items()), tuple(purchases), touched
    )


CANDIDATES = 100  # per signal; the blend ranks their union (as the self-tuning did)


@dataclass(frozen=True, slots=True)
class Personal:
    """A shopper's signals over item indices: profile weights, bought flags, buy-again."""

    items: IntArray
    weights: FloatArray
    bought: npt.NDArray[np.bool_]
    repeat_items: IntArray
    repeat_scores: FloatArray
    last: FloatArray  # per profile item: when it was last touched

    def decayed(self, half_life: float) -> FloatArray:
        """Weights times 2^-(position / half_life), newest first; 0 = no decay."""
        if half_life <= 0 or self.items.size == 0:
            return self.weights
        position = np.empty(self.items.size)
        position[np.lexsort((self.items, -self.last))] = np.arange(self.items.size)
        return self.weights * np.power(0.5, position / half_life)


def personal_signals(
    model: RecommendationModel, user_id: int, history: UserHistory, now: float
) -> Personal:
    """The model's view of the shopper merged with their events since the last build."""
    items, weights, bought, touched = model.profile_of(user_id)
    merged = dict(zip(items.tolist(), weights.tolist(), strict=True))
    was_bought = dict(zip(items.tolist(), bought.tolist(), strict=True))
    touched_at = dict(zip(items.tolist(), touched.tolist(), strict=True))
    for item_id, total in history.strength:
        index = model.index_of(item_id)
        if index is not None:
            merged[index] = max(merged.get(index, 0.0), math.log2(1.0 + total))
            was_bought[index] = was_bought.get(index, False) or item_id in history.bought
            touched_at[index] = max(
                touched_at.get(index, -math.inf), history.touched.get(item_id, 0.0)
            )
    r_items, r_weight, r_last = model.repeats_of(user_id)
    repeat = dict(
        zip(r_items.tolist(), zip(r_weight.tolist(), r_last.tolist(), strict=True), strict=True)
    )
    for item_id, at in history.purchases:  # bought after the build read: count once more
        index = model.index_of(item_id)
        if index is None:
            continue
        weight, last = repeat.get(index, (0.0, -math.inf))
        if at > last + BASKET_GAP:
            repeat[index] = (weight + 1.0, at)
    keys = np.fromiter(repeat, dtype=np.int64, count=len(repeat))
    values = np.array(list(repeat.values()), dtype=np.float64).reshape(len(repeat), 2)
    scores = repeat_scores(
        values[:, 0],
        values[:, 1],
        keys,
        model.item_rate,
        model.item_cycle,
        now,
        model.blend.repeat_params,
    )
    profile = np.fromiter(merged, dtype=np.int64, count=len(merged))
    return Personal(
        profile,
        np.fromiter(merged.values(), dtype=np.float64, count=len(merged)),
        np.array([was_bought[i] for i in merged], dtype=np.bool_),
        keys,
        scores,
        np.array([touched_at[i] for i in merged], dtype=np.float64),
    )


def blended_candidates(
    model: RecommendationModel, signals: Personal, limit: int
) -> Iterator[Recommendation]:
    """ "For you" as the self-tuning chose it: buy-again, discovery and bestsellers blended
    over the union of each one's best goods. Goods only looked at are left out. Works on
    the few goods involved, never on arrays the size of the catalogue."""
    blend = model.blend
    d_items = np.zeros(0, dtype=np.int64)
    d_scores = np.zeros(0)
    if blend.discovery > 0 and signals.items.size:
        d_items, d_scores = model.neighbour_scores(
            signals.items, signals.decayed(blend.half_life), model.discovery
        )
        positive = d_scores > 0
        d_items, d_scores = d_items[positive], d_scores[positive]
        best = _top_positions(d_scores, CANDIDATES)
        d_items, d_scores = d_items[best], d_scores[best]
    popular = model.popular_top(CANDIDATES)
    r_items = signals.repeat_items if blend.repeat > 0 else np.zeros(0, dtype=np.int64)
    cand = np.unique(np.concatenate([r_items, d_items, popular])).astype(np.int64)
    cand = cand[~np.isin(cand, signals.items[~signals.bought])]
    if cand.size == 0:
        return
    r = _aligned(cand, r_items, signals.repeat_scores if blend.repeat > 0 else np.zeros(0))
    d = _aligned(cand, d_items, d_scores)
    p = model.popular[cand]
    scores = blend.scores(r, d, p)
    order = np.lexsort((cand, -scores))[:limit]
    order = order[scores[order] > 0]
    shares = np.vstack(
        [blend.repeat * _scaled(r), blend.discovery * _scaled(d), blend.popular * _scaled(p)]
    )
    reasons = np.argmax(shares[:, order], axis=0).tolist()
    ids = model.item_ids[cand[order]].tolist()
    for item_id, score, reason in zip(ids, scores[order].tolist(), reasons, strict=True):
        yield Recommendation(int(item_id), float(score), _REASONS[reason])


_REASONS = ("again", "history", "popular")


def _aligned(cand: IntArray, items: IntArray, values: FloatArray) -> FloatArray:
    """`values` (of `items`) at the positions of `cand` (sorted), 0 where absent."""
    out = np.zeros(cand.size)
    if items.size:
        at = np.searchsorted(cand, items)
        ok = at < cand.size
        ok[ok] = cand[at[ok]] == items[ok]
        out[at[ok]] = values[ok]
    return out


def _top_positions(values: FloatArray, limit: int) -> IntArray:
    if values.size <= limit:
        return np.arange(values.size)
    return np.argpartition(-values, limit - 1)[:limit]


def buy_again_candidates(
    model: RecommendationModel, signals: Personal
) -> Iterator[Recommendation]:
    """The shopper's bought goods, most due for another purchase first."""
    order = np.lexsort((signals.repeat_items, -signals.repeat_scores))
    for at in order.tolist():
        index = int(signals.repeat_items[at])
        yield Recommendation(int(model.item_ids[index]), float(signals.repeat_scores[at]), "again")


def _scaled(values: FloatArray) -> FloatArray:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values


def top_indices(scores: FloatArray, limit: int) -> list[int]:
    """Indices of the `limit` best positive scores, best first (ties by index)."""
    positive = np.flatnonzero(scores > 0)
    if positive.size > limit:
        positive = positive[np.argpartition(-scores[positive], limit - 1)[:limit]]
    order = np.lexsort((positive, -scores[positive]))
    return [int(i) for i in positive[order]]


def from_indices(
    model: RecommendationModel, indices: Sequence[int], reason: str
) -> Iterator[Recommendation]:
    count = len(indices)
    for rank, index in enumerate(indices):
        yield Recommendation(int(model.item_ids[index]), float(count - rank) / count, reason)


def from_pairs(pairs: Sequence[tuple[int, float]], reason: str) -> Iterator[Recommendation]:
    for item_id, score in pairs:
        yield Recommendation(item_id, score, reason)
