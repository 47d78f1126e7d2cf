"""Token buckets reproducing Telegram's flood limits (per chat and global) with 429 answers."""

from __future__ import annotations

import time
from collections.abc import Callable

from .models import ApiError, RateLimits, ceil_seconds


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float):
        self.tokens = tokens
        self.stamp = stamp

    def refill(self, now: float, rate: float, cap: float) -> None:
        self.tokens = min(cap, self.tokens + (now - self.stamp) * rate)
        self.stamp = now


class RateLimiter:
    """Checks both buckets before consuming from either, so a 429 costs the bot nothing."""

    def __init__(self, limits: RateLimits):
        self.limits = limits
        self.clock: Callable[[], float] = time.monotonic  # replaceable for deterministic tests
        self._global: _Bucket | None = None
        self._chats: dict[int, _Bucket] = {}

    def reset(self) -> None:
        self._global = None
        self._chats.clear()

    def check(self, chat_id: int | None) -> None:
        lim = self.limits
        if not lim.enabled:
            return
        now = self.clock()
        g_rate, g_cap = max(lim.global_per_sec, 1e-9), max(lim.global_per_sec, 1.0)
        if self._global is None:
            self._global = _Bucket(g_cap, now)
        g = self._global
        g.refill(now, g_rate, g_cap)
        wait = 0.0 if g.tokens >= 1 else (1 - g.tokens) / g_rate
        c: _Bucket | None = None
        if chat_id is not None:
            c_rate, c_cap = max(lim.per_chat_per_sec, 1e-9), max(float(lim.per_chat_burst), 1.0)
            c = self._chats.get(chat_id)
            if c is None:
                c = self._chats[chat_id] = _Bucket(c_cap, now)
            c.refill(now, c_rate, c_cap)
            if c.tokens < 1:
                wait = max(wait, (1 - c.tokens) / c_rate)
        if wait > 0:
            n = ceil_seconds(wait)
            raise ApiError(f"Too Many Requests: retry after {n}", 429, retry_after=n)
        g.tokens -= 1
        if c is not None:
            c.tokens -= 1
