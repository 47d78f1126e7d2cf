"""End-to-end fixtures: a real Kiosk (Dispatcher + Bot session over HTTP) against sandbox/.

`kiosk` runs every e2e test twice: long polling on SQLite with in-memory FSM, and webhook mode
on PostgreSQL with Redis FSM (the production shape). The emulator refuses what Telegram
refuses, and each test ends by asserting that the bot made no refused call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.sandboxed import Sandboxed, run_sandboxed
from tests.conftest import PG_URL, REDIS_URL, fresh_database, need


@pytest.fixture(params=["polling-sqlite", "webhook-postgres-redis"])
def mode(request: pytest.FixtureRequest) -> str:
    if request.param.startswith("webhook"):
        need(PG_URL, "PostgreSQL")
        need(REDIS_URL, "Redis")
    return str(request.param)


@pytest_asyncio.fixture
async def kiosk(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Sandboxed]:
    backend = "sqlite" if mode.endswith("sqlite") else "postgres"
    url = await fresh_database(backend, request, tmp_path)
    redis_url = REDIS_URL if "redis" in mode else None
    if redis_url:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        await client.flushdb()
        await client.aclose()
    run_mode = "webhook" if mode.startswith("webhook") else "polling"
    async with run_sandboxed(url, run_mode, redis_url, admin_ids=[9000]) as running:
        yield running
        refused = [(c.method, c.description) for c in running.sandbox.errors]
        assert refused == [], f"the bot made calls Telegram would refuse: {refused}"
        assert running.sandbox.dropped_pending_updates == 0
