"""Pure helpers that turn a user's events and a model into ranked candidates."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from domain.recommend.config import RecommendConfig
from domain.recommend.events import Interaction, InteractionKind
from domain.recommend.ledger import FloatArray
from domain.recommend.model import RecommendationModel


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommended item; `reason` says which signal put it here (for logs and copy):
    "similar", "bought_together", "history", "trending" or "new"."""

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
    for event in events:
        strength[event.item_id] = strength.get(event.item_id, 0.0) + event.strength(kind_weights)
        if event.kind == InteractionKind.PURCHASE:
            bought.add(event.item_id)
    weighted = tuple(
        (item, math.pow(0.5, position / half_life) * math.log2(1.0 + total))
        for position, (item, total) in enumerate(strength.items())
    )
    return UserHistory(weighted, frozenset(bought))


def normalised(scores: FloatArray) -> FloatArray:
    top = float(scores.max()) if scores.size else 0.0
    return scores / top if top > 0 else scores


def trend_vector(model: RecommendationModel) -> FloatArray:
    """Trend scores over all item indices, scaled to 0..1."""
    vector = np.zeros(model.item_ids.size)
    vector[model.trending] = model.trend_scores
    return normalised(vector)


def top_indices(scores: FloatArray, limit: int) -> list[int]:
    """Indices of the `limit` best positive scores, best first (ties by index)."""
    positive = np.flatnonzero(scores > 0)
    if positive.size > limit:
        positive = positive[np.argpartition(-scores[positive], limit - 1)[:limit]]
    order = np.lexsort((positive, -scores[positive]))
    return [int(i) for i in positive[order]]


def for_you_candidates(
    model: RecommendationModel,
    history: UserHistory,
    config: RecommendConfig,
    limit: int,
    exclude: Collection[int] = (),
) -> Iterator[Recommendation]:
    """History scored through item neighbours; trending blended in for cold users.

    `exclude` (item ids) is removed before ranking, so a full `limit` of other items remains.
    """
    scores = normalised(model.score_history(history.weighted)) if history.weighted else None
    cold = len(history.weighted) < config.cold_user_items
    if scores is None:
        scores, reason = trend_vector(model), "trending"
    else:
        reason = "history"
        if cold:
            scores = scores + config.cold_trending_blend * trend_vector(model)
    hidden = [i for i in map(model.index_of, exclude) if i is not None]
    scores[hidden] = 0.0
    for index in top_indices(scores, limit):
        yield Recommendation(int(model.item_ids[index]), float(scores[index]), reason)


def from_indices(
    model: RecommendationModel, indices: Sequence[int], reason: str
) -> Iterator[Recommendation]:
    count = len(indices)
    for rank, index in enumerate(indices):
        yield Recommendation(int(model.item_ids[index]), float(count - rank) / count, reason)


def from_pairs(pairs: Sequence[tuple[int, float]], reason: str) -> Iterator[Recommendation]:
    for item_id, score in pairs:
        yield Recommendation(item_id, score, reason)
