"""Knobs of the recommender, with the values chosen on a validation split (see bench/)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from domain.recommend.events import DEFAULT_KIND_WEIGHTS


@dataclass(frozen=True, slots=True)
class RecommendConfig:
    """Everything tunable by hand. Defaults were tuned on MovieLens-100k validation data
    carved from the training part (each user's second-to-last interaction), never on the
    test items; what "for you" blends is tuned per shop at every rebuild instead."""

    # Item-to-item co-occurrence similarity.
    neighbours: int = 100  # neighbours kept per item (top-K)
    alpha: float = 0.3  # asymmetric cosine c_ij / (n_i^a * n_j^(1-a)); below 0.5 damps popular j
    shrinkage: float = 10.0  # c_ij / (c_ij + shrinkage): distrust pairs seen only a few times
    user_damping: bool = True  # IUF: a user with many items says less about each pair

    # Content similarity (category, brand, specs, tags, text) for goods with little history.
    content_neighbours: int = 50
    content_weight: float = 0.2  # blended into "similar" for every item
    cold_item_support: int = 3  # fewer users than this: "similar" is content first

    # "For you": its blend (buy again, discovery scorer, bestsellers, recency) is chosen by
    # the self-tuning at each rebuild (domain/recommend/tuning.py), not set here.
    history_limit: int = 200  # latest interactions read per user (merged with the model's)
    history_half_life: float = 1.0  # positions, for the recent-history view of a shopper

    # Trending and new arrivals.
    trend_half_life_hours: float = 72.0
    new_arrival_days: int = 30

    # Filters and sizes.
    max_results: int = 60  # a paged list never goes deeper than this
    kind_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_KIND_WEIGHTS))
