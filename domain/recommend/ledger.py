"""Compact running totals of all interactions, so a rebuild only reads new events.

The ledger keeps one row per (user, item) pair and a time-decayed score per item. Folding a
batch of new events into it is a vectorised group-by; the similarity build then works from the
ledger alone. It is plain NumPy arrays, so it pickles to a worker process and saves to .npz.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from domain.recommend.events import BASKET_KINDS, Interaction, InteractionKind

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_ITEM_BITS = 32  # pair key = user << 32 | item; ids are database ids, well below 2**31


def _empty_int() -> IntArray:
    return np.zeros(0, dtype=np.int64)


def _empty_float() -> FloatArray:
    return np.zeros(0, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class InteractionLedger:
    """Totals per (user, item) pair (sorted by user, then item) and decayed totals per item."""

    pair_user: IntArray
    pair_item: IntArray
    pair_strength: FloatArray  # sum of event strengths
    pair_basket: FloatArray  # sum of cart/purchase strengths
    pair_bought: BoolArray  # at least one purchase
    pair_last: FloatArray  # epoch seconds of the latest event
    trend_item: IntArray  # sorted item ids
    trend_score: FloatArray  # sum of strength * 2^-(age / half-life), as of trend_at
    trend_at: float  # epoch seconds the trend scores are decayed to
    watermark: int  # id of the last event folded in
    # Every purchase event (sorted by user, then time): baskets and repeat cycles need them.
    buy_user: IntArray = field(default_factory=_empty_int)
    buy_item: IntArray = field(default_factory=_empty_int)
    buy_at: FloatArray = field(default_factory=_empty_float)
    forget_mark: int = 0  # id of the last "forget me" request applied

    @classmethod
    def empty(cls) -> InteractionLedger:
        return cls(
            _empty_int(),
            _empty_int(),
            _empty_float(),
            _empty_float(),
            np.zeros(0, dtype=np.bool_),
            _empty_float(),
            _empty_int(),
            _empty_float(),
            0.0,
            0,
        )

    def without_users(self, users: Sequence[int], forget_mark: int) -> InteractionLedger:
        """The ledger with everything of `users` removed (they asked to be forgotten).

        Trend scores keep their anonymous share: they never said who did what."""
        gone = np.asarray(list(users), dtype=np.int64)
        keep = ~np.isin(self.pair_user, gone)
        keep_buys = ~np.isin(self.buy_user, gone)
        return replace(
            self,
            pair_user=self.pair_user[keep],
            pair_item=self.pair_item[keep],
            pair_strength=self.pair_strength[keep],
            pair_basket=self.pair_basket[keep],
            pair_bought=self.pair_bought[keep],
            pair_last=self.pair_last[keep],
            buy_user=self.buy_user[keep_buys],
            buy_item=self.buy_item[keep_buys],
            buy_at=self.buy_at[keep_buys],
            forget_mark=forget_mark,
        )

    @property
    def pairs(self) -> int:
        return int(self.pair_user.size)

    def trend_scores_at(self, now: float, half_life_hours: float) -> tuple[IntArray, FloatArray]:
        """Item ids and their trend scores decayed to `now`."""
        age = max(0.0, now - self.trend_at)
        factor = math.pow(0.5, age / (half_life_hours * 3600.0))
        return self.trend_item, self.trend_score * factor


@dataclass(frozen=True, slots=True)
class EventBatch:
    """Interactions as columns: what a rebuild sends to the worker process (a few arrays
    pickle in milliseconds; a million event objects take seconds and hundreds of MiB)."""

    user: IntArray  # 0 where anonymous
    known: BoolArray
    item: IntArray
    at: FloatArray
    strength: FloatArray
    basket: BoolArray
    bought: BoolArray

    @property
    def size(self) -> int:
        return int(self.item.size)

    @classmethod
    def of(cls, events: Sequence[Interaction], kind_weights: Mapping[str, float]) -> EventBatch:
        rows = [
            (
                e.user_id or 0,
                e.user_id is not None,
                e.item_id,
                e.at.timestamp(),
                e.strength(kind_weights),
                e.kind in BASKET_KINDS,
                e.kind == InteractionKind.PURCHASE,
            )
            for e in events
        ]
        if not rows:
            return cls.concat([])
        user, known, item, at, strength, basket, bought = zip(*rows, strict=True)
        return cls(
            np.array(user, dtype=np.int64),
            np.array(known, dtype=np.bool_),
            np.array(item, dtype=np.int64),
            np.array(at, dtype=np.float64),
            np.array(strength, dtype=np.float64),
            np.array(basket, dtype=np.bool_),
            np.array(bought, dtype=np.bool_),
        )

    @classmethod
    def concat(cls, batches: Sequence[EventBatch]) -> EventBatch:
        def join(name: str, dtype: type) -> npt.NDArray[Any]:
            parts = [getattr(b, name) for b in batches]
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        return cls(
            join("user", np.int64),
            join("known", np.bool_),
            join("item", np.int64),
            join("at", np.float64),
            join("strength", np.float64),
            join("basket", np.bool_),
            join("bought", np.bool_),
        )


def fold_events(
    ledger: InteractionLedger,
    events: Sequence[Interaction] | EventBatch,
    *,
    watermark: int,
    kind_weights: Mapping[str, float],
    half_life_hours: float,
) -> InteractionLedger:
    """A new ledger with `events` added (the old one is left as it was)."""
    batch = events if isinstance(events, EventBatch) else EventBatch.of(events, kind_weights)
    if batch.size == 0:
        return replace(ledger, watermark=watermark)
    strength, items, at = batch.strength, batch.item, batch.at
    basket, bought, known, users = batch.basket, batch.bought, batch.known, batch.user

    trend_item, trend_score, trend_at = _fold_trend(ledger, items, strength, at, half_life_hours)
    # Anonymous events cannot be paired with anything else of the same person: trend only.
    new_keys = (users[known] << _ITEM_BITS) | items[known]
    old_keys = (ledger.pair_user << _ITEM_BITS) | ledger.pair_item
    keys = np.concatenate([old_keys, new_keys])
    unique, inverse = np.unique(keys, return_inverse=True)
    n = unique.size
    all_strength = np.concatenate([ledger.pair_strength, strength[known]])
    all_basket = np.concatenate([ledger.pair_basket, np.where(basket, strength, 0.0)[known]])
    all_bought = np.concatenate([ledger.pair_bought, bought[known]])
    all_last = np.concatenate([ledger.pair_last, at[known]])
    last = np.full(n, -np.inf)
    np.maximum.at(last, inverse, all_last)
    buys = known & bought
    buy_user = np.concatenate([ledger.buy_user, users[buys]])
    buy_item = np.concatenate([ledger.buy_item, items[buys]])
    buy_at = np.concatenate([ledger.buy_at, at[buys]])
    order = np.lexsort((buy_item, buy_at, buy_user))
    return InteractionLedger(
        pair_user=unique >> _ITEM_BITS,
        pair_item=unique & ((1 << _ITEM_BITS) - 1),
        pair_strength=_sum_by(inverse, all_strength, n),
        pair_basket=_sum_by(inverse, all_basket, n),
        pair_bought=np.bincount(inverse, weights=all_bought.astype(np.float64), minlength=n) > 0,
        pair_last=last,
        trend_item=trend_item,
        trend_score=trend_score,
        trend_at=trend_at,
        watermark=watermark,
        buy_user=buy_user[order],
        buy_item=buy_item[order],
        buy_at=buy_at[order],
        forget_mark=ledger.forget_mark,
    )


def _fold_trend(
    ledger: InteractionLedger,
    items: IntArray,
    strength: FloatArray,
    at: FloatArray,
    half_life_hours: float,
) -> tuple[IntArray, FloatArray, float]:
    # Decay everything to the newest moment seen, then add each event decayed by its own age.
    trend_at = max(ledger.trend_at, float(at.max()))
    half_life = half_life_hours * 3600.0
    old_ids, old_scores = ledger.trend_scores_at(trend_at, half_life_hours)
    new_scores = strength * np.power(0.5, (trend_at - at) / half_life)
    all_ids = np.concatenate([old_ids, items])
    unique, inverse = np.unique(all_ids, return_inverse=True)
    scores = _sum_by(inverse, np.concatenate([old_scores, new_scores]), unique.size)
    return unique.astype(np.int64), scores, trend_at


def _sum_by(groups: IntArray, weights: FloatArray, n: int) -> FloatArray:
    return np.bincount(groups, weights=weights, minlength=n).astype(np.float64)
