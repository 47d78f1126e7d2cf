"""Long polling that confirms an update to Telegram only once it has been handled.

getUpdates confirms every update below its `offset`. aiogram's polling asks for the next batch
(confirming the last one) while the updates of that batch are still being handled in tasks, so
a crash loses them: a successful_payment among them is money taken and never recorded, since
Telegram doesn't send it again. Here the offset only moves past updates whose handling has
finished. Updates still being handled come back in the next batch and are skipped by id; after
a crash, the restarted process receives every update that was not finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from typing import Any, cast

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

from bot.runtime.aiogram_private import take_over_polling

log = logging.getLogger(__name__)
REFETCH_PAUSE = 0.05  # seconds between re-reads while only unfinished updates come back


class GetRawUpdates(GetUpdates):
    """getUpdates whose answer stays JSON: while updates are being handled, every read
    returns them again (the offset can't pass them), and parsing each into aiogram's models
    again was about a quarter of the bot's CPU under load; only unseen ones are parsed now."""

    __returning__ = list[dict[str, Any]]


class ConfirmAfterHandling:
    """Replaces a Dispatcher's update reader and processor (aiogram has no public hook for
    when the offset moves: bot/runtime/aiogram_private.py)."""

    def __init__(self, dp: Dispatcher) -> None:
        self.in_flight: set[int] = set()
        self.finished: set[int] = set()  # handled but maybe still at or above the offset
        self._progress = asyncio.Event()
        self._process = take_over_polling(dp, self.process, self.listen)

    async def process(
        self, bot: Bot, update: Update, call_answer: bool = True, **kwargs: Any
    ) -> bool:
        try:
            return await self._process(bot, update, call_answer, **kwargs)
        finally:
            self.in_flight.discard(update.update_id)
            self.finished.add(update.update_id)
            self._progress.set()

    def _offset(self, newest: int | None) -> int | None:
        """Confirm everything below the oldest update still being handled."""
        if self.in_flight:
            return min(self.in_flight)
        return None if newest is None else newest + 1

    async def listen(
        self,
        bot: Bot,
        polling_timeout: int = 30,
        backoff_config: BackoffConfig | None = None,
        allowed_updates: list[str] | None = None,
    ) -> AsyncGenerator[Update, None]:
        backoff = Backoff(config=backoff_config) if backoff_config else None
        request_timeout = int((bot.session.timeout or 0) + polling_timeout) or None
        newest: int | None = None
        while True:
            offset = self._offset(newest)
            self.finished = {i for i in self.finished if offset is None or i >= offset}
            waiting = bool(self.in_flight)  # unfinished updates come back at once anyway
            method = GetRawUpdates(
                offset=offset,
                timeout=0 if waiting else polling_timeout,
                allowed_updates=allowed_updates,
            )
            self._progress.clear()
            try:
                answer = await bot(method, request_timeout=request_timeout)
                raw = cast(list[dict[str, Any]], answer)
            except Exception as exc:  # Telegram unreachable: keep polling, like aiogram
                log.error("failed to fetch updates - %s: %s", type(exc).__name__, exc)
                await (backoff.asleep() if backoff else asyncio.sleep(1.0))
                continue
            if backoff:
                backoff.reset()
            known = self.in_flight | self.finished
            fresh = [
                Update.model_validate(data, context={"bot": bot})
                for data in raw
                if data.get("update_id") not in known
            ]
            for update in fresh:
                self.in_flight.add(update.update_id)
                newest = max(newest or 0, update.update_id)
                yield update
            if not fresh and self.in_flight:
                # Nothing new: wait until something finishes (or new updates may have come).
                try:
                    await asyncio.wait_for(self._progress.wait(), 0.5)
                except TimeoutError:
                    pass
                await asyncio.sleep(REFETCH_PAUSE)
