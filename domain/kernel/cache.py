"""A value read on every update, kept in memory and reloaded when it is `ttl` seconds old (or
invalidated): replicas converge within `ttl`. One reload at a time: when it expires under load,
every update in flight asks at once; the others wait for that one reload and use it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class TtlReload:
    def __init__(
        self, load: Callable[[], Awaitable[None]], ttl: float, clock: Callable[[], float]
    ) -> None:
        """`load` reads the source and stores what it read on its owner."""
        self.load = load
        self.ttl = ttl
        self.clock = clock
        self._loaded_at: float | None = None
        self._reloading = asyncio.Lock()

    def invalidate(self) -> None:
        self._loaded_at = None

    def _fresh(self) -> bool:
        return self._loaded_at is not None and self.clock() - self._loaded_at < self.ttl

    async def ensure(self) -> None:
        """Reload unless fresh."""
        if self._fresh():
            return
        async with self._reloading:
            if self._fresh():  # reloaded while this one waited
                return
            now = self.clock()
            await self.load()
            self._loaded_at = now
