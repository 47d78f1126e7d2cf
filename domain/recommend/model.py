"""The recommendation model: a snapshot of precomputed neighbour lists and rankings.

Building it is the heavy part (seconds) and runs off the event loop; serving from it is an
index lookup plus an array slice. A snapshot serialises to a NumPy .npz (no pickle), so it can
be stored in the database and loaded by every replica.
"""

from __future__ import annotations

import io
import json
import time
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
from domain.recommend.ledger import FloatArray, IntArray, InteractionLedger, fold_events
from domain.recommend.similarity import content_similarity, cooccurrence_similarity, top_k_rows

FORMAT_VERSION = 1
NO_CATEGORY = -1


@dataclass(frozen=True, slots=True)
class Neighbours:
    """Per-item neighbour lists in CSR form over item indices, best first."""

    indptr: IntArray
    indices: npt.NDArray[np.int32]
    scores: npt.NDArray[np.float32]

    @classmethod
    def from_csr(cls, matrix: sp.csr_matrix) -> Neighbours:
        return cls(
            matrix.indptr.astype(np.int64),
            matrix.indices.astype(np.int32),
            matrix.data.astype(np.float32),
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
    build_seconds: float = 0.0
    _index: dict[int, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {int(item): i for i, item in enumerate(self.item_ids.tolist())}

    @property
    def watermark(self) -> int:
        return self.ledger.watermark

    def index_of(self, item_id: int) -> int | None:
        return self._index.get(item_id)

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
        }
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> RecommendationModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
        if meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported model format {meta.get('version')}")

        def group(prefix: str) -> dict[str, Any]:
            return {k.split(".", 1)[1]: v for k, v in arrays.items() if k.startswith(prefix + ".")}

        ledger = InteractionLedger(
            **group("ledger"), trend_at=meta["trend_at"], watermark=meta["watermark"]
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
            build_seconds=meta["build_seconds"],
        )


def rebuild_model(
    previous: InteractionLedger | None,
    new_events: Sequence[Interaction],
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

    collaborative = cooccurrence_similarity(
        pair_user, pair_item, users.size, n, k=config.neighbours, alpha=config.alpha,
        shrinkage=config.shrinkage, user_damping=config.user_damping,
    )  # fmt: skip
    similar = _blend_content(collaborative, item_ids, info, support, config, tokenize)
    basket = ledger.pair_basket > 0
    together = cooccurrence_similarity(
        pair_user[basket], pair_item[basket], users.size, n, k=config.neighbours,
        user_damping=config.user_damping,
    )  # fmt: skip
    trending, trend_scores = _trending(ledger, item_ids, active, now, config)
    return RecommendationModel(
        item_ids=item_ids,
        active=active,
        category=category,
        support=support,
        similar=Neighbours.from_csr(similar),
        together=Neighbours.from_csr(together),
        trending=trending,
        trend_scores=trend_scores,
        new_arrivals=_new_arrivals(item_ids, info, active, now, config),
        ledger=ledger,
        built_at=now.timestamp(),
    )


def _category(item: ItemInfo | None) -> int:
    if item is None or item.category_id is None:
        return NO_CATEGORY
    return item.category_id


def _blend_content(
    collaborative: sp.csr_matrix,
    item_ids: IntArray,
    info: dict[int, ItemInfo],
    support: IntArray,
    config: RecommendConfig,
    tokenize: Tokenizer,
) -> sp.csr_matrix:
    """Co-occurrence plus weighted content similarity; content alone for cold items."""
    import scipy.sparse as sp

    if not info or config.content_weight <= 0:
        return collaborative
    ordered = [info.get(i, ItemInfo(i)) for i in item_ids.tolist()]
    content = content_similarity(content_matrix(ordered, tokenize), k=config.content_neighbours)
    # Cold items: their co-occurrence rests on a handful of people, so trust content instead.
    warm = (support >= config.cold_item_support).astype(np.float64)
    blended = sp.csr_matrix(
        sp.diags(warm) @ collaborative
        + sp.diags(np.where(warm > 0, config.content_weight, 1.0)) @ content
    )
    n = item_ids.size
    return top_k_rows(n, n, config.neighbours, lambda a, b: blended[a:b])


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
    summary["consumable_categories"] = sorted(config.consumable_categories)
    summary["kind_weights"] = dict(config.kind_weights)
    return summary
