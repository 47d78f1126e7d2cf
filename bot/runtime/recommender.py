"""The recommender's lifetime: the event recorder, the model reloader and the worker process.

Rebuilds run in one worker process (forkserver: the bot's threads are never forked), so the
NumPy/SciPy work never holds the bot's GIL or event loop; serving reads the swapped-in model.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from domain.orders.service import Order
from domain.recommend import EventLog, RecommendationService
from domain.recommend.shelves import ShelfService
from storage.recs.recorder import BatchedEventRecorder

log = logging.getLogger(__name__)
RELOAD_SECONDS = 60.0  # how soon a replica that doesn't rebuild picks up the leader's model


@dataclass
class RecsRuntime:
    """The recorder (app lifetime), the event log handlers call, the service and shelves."""

    recorder: BatchedEventRecorder
    events: EventLog
    service: RecommendationService
    shelves: ShelfService
    executor: ProcessPoolExecutor | None = None
    reload_seconds: float = RELOAD_SECONDS
    started: bool = field(default=False)
    _reloader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the flush timer and serve the newest stored model straight away; then look
        for a newer snapshot now and then (only the scheduler's leader rebuilds)."""
        await self.recorder.start()
        self.started = True
        await self._reload()
        self._reloader = asyncio.create_task(self._reload_forever())

    async def _reload(self) -> None:
        try:
            await self.service.reload()
        except Exception:  # a corrupt or unreadable snapshot must not stop the shop
            log.exception("could not load the stored recommendation model")

    async def _reload_forever(self) -> None:
        while True:
            await asyncio.sleep(self.reload_seconds)
            await self._reload()

    async def close(self) -> None:
        """Write the buffered events, then stop the worker process."""
        if self._reloader is not None:
            self._reloader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reloader
            self._reloader = None
        if self.started:
            await self.recorder.close()
            self.started = False
        else:
            await self.recorder.flush()
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)

    def order_paid(self, order: Order) -> None:
        """OrderService's paid listener: one purchase event per distinct product."""
        self.events.purchased(order.user_id, [line.product_id for line in order.lines])
