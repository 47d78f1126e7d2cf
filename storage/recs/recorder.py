"""Batched interaction recorder: `record()` returns at once, rows go in with one bulk insert.

A reply never waits for the database: events sit in an in-memory buffer that is flushed when
it holds `batch_size` events or every `flush_interval` seconds, whichever comes first. Losing
the last few seconds of events in a crash is acceptable for recommendations; orders and
payments are recorded elsewhere, transactionally.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from domain.recommend.events import Interaction
from storage.recs.models import RecsEventRow

log = logging.getLogger(__name__)


class BatchedEventRecorder:
    """InteractionSink on Tortoise. Call `start()` once the loop runs, `close()` at shutdown."""

    def __init__(
        self, *, batch_size: int = 200, flush_interval: float = 2.0, max_buffer: int = 20_000
    ) -> None:
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        # If the database is down, keep at most this many events and drop the oldest.
        self.max_buffer = max_buffer
        self._buffer: list[Interaction] = []
        self._flush_lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[int]] = set()
        self.dropped = 0

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def record(self, interaction: Interaction) -> None:
        """Buffer one event; a full batch schedules a background flush (never awaited here)."""
        self._buffer.append(interaction)
        if len(self._buffer) > self.max_buffer:
            overflow = len(self._buffer) - self.max_buffer
            del self._buffer[:overflow]
            self.dropped += overflow
        if len(self._buffer) >= self.batch_size and not self._pending:
            try:
                task = asyncio.get_running_loop().create_task(self.flush())
            except RuntimeError:
                return  # no loop (a script): the next flush() or close() writes it
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def flush(self) -> int:
        """Write everything buffered with one bulk insert; returns the number written."""
        async with self._flush_lock:
            batch, self._buffer = self._buffer, []
            if not batch:
                return 0
            rows = [
                RecsEventRow(
                    user_id=e.user_id,
                    item_id=e.item_id,
                    kind=str(e.kind),
                    weight=e.weight,
                    query=e.query,
                    created_at=e.at,
                )
                for e in batch
            ]
            try:
                await RecsEventRow.bulk_create(rows)
            except Exception:
                log.exception("recording %d interactions failed; will retry", len(batch))
                self._buffer[:0] = batch  # keep order; max_buffer bounds it on next record
                return 0
            return len(batch)

    async def start(self) -> None:
        if self._ticker is None:
            self._ticker = asyncio.create_task(self._tick(), name="recs-recorder")

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            await self.flush()

    async def close(self) -> None:
        """Stop the timer and write what is left."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self.flush()
