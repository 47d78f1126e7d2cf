"""The console's sign-in links and sessions, kept server side: in Redis when the shop has one
(every replica sees them), else in this process's memory (one process: the demo, tests).

Only SHA-256 digests of links and session ids are stored, so a copy of the store signs nobody
in. A link is good once (taken with an atomic get-and-delete) and for `link_ttl` seconds; a
session lives `idle_ttl` seconds after its last request (and never past `max_age`).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from redis.asyncio import Redis

LINK_TTL = 300  # seconds a sign-in link stays good
IDLE_TTL = 12 * 3600  # a session ends after this long without a request
MAX_AGE = 7 * 24 * 3600  # and never lives longer than this
_PREFIX = "kiosk:console"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """32 random bytes, URL-safe."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A signed-in browser: whose it is, its CSRF token, when it started (epoch seconds).
    `secret` is the cookie's value (known only when the session is opened or read)."""

    secret: str
    telegram_id: int
    csrf: str
    started: float


class ConsoleSessions:
    """Sign-in links and sessions of the merchants' console."""

    def __init__(
        self,
        redis: Redis | None = None,
        link_ttl: int = LINK_TTL,
        idle_ttl: int = IDLE_TTL,
        max_age: int = MAX_AGE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.redis = redis
        self.link_ttl = link_ttl
        self.idle_ttl = idle_ttl
        self.max_age = max_age
        self.clock = clock
        self._memory: dict[str, tuple[float, bytes]] = {}  # key -> (expires at, value)

    # ---- the key-value layer (Redis or memory) ----
    async def _put(self, key: str, value: bytes, ttl: int) -> None:
        if self.redis is not None:
            await self.redis.set(key, value, ex=max(1, ttl))
            return
        self._sweep()
        self._memory[key] = (self.clock() + ttl, value)

    async def _get(self, key: str) -> bytes | None:
        if self.redis is not None:
            raw = await self.redis.get(key)
            return bytes(raw) if raw is not None else None
        hit = self._memory.get(key)
        if hit is None or hit[0] <= self.clock():
            self._memory.pop(key, None)
            return None
        return hit[1]

    async def _take(self, key: str) -> bytes | None:
        """Get and delete in one step: of two concurrent takers, one gets the value."""
        if self.redis is not None:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.get(key)
                pipe.delete(key)
                raw, _ = await pipe.execute()
            return bytes(raw) if raw is not None else None
        hit = self._memory.pop(key, None)  # no await in between: atomic on the event loop
        if hit is None or hit[0] <= self.clock():
            return None
        return hit[1]

    async def _delete(self, key: str) -> None:
        if self.redis is not None:
            await self.redis.delete(key)
        else:
            self._memory.pop(key, None)

    def _sweep(self) -> None:
        if len(self._memory) < 10_000:
            return
        now = self.clock()
        for key in [k for k, (expires, _) in self._memory.items() if expires <= now]:
            del self._memory[key]

    # ---- sign-in links ----
    async def issue_link(self, telegram_id: int) -> str:
        """A new one-time sign-in token for this staff member (the link's `t`)."""
        token = new_secret()
        value = orjson.dumps({"tg": telegram_id})
        await self._put(f"{_PREFIX}:link:{_digest(token)}", value, self.link_ttl)
        return token

    async def redeem_link(self, token: str) -> int | None:
        """The Telegram id a token was issued to, once; None when unknown, used or expired."""
        if not token or len(token) > 128:
            return None
        raw = await self._take(f"{_PREFIX}:link:{_digest(token)}")
        if raw is None:
            return None
        telegram_id = orjson.loads(raw).get("tg")
        return telegram_id if isinstance(telegram_id, int) else None

    # ---- sessions ----
    async def open(self, telegram_id: int) -> ConsoleSession:
        session = ConsoleSession(new_secret(), telegram_id, new_secret(), self.clock())
        await self._save(session)
        return session

    async def get(self, secret: str) -> ConsoleSession | None:
        """The live session of a cookie's value (its idle time starts again), else None."""
        if not secret or len(secret) > 128:
            return None
        raw = await self._get(self._key(secret))
        if raw is None:
            return None
        data = orjson.loads(raw)
        session = ConsoleSession(secret, int(data["tg"]), str(data["csrf"]), float(data["at"]))
        if self.clock() - session.started > self.max_age:
            await self.close(secret)
            return None
        await self._save(session)
        return session

    async def close(self, secret: str) -> None:
        if secret and len(secret) <= 128:
            await self._delete(self._key(secret))

    async def _save(self, session: ConsoleSession) -> None:
        value = orjson.dumps(
            {"tg": session.telegram_id, "csrf": session.csrf, "at": session.started}
        )
        await self._put(self._key(session.secret), value, self.idle_ttl)

    @staticmethod
    def _key(secret: str) -> str:
        return f"{_PREFIX}:session:{_digest(secret)}"
