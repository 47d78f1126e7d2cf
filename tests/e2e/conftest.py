"""End-to-end fixtures: a real Kiosk (Dispatcher + Bot session over HTTP) against sandbox/.

`kiosk` runs every e2e test twice: long polling on SQLite with in-memory FSM, and webhook mode
on PostgreSQL with Redis FSM (the production shape). The emulator refuses what Telegram
refuses, and each test ends by asserting that the bot made no refused call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from demo.harness import Sandboxed, run_sandboxed
from tests.conftest import PG_URL, REDIS_URL, fresh_database, need


def need_backends(mode: str) -> str:
    """Skip a webhook run when PostgreSQL or Redis isn't configured; the mode otherwise."""
    if mode.startswith("webhook"):
        need(PG_URL, "PostgreSQL")
        need(REDIS_URL, "Redis")
    return mode


@pytest.fixture(params=["polling-sqlite", "webhook-postgres-redis"])
def mode(request: pytest.FixtureRequest) -> str:
    return need_backends(str(request.param))


@asynccontextmanager
async def running_kiosk(
    mode: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    *,
    check_dropped_updates: bool = False,
    **overrides: Any,
) -> AsyncIterator[Sandboxed]:
    """A Kiosk in `mode` on a fresh database (and a flushed Redis) against the sandbox;
    `overrides` go to run_sandboxed. On a clean exit, fails if the bot made any call
    Telegram would refuse (and, if asked, if any pending update was dropped)."""
    backend = "sqlite" if mode.endswith("sqlite") else "postgres"
    url = await fresh_database(backend, request, tmp_path)
    redis_url = REDIS_URL if "redis" in mode else None
    if redis_url:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        await client.flushdb()
        await client.aclose()
    run_mode = "webhook" if mode.startswith("webhook") else "polling"
    async with run_sandboxed(url, run_mode, redis_url, admin_ids=[9000], **overrides) as running:
        yield running
        refused = [(c.method, c.description) for c in running.sandbox.errors]
        assert refused == [], f"the bot made calls Telegram would refuse: {refused}"
        if check_dropped_updates:
            assert running.sandbox.dropped_pending_updates == 0


@pytest_asyncio.fixture
async def kiosk(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Sandboxed]:
    async with running_kiosk(mode, request, tmp_path, check_dropped_updates=True) as running:
        yield running
