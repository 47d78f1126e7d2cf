"""RecommendationService: every recommendation surface, served from a precomputed model."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Protocol

from domain.recommend.config import RecommendConfig
from domain.recommend.events import Interaction, InteractionSource
from domain.recommend.items import ItemInfo
from domain.recommend.model import RecommendationModel, rebuild_model
from domain.recommend.ranking import (
    EMPTY_PAGE,
    Recommendation,
    RecommendationPage,
    UserHistory,
    for_you_candidates,
    from_indices,
    from_pairs,
    top_indices,
    weigh_history,
)

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


@dataclass(frozen=True, slots=True)
class RebuildReport:
    events_read: int
    items: int
    watermark: int
    seconds: float
    snapshot_id: int | None


class RecommendationService:
    """Serves "similar", "bought together", "for you", "complete your order", trending and
    new arrivals. Serving reads the current model (lookups and one vectorised sum); the heavy
    rebuild runs in `executor` (a process pool is best; None = the loop's default threads).

    Every list leaves out inactive and unavailable goods, and goods the viewer already bought
    unless their category is consumable.
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
        model: RecommendationModel | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._source = source
        self._availability = availability
        self._catalogue = catalogue
        self._snapshots = snapshots
        self.config = config or RecommendConfig()
        self._executor = executor
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
        """Personal picks: the latest history scored through item neighbours, trending for
        cold users, padded with trending and new arrivals. Goods the user has already
        interacted with are left out (bought consumables may come back)."""
        model = self._model
        if model is None:
            return EMPTY_PAGE
        history = await self._history(user_id)
        bought = self._bought(model, user_id, history)
        again = {i for i in bought if self._consumable(model, i)}
        exclude = (history.items | bought) - again
        limit = self.config.max_results * 2
        candidates = chain(
            for_you_candidates(model, history, self.config, limit, exclude),
            from_indices(model, model.trending.tolist(), "trending"),
            from_indices(model, model.new_arrivals.tolist(), "new"),
        )
        return await self._page(candidates, k, page, exclude, user_id, bought=bought)

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
            events: list[Interaction] = []
            while True:
                batch, after_next = await self._source.since(after, REBUILD_BATCH)
                events.extend(batch)
                if len(batch) < REBUILD_BATCH or after_next == after:
                    after = after_next
                    break
                after = after_next
            items = await self._catalogue.items() if self._catalogue else []
            loop = asyncio.get_running_loop()
            model = await loop.run_in_executor(
                self._executor,
                rebuild_model,
                current.ledger if current else None,
                events,
                after,
                items,
                self.config,
                self._clock(),
            )
            snapshot_id = None
            if self._snapshots is not None:
                payload = await loop.run_in_executor(self._executor, _serialise, model)
                snapshot_id = await self._snapshots.save(payload, model.watermark)
                self._snapshot_id = snapshot_id
            self._model = model
            log.info(
                "recommendations rebuilt: %d new events, %d items, %.2fs",
                len(events), model.item_ids.size, model.build_seconds,
            )  # fmt: skip
            return RebuildReport(
                len(events), int(model.item_ids.size), after, model.build_seconds, snapshot_id
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

    def _consumable(self, model: RecommendationModel, item_id: int) -> bool:
        return model.category_of(item_id) in self.config.consumable_categories

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
        not_again = {i for i in (bought or ()) if not self._consumable(model, i)}
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


def _serialise(model: RecommendationModel) -> bytes:
    return model.to_bytes()
