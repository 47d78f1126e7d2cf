"""RecommendationService: every recommendation surface, served from a precomputed model."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import chain
from typing import Protocol

from domain.recommend.config import RecommendConfig
from domain.recommend.events import InteractionSource
from domain.recommend.items import ItemInfo
from domain.recommend.ledger import EventBatch, InteractionLedger
from domain.recommend.model import RecommendationModel, rebuild_model
from domain.recommend.ranking import (
    EMPTY_PAGE,
    Recommendation,
    RecommendationPage,
    UserHistory,
    blended_candidates,
    buy_again_candidates,
    from_indices,
    from_pairs,
    personal_signals,
    top_indices,
    weigh_history,
)
from domain.recommend.scorers import Blend
from domain.recommend.tuning import Validation

log = logging.getLogger(__name__)

REBUILD_BATCH = 50_000  # events read per query during a rebuild


class Availability(Protocol):
    async def available(self, item_ids: Sequence[int]) -> set[int]:
        """The subset of `item_ids` that is active and in stock right now (one query)."""
        ...


class CatalogueFeed(Protocol):
    async def items(self) -> list[ItemInfo]:
        """Metadata of every item that may be recommended (inactive ones may be included)."""
        ...


class SnapshotStore(Protocol):
    async def save(self, payload: bytes, watermark: int) -> int:
        """Store a serialised model; returns its snapshot id (increasing)."""
        ...

    async def latest(self) -> tuple[int, bytes] | None: ...

    async def latest_id(self) -> int | None: ...


class ForgetLog(Protocol):
    """Shoppers who asked to be forgotten: their events are deleted at once, and the next
    rebuild drops them from the model's running totals."""

    async def forget(self, user_id: int) -> None: ...

    async def forgotten_since(self, after_id: int) -> tuple[list[int], int]:
        """User ids forgotten after request `after_id`, and the last request id."""
        ...


@dataclass(frozen=True, slots=True)
class RebuildReport:
    events_read: int
    items: int
    watermark: int
    seconds: float
    snapshot_id: int | None
    blend: Blend | None = None
    validation: Validation | None = None


@dataclass(frozen=True, slots=True)
class RecsQuality:
    """What the merchant is told: the blend served and how it did against bestsellers on
    the held-out last orders of `validation.users` shoppers (0 = too few to judge)."""

    blend: Blend
    validation: Validation
    built_at: datetime


class RecommendationService:
    """Serves "similar", "bought together", "for you", "complete your order", trending and
    new arrivals. Serving reads the current model (lookups and one vectorised sum); the heavy
    rebuild runs in `executor` (a process pool is best; None = the loop's default threads).

    Every list leaves out inactive and unavailable goods, and goods the viewer already bought
    unless buyers come back for them (a repeat rate learnt from the shop's orders); "buy
    again" is the list of exactly those.
    """

    def __init__(
        self,
        *,
        source: InteractionSource,
        availability: Availability,
        catalogue: CatalogueFeed | None = None,
        snapshots: SnapshotStore | None = None,
        config: RecommendConfig | None = None,
        executor: Executor | None = None,
        forget_log: ForgetLog | None = None,
        model: RecommendationModel | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._source = source
        self._availability = availability
        self._catalogue = catalogue
        self._snapshots = snapshots
        self.config = config or RecommendConfig()
        self._executor = executor
        self._forget_log = forget_log
        self._model = model
        self._snapshot_id: int | None = None
        self._clock = clock
        self._rebuild_lock = asyncio.Lock()

    @property
    def model(self) -> RecommendationModel | None:
        return self._model

    # ----- surfaces -------------------------------------------------------------------------

    async def similar(
        self, item_id: int, k: int = 6, page: int = 0, viewer: int | None = None
    ) -> RecommendationPage:
        """The "similar" / "people also viewed" list on a product card."""
        model = self._model
        if model is None:
            return EMPTY_PAGE
        candidates = from_pairs(model.similar_to(item_id), "similar")
        return await self._page(candidates, k, page, {item_id}, viewer)

    async def bought_together(
        self, item_id: int, k: int = 6, page: int = 0, viewer: int | None = None
    ) -> RecommendationPage:
        """The "bought together" list; padded with similar goods when baskets are still few."""
        model = self._model
        if model is None:
            return EMPTY_PAGE
        candidates = chain(
            from_pairs(model.together_with(item_id), "bought_together"),
            from_pairs(model.similar_to(item_id), "similar"),
        )
        return await self._page(candidates, k, page, {item_id}, viewer)

    async def for_you(self, user_id: int, k: int = 8, page: int = 0) -> RecommendationPage:
        """Personal picks as the last rebuild's self-tuning chose: buy-again, discovery
        (item-kNN, EASE or content) and bestsellers blended, padded with trending and new
        arrivals. Goods only looked at are left out; bought goods come back when due."""
        model = self._model
        if model is None:
            return EMPTY_PAGE
        history = await self._history(user_id)
        signals = personal_signals(model, user_id, history, self._clock().timestamp())
        seen = {int(model.item_ids[i]) for i in signals.items.tolist()}
        bought = self._bought(model, user_id, history)
        exclude = seen - bought
        limit = self.config.max_results * 2
        candidates = chain(
            blended_candidates(model, signals, limit),
            from_indices(model, model.trending.tolist(), "trending"),
            from_indices(model, model.new_arrivals.tolist(), "new"),
        )
        return await self._page(candidates, k, page, exclude, user_id, bought=bought)

    async def buy_again(self, user_id: int, k: int = 6, page: int = 0) -> RecommendationPage:
        """Goods the shopper bought, the most due for another purchase first (frequency,
        recency, the good's learnt repeat rate and cycle); only what can be sold now."""
        model = self._model
        if model is None:
            return EMPTY_PAGE
        history = await self._history(user_id)
        signals = personal_signals(model, user_id, history, self._clock().timestamp())
        candidates = buy_again_candidates(model, signals)
        return await self._page(candidates, k, page, set(), user_id, bought=frozenset())

    def quality(self) -> RecsQuality | None:
        """The served blend and its validation figures; None before the first build."""
        model = self._model
        if model is None:
            return None
        built = datetime.fromtimestamp(model.built_at, UTC)
        return RecsQuality(model.blend, model.validation, built)

    async def forget(self, user_id: int) -> None:
        """The shopper cleared their history: delete their events now; the next rebuild
        leaves them out of the model (and so every list)."""
        if self._forget_log is not None:
            await self._forget_log.forget(user_id)

    async def trending(
        self, k: int = 8, page: int = 0, viewer: int | None = None
    ) -> RecommendationPage:
        """What is hot now (time-decayed popularity)."""
        model = self._model
        if model is None:
            return EMPTY_PAGE
        candidates = from_indices(model, model.trending.tolist(), "trending")
        return await self._page(candidates, k, page, set(), viewer)

    async def new_arrivals(
        self, k: int = 8, page: int = 0, viewer: int | None = None
    ) -> RecommendationPage:
        """Newest goods (created within `new_arrival_days`), newest first."""
        model = self._model
        if model is None:
            return EMPTY_PAGE
        candidates = from_indices(model, model.new_arrivals.tolist(), "new")
        return await self._page(candidates, k, page, set(), viewer)

    async def complete_your_order(
        self, cart_items: Sequence[int], k: int = 6, viewer: int | None = None
    ) -> RecommendationPage:
        """Goods bought together with the cart's contents, then trending; never the cart's."""
        model = self._model
        if model is None or not cart_items:
            return EMPTY_PAGE
        scores = model.score_history([(i, 1.0) for i in cart_items], model.together)
        order = top_indices(scores, self.config.max_results * 2)
        candidates = chain(
            from_indices(model, order, "bought_together"),
            from_indices(model, model.trending.tolist(), "trending"),
        )
        return await self._page(candidates, k, 0, set(cart_items), viewer)

    # ----- freshness ------------------------------------------------------------------------

    async def rebuild(self, *, full: bool = False) -> RebuildReport:
        """Fold events recorded since the last build into the model and swap it in.

        Only new events are read (the model carries running totals); `full` starts over from
        the first event. The build runs in the executor; serving continues meanwhile.
        """
        async with self._rebuild_lock:
            current = None if full else self._model
            after = current.watermark if current else 0
            previous = current.ledger if current else None
            if self._forget_log is not None:
                mark = previous.forget_mark if previous else 0
                forgotten, mark = await self._forget_log.forgotten_since(mark)
                if previous is not None:
                    previous = previous.without_users(forgotten, mark)
                elif forgotten or mark:
                    previous = replace(InteractionLedger.empty(), forget_mark=mark)
            columns: list[EventBatch] = []  # compact as read: the worker gets arrays
            read = 0
            while True:
                batch, after_next = await self._source.since(after, REBUILD_BATCH)
                columns.append(EventBatch.of(batch, self.config.kind_weights))
                read += len(batch)
                if len(batch) < REBUILD_BATCH or after_next == after:
                    after = after_next
                    break
                after = after_next
            items = await self._catalogue.items() if self._catalogue else []
            loop = asyncio.get_running_loop()
            model, payload = await loop.run_in_executor(
                self._executor,
                _rebuild,
                previous,
                EventBatch.concat(columns),
                after,
                items,
                self.config,
                self._clock(),
                self._snapshots is not None,
            )
            snapshot_id = None
            if self._snapshots is not None and payload is not None:
                snapshot_id = await self._snapshots.save(payload, model.watermark)
                self._snapshot_id = snapshot_id
            self._model = model
            log.info(
                "recommendations rebuilt: %d new events, %d items, %.2fs",
                read,
                model.item_ids.size,
                model.build_seconds,
            )
            return RebuildReport(
                read,
                int(model.item_ids.size),
                after,
                model.build_seconds,
                snapshot_id,
                model.blend,
                model.validation,
            )

    async def reload(self) -> bool:
        """Load the newest stored snapshot if it is not the one being served (start-up, and
        replicas that do not run the rebuild job). Returns True when the model changed."""
        if self._snapshots is None:
            return False
        latest_id = await self._snapshots.latest_id()
        if latest_id is None or latest_id == self._snapshot_id:
            return False
        stored = await self._snapshots.latest()
        if stored is None:
            return False
        snapshot_id, payload = stored
        loop = asyncio.get_running_loop()
        self._model = await loop.run_in_executor(
            self._executor, RecommendationModel.from_bytes, payload
        )
        self._snapshot_id = snapshot_id
        return True

    # ----- helpers --------------------------------------------------------------------------

    async def _history(self, user_id: int) -> UserHistory:
        events = await self._source.recent_for_user(user_id, self.config.history_limit)
        return weigh_history(events, self.config.kind_weights, self.config.history_half_life)

    def _bought(
        self, model: RecommendationModel, user_id: int, history: UserHistory
    ) -> frozenset[int]:
        return history.bought | model.ledger_bought_by(user_id)

    async def _page(
        self,
        candidates: Iterable[Recommendation],
        k: int,
        page: int,
        exclude: set[int] | frozenset[int],
        viewer: int | None,
        bought: frozenset[int] | None = None,
    ) -> RecommendationPage:
        model = self._model
        if model is None or k <= 0 or page < 0:
            return EMPTY_PAGE
        if bought is None and viewer is not None:
            bought = self._bought(model, viewer, await self._history(viewer))
        not_again = {i for i in (bought or ()) if not model.repeatable(i)}
        picked: dict[int, Recommendation] = {}
        wanted = self.config.max_results * 2  # over-fetch: some will be out of stock
        for rec in candidates:
            item = rec.item_id
            if item in picked or item in exclude or item in not_again:
                continue
            if not model.is_active(item):
                continue
            picked[item] = rec
            if len(picked) >= wanted:
                break
        if not picked:
            return RecommendationPage((), page, False)
        in_stock = await self._availability.available(list(picked))
        ranked = [rec for item, rec in picked.items() if item in in_stock]
        ranked = ranked[: self.config.max_results]
        start = page * k
        return RecommendationPage(tuple(ranked[start : start + k]), page, len(ranked) > start + k)


def _rebuild(
    previous: InteractionLedger | None,
    events: EventBatch,
    watermark: int,
    items: list[ItemInfo],
    config: RecommendConfig,
    now: datetime,
    serialise: bool,
) -> tuple[RecommendationModel, bytes | None]:
    """The worker's whole job: the model, and its snapshot bytes in the same trip (the
    model is not sent back to the worker to be serialised)."""
    model = rebuild_model(previous, events, watermark, items, config, now)
    return model, model.to_bytes() if serialise else None
