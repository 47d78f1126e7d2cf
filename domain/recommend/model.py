"""The recommendation model: a snapshot of precomputed neighbour lists and rankings.

Building it is the heavy part (seconds) and runs off the event loop; serving from it is an
index lookup plus an array slice. A snapshot serialises to a NumPy .npz (no pickle), so it can
be stored in the database and loaded by every replica.
"""

from __future__ import annotations

import io
import json
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # scipy loads when a model is built, not at start-up (0.25 s, 25 MiB)
    import scipy.sparse as sp  # type: ignore[import-untyped]


from domain.recommend.config import RecommendConfig
from domain.recommend.events import Interaction
from domain.recommend.items import ItemInfo, Tokenizer, content_matrix, default_tokenizer
from domain.recommend.ledger import (
    EventBatch,
    FloatArray,
    IntArray,
    InteractionLedger,
    fold_events,
)
from domain.recommend.repeat import REPEATABLE_RATE, RepeatParams, repeat_profile
from domain.recommend.scorers import EASE_MAX_ITEMS, Blend, ease_neighbours
from domain.recommend.similarity import content_similarity, cooccurrence_similarity, top_k_rows
from domain.recommend.tuning import (
    NOT_JUDGED,
    History,
    Validation,
    bestseller_scores,
    choose_blend,
)

FORMAT_VERSION = 2
FAST_ZLIB = b"KZ1"  # snapshot prefix: an .npz compressed whole with zlib level 1
NO_CATEGORY = -1
CONTENT_ALL_ROWS = 20_000  # above this many goods, content neighbours for cold goods only


@dataclass(frozen=True, slots=True)
class Neighbours:
    """Per-item neighbour lists in CSR form over item indices, best first."""

    indptr: IntArray
    indices: npt.NDArray[np.int32]
    scores: npt.NDArray[np.float32]

    @classmethod
    def from_csr(cls, matrix: sp.csr_matrix) -> Neighbours:
        return cls(  # no copies when the types already match (big catalogues: ~100 MiB)
            matrix.indptr.astype(np.int64, copy=False),
            matrix.indices.astype(np.int32, copy=False),
            matrix.data.astype(np.float32, copy=False),
        )

    def row(self, index: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        lo, hi = int(self.indptr[index]), int(self.indptr[index + 1])
        return self.indices[lo:hi], self.scores[lo:hi]


@dataclass(slots=True)
class RecommendationModel:
    """Immutable once built. Item ids are the shop's ids; everything else uses indices."""

    item_ids: IntArray  # sorted
    active: npt.NDArray[np.bool_]
    category: IntArray  # NO_CATEGORY when unknown
    support: IntArray  # distinct users per item
    similar: Neighbours  # co-occurrence blended with content
    together: Neighbours  # co-occurrence in carts and purchases
    trending: IntArray  # item indices, hottest first
    trend_scores: FloatArray
    new_arrivals: IntArray  # item indices, newest first
    ledger: InteractionLedger
    built_at: float
    discovery: Neighbours  # the chosen blend's discovery scorer (kNN, EASE or content)
    popular: FloatArray  # bestseller score per item index
    repeat_user: IntArray  # buy-again pairs, sorted by user
    repeat_item: IntArray  # item indices
    repeat_weight: FloatArray  # recency-weighted purchase frequency
    repeat_last: FloatArray  # epoch seconds of the latest purchase
    item_rate: FloatArray  # learnt repeat rate per item index
    item_cycle: FloatArray  # learnt repurchase cycle per item index, seconds
    blend: Blend = field(default_factory=lambda: Blend("bestsellers"))
    validation: Validation = NOT_JUDGED
    build_seconds: float = 0.0
    _index: dict[int, int] = field(default_factory=dict, repr=False)
    _popular_top: IntArray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._index = {int(item): i for i, item in enumerate(self.item_ids.tolist())}

    @property
    def watermark(self) -> int:
        return self.ledger.watermark

    def index_of(self, item_id: int) -> int | None:
        return self._index.get(item_id)

    def profile_of(
        self, user_id: int
    ) -> tuple[IntArray, FloatArray, npt.NDArray[np.bool_], FloatArray]:
        """The user's goods (item indices), log2(1 + strength) weights, bought flags and
        the time each was last touched."""
        users = self.ledger.pair_user
        lo, hi = np.searchsorted(users, [user_id, user_id + 1])
        items = np.searchsorted(self.item_ids, self.ledger.pair_item[lo:hi])
        weights = np.log2(1.0 + self.ledger.pair_strength[lo:hi])
        ledger = self.ledger
        return items.astype(np.int64), weights, ledger.pair_bought[lo:hi], ledger.pair_last[lo:hi]

    def neighbour_scores(
        self, items: IntArray, weights: FloatArray, neighbours: Neighbours
    ) -> tuple[IntArray, FloatArray]:
        """Sum of weight x similarity through the neighbours of item *indices*: the goods
        reached (indices, sorted) and their scores; nothing catalogue-sized."""
        cols: list[npt.NDArray[np.int32]] = []
        vals: list[FloatArray] = []
        for index, weight in zip(items.tolist(), weights.tolist(), strict=True):
            c, v = neighbours.row(index)
            cols.append(c)
            vals.append(v.astype(np.float64) * weight)
        if not cols:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        reached, slot = np.unique(np.concatenate(cols), return_inverse=True)
        sums = np.bincount(slot, weights=np.concatenate(vals)).astype(np.float64)
        return reached.astype(np.int64), sums

    def popular_top(self, limit: int) -> IntArray:
        """Indices of the `limit` best-selling active goods (computed once per model)."""
        cached = self._popular_top
        if cached is None or cached.size < min(limit, int((self.popular > 0).sum())):
            positive = np.flatnonzero((self.popular > 0) & self.active)
            if positive.size > limit:
                positive = positive[np.argpartition(-self.popular[positive], limit - 1)[:limit]]
            cached = self._popular_top = positive.astype(np.int64)
        return cached[:limit] if cached.size > limit else cached

    def repeats_of(self, user_id: int) -> tuple[IntArray, FloatArray, FloatArray]:
        """Buy-again pairs of the user: item indices, weighted frequency, last purchase."""
        lo, hi = np.searchsorted(self.repeat_user, [user_id, user_id + 1])
        return self.repeat_item[lo:hi], self.repeat_weight[lo:hi], self.repeat_last[lo:hi]

    def repeatable(self, item_id: int) -> bool:
        """Buyers of this good (or of its category) come back for it often enough that
        showing it again to someone who bought it is worth a slot."""
        index = self._index.get(item_id)
        return index is not None and float(self.item_rate[index]) >= REPEATABLE_RATE

    def ledger_bought_by(self, user_id: int) -> frozenset[int]:
        """Items the user ever bought, as of the last build (pairs are sorted by user)."""
        users = self.ledger.pair_user
        lo, hi = np.searchsorted(users, [user_id, user_id + 1])
        bought = self.ledger.pair_bought[lo:hi]
        return frozenset(int(i) for i in self.ledger.pair_item[lo:hi][bought].tolist())

    def category_of(self, item_id: int) -> int | None:
        index = self._index.get(item_id)
        if index is None or self.category[index] == NO_CATEGORY:
            return None
        return int(self.category[index])

    def is_active(self, item_id: int) -> bool:
        index = self._index.get(item_id)
        return index is not None and bool(self.active[index])

    def _ranked(self, neighbours: Neighbours, item_id: int) -> list[tuple[int, float]]:
        index = self._index.get(item_id)
        if index is None:
            return []
        cols, scores = neighbours.row(index)
        return list(zip(self.item_ids[cols].tolist(), scores.tolist(), strict=True))

    def similar_to(self, item_id: int) -> list[tuple[int, float]]:
        """(item id, score) of the precomputed neighbours, best first."""
        return self._ranked(self.similar, item_id)

    def together_with(self, item_id: int) -> list[tuple[int, float]]:
        return self._ranked(self.together, item_id)

    def score_history(
        self, history: Sequence[tuple[int, float]], neighbours: Neighbours | None = None
    ) -> FloatArray:
        """Scores over all item indices: sum of weight x similarity through the neighbours."""
        lists = neighbours or self.similar
        parts_i: list[npt.NDArray[np.int32]] = []
        parts_s: list[FloatArray] = []
        for item_id, weight in history:
            index = self._index.get(item_id)
            if index is None:
                continue
            cols, scores = lists.row(index)
            parts_i.append(cols)
            parts_s.append(scores.astype(np.float64) * weight)
        if not parts_i:
            return np.zeros(self.item_ids.size)
        sums = np.bincount(
            np.concatenate(parts_i), weights=np.concatenate(parts_s), minlength=self.item_ids.size
        )
        return sums.astype(np.float64)

    def ids(self, indices: npt.NDArray[Any]) -> list[int]:
        return [int(x) for x in self.item_ids[indices].tolist()]

    def to_bytes(self) -> bytes:
        """A compressed .npz; loading it never unpickles anything."""
        arrays: dict[str, npt.NDArray[Any]] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                arrays[f.name] = value
            elif isinstance(value, Neighbours | InteractionLedger):
                for sub in fields(value):
                    sub_value = getattr(value, sub.name)
                    if isinstance(sub_value, np.ndarray):
                        arrays[f"{f.name}.{sub.name}"] = sub_value
        meta = {
            "version": FORMAT_VERSION,
            "built_at": self.built_at,
            "build_seconds": self.build_seconds,
            "trend_at": self.ledger.trend_at,
            "watermark": self.ledger.watermark,
            "forget_mark": self.ledger.forget_mark,
            "blend": _blend_meta(self.blend),
            "validation": asdict(self.validation),
        }
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        # Streamed through zlib level 1 as written: about savez_compressed's size in a fifth
        # of the time, and never a second uncompressed copy of the model in memory.
        sink = _Deflating(FAST_ZLIB)
        np.savez(sink, **arrays)  # type: ignore[arg-type]
        return sink.finish()

    @classmethod
    def from_bytes(cls, data: bytes) -> RecommendationModel:
        if data.startswith(FAST_ZLIB):
            data = zlib.decompress(data[len(FAST_ZLIB) :])
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
        if meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported model format {meta.get('version')}")

        def group(prefix: str) -> dict[str, Any]:
            return {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(prefix + ".")}

        ledger = InteractionLedger(
            **group("ledger"),
            trend_at=meta["trend_at"],
            watermark=meta["watermark"],
            forget_mark=meta["forget_mark"],
        )
        return cls(
            item_ids=arrays["item_ids"],
            active=arrays["active"],
            category=arrays["category"],
            support=arrays["support"],
            similar=Neighbours(**group("similar")),
            together=Neighbours(**group("together")),
            trending=arrays["trending"],
            trend_scores=arrays["trend_scores"],
            new_arrivals=arrays["new_arrivals"],
            ledger=ledger,
            built_at=meta["built_at"],
            discovery=Neighbours(**group("discovery")),
            popular=arrays["popular"],
            repeat_user=arrays["repeat_user"],
            repeat_item=arrays["repeat_item"],
            repeat_weight=arrays["repeat_weight"],
            repeat_last=arrays["repeat_last"],
            item_rate=arrays["item_rate"],
            item_cycle=arrays["item_cycle"],
            blend=_blend_from(meta["blend"]),
            validation=Validation(**meta["validation"]),
            build_seconds=meta["build_seconds"],
        )


class _Deflating:
    """A write-only stream that compresses what is written (zipfile accepts unseekable)."""

    def __init__(self, prefix: bytes) -> None:
        self._zlib = zlib.compressobj(1)
        self._parts: list[bytes] = [prefix]

    def write(self, data: bytes) -> int:
        self._parts.append(self._zlib.compress(data))
        return len(data)

    def flush(self) -> None:
        return None

    def read(self, _size: int = -1) -> bytes:  # NumPy only checks that it exists
        raise io.UnsupportedOperation("write-only")

    def finish(self) -> bytes:
        self._parts.append(self._zlib.flush())
        return b"".join(self._parts)


def rebuild_model(
    previous: InteractionLedger | None,
    new_events: Sequence[Interaction] | EventBatch,
    watermark: int,
    items: Sequence[ItemInfo],
    config: RecommendConfig,
    now: datetime,
    tokenize: Tokenizer = default_tokenizer,
) -> RecommendationModel:
    """Fold new events into the previous ledger and build a fresh model from it.

    A top-level function of picklable arguments, so it can run in a process pool.
    """
    started = time.perf_counter()
    ledger = fold_events(
        previous or InteractionLedger.empty(),
        new_events,
        watermark=watermark,
        kind_weights=config.kind_weights,
        half_life_hours=config.trend_half_life_hours,
    )
    model = build_model(ledger, items, config, now, tokenize)
    model.build_seconds = time.perf_counter() - started
    return model


def build_model(
    ledger: InteractionLedger,
    items: Sequence[ItemInfo],
    config: RecommendConfig,
    now: datetime,
    tokenize: Tokenizer = default_tokenizer,
) -> RecommendationModel:
    """Every neighbour list and ranking, from the ledger and the catalogue's metadata."""
    info = {item.item_id: item for item in items}
    item_ids = np.union1d(np.array(list(info), dtype=np.int64), ledger.pair_item)
    item_ids = np.union1d(item_ids, ledger.trend_item)
    n = item_ids.size
    # Without a catalogue (a benchmark) every item counts as active; with one, goods it does
    # not list any more (deleted) are never recommended.
    active = np.array([info[i].active if i in info else not info for i in item_ids.tolist()])
    active = active.astype(np.bool_).reshape(n)
    category = np.array(
        [_category(info.get(i)) for i in item_ids.tolist()], dtype=np.int64
    ).reshape(n)
    pair_item = np.searchsorted(item_ids, ledger.pair_item)
    users, pair_user = np.unique(ledger.pair_user, return_inverse=True)
    support = np.bincount(pair_item, minlength=n).astype(np.int64)

    content = _content(item_ids, info, support, config, tokenize)
    history = History(
        pair_user=ledger.pair_user,
        pair_item=pair_item.astype(np.int64),
        pair_strength=ledger.pair_strength,
        pair_last=ledger.pair_last,
        buy_user=ledger.buy_user,
        buy_item=np.searchsorted(item_ids, ledger.buy_item),
        buy_at=ledger.buy_at,
        n_items=n,
        category=category,
        active=active,
    )
    scorers = ("knn", "ease", "content") if content is not None else ("knn", "ease")

    def train(
        name: str, user: IntArray, item: IntArray, n_users: int, needed: IntArray
    ) -> sp.csr_matrix | None:
        return _neighbours(name, user, item, n_users, n, config, content, needed)

    # Self-tuning first, so its working set never sits beside the full neighbour lists.
    blend, validation = choose_blend(history, train, scorers)
    collaborative = cooccurrence_similarity(
        pair_user,
        pair_item,
        users.size,
        n,
        k=config.neighbours,
        alpha=config.alpha,
        shrinkage=config.shrinkage,
        user_damping=config.user_damping,
    )
    similar = Neighbours.from_csr(_blend_content(collaborative, content, support, config))
    basket = ledger.pair_basket > 0
    together = Neighbours.from_csr(
        cooccurrence_similarity(
            pair_user[basket],
            pair_item[basket],
            users.size,
            n,
            k=config.neighbours,
            user_damping=config.user_damping,
        )
    )
    trending, trend_scores = _trending(ledger, item_ids, active, now, config)
    if blend.scorer == "knn":
        discovery = Neighbours.from_csr(collaborative)
    elif blend.scorer == "similar":
        discovery = similar
    else:
        built = _neighbours(blend.scorer, pair_user, pair_item, users.size, n, config, content)
        discovery = Neighbours.from_csr(built) if built is not None else _no_neighbours(n)
    del collaborative
    repeat = repeat_profile(
        history.buy_user,
        history.buy_item,
        history.buy_at,
        n,
        category,
        (blend.repeat_params.decay,),
    )
    return RecommendationModel(
        item_ids=item_ids,
        active=active,
        category=category,
        support=support,
        similar=similar,
        together=together,
        trending=trending,
        trend_scores=trend_scores,
        new_arrivals=_new_arrivals(item_ids, info, active, now, config),
        ledger=ledger,
        built_at=now.timestamp(),
        discovery=discovery,
        popular=bestseller_scores(history),
        repeat_user=repeat.pair_user,
        repeat_item=repeat.pair_item,
        repeat_weight=repeat.weighted[blend.repeat_params.decay],
        repeat_last=repeat.pair_last,
        item_rate=repeat.item_rate,
        item_cycle=repeat.item_cycle,
        blend=blend,
        validation=validation,
    )


def _no_neighbours(n: int) -> Neighbours:
    return Neighbours(
        np.zeros(n + 1, dtype=np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)
    )


def _neighbours(
    name: str,
    user: IntArray,
    item: IntArray,
    n_users: int,
    n: int,
    config: RecommendConfig,
    content: sp.csr_matrix | None,
    needed: IntArray | None = None,
) -> sp.csr_matrix | None:
    """A discovery scorer's neighbours from (user index, item index) pairs (kNN: only the
    rows `needed`, when given)."""
    if name == "knn":
        return cooccurrence_similarity(
            user,
            item,
            n_users,
            n,
            k=config.neighbours,
            alpha=config.alpha,
            shrinkage=config.shrinkage,
            user_damping=config.user_damping,
            only=needed,
        )
    if name == "ease":
        if np.unique(item).size > EASE_MAX_ITEMS or item.size == 0:
            return None
        return ease_neighbours(user, item, n_users, n, k=config.neighbours)
    if name == "content":
        return content
    return None


def _blend_meta(blend: Blend) -> dict[str, Any]:
    meta = asdict(blend)
    meta["repeat_params"] = asdict(blend.repeat_params)
    return meta


def _blend_from(meta: dict[str, Any]) -> Blend:
    params = RepeatParams(**meta.pop("repeat_params"))
    return Blend(**meta, repeat_params=params)


def _category(item: ItemInfo | None) -> int:
    if item is None or item.category_id is None:
        return NO_CATEGORY
    return item.category_id


def _content(
    item_ids: IntArray,
    info: dict[int, ItemInfo],
    support: IntArray,
    config: RecommendConfig,
    tokenize: Tokenizer,
) -> sp.csr_matrix | None:
    """Content neighbours (category, brand, specs, words); None without a catalogue. Big
    catalogues get them for cold goods only (warm goods have co-occurrence to go on)."""
    if not info or config.content_weight <= 0:
        return None
    ordered = [info.get(i, ItemInfo(i)) for i in item_ids.tolist()]
    features = content_matrix(ordered, tokenize)
    if item_ids.size <= CONTENT_ALL_ROWS:
        return content_similarity(features, k=config.content_neighbours)
    cold = np.flatnonzero(support < config.cold_item_support)
    return content_similarity(features, k=config.content_neighbours, only=cold)


def _blend_content(
    collaborative: sp.csr_matrix,
    content: sp.csr_matrix | None,
    support: IntArray,
    config: RecommendConfig,
) -> sp.csr_matrix:
    """Co-occurrence plus weighted content similarity; content alone for cold items."""
    import scipy.sparse as sp

    if content is None:
        return collaborative
    # Cold items: their co-occurrence rests on a handful of people, so trust content instead.
    warm = (support >= config.cold_item_support).astype(np.float64)
    share = np.where(warm > 0, config.content_weight, 1.0)

    def block(a: int, b: int) -> sp.csr_matrix:  # block by block: never the whole sum
        return sp.csr_matrix(
            sp.diags(warm[a:b]) @ collaborative[a:b] + sp.diags(share[a:b]) @ content[a:b]
        )

    n = support.size
    return top_k_rows(n, n, config.neighbours, block)


def _trending(
    ledger: InteractionLedger,
    item_ids: IntArray,
    active: npt.NDArray[np.bool_],
    now: datetime,
    config: RecommendConfig,
) -> tuple[IntArray, FloatArray]:
    ids, scores = ledger.trend_scores_at(now.timestamp(), config.trend_half_life_hours)
    index = np.searchsorted(item_ids, ids)
    keep = (scores > 0) & active[index]
    index, scores = index[keep], scores[keep]
    order = np.lexsort((item_ids[index], -scores))[: config.max_results * 4]
    return index[order].astype(np.int64), scores[order]


def _new_arrivals(
    item_ids: IntArray,
    info: dict[int, ItemInfo],
    active: npt.NDArray[np.bool_],
    now: datetime,
    config: RecommendConfig,
) -> IntArray:
    horizon = now.timestamp() - config.new_arrival_days * 86400.0
    dated = [
        (-(created.timestamp()), item_id)
        for item_id, item in info.items()
        if (created := item.created_at) is not None and created.timestamp() >= horizon
    ]
    dated.sort()
    ids = np.array([item_id for _, item_id in dated], dtype=np.int64)
    index = np.searchsorted(item_ids, ids)
    return index[active[index]][: config.max_results * 4].astype(np.int64)


def config_summary(config: RecommendConfig) -> dict[str, Any]:
    """The config as plain data, for logs and the benchmark printout."""
    summary = asdict(config)
    summary["kind_weights"] = dict(config.kind_weights)
    return summary
