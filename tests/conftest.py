"""Shared fixtures: real databases (SQLite and PostgreSQL) and a real Redis.

The servers are started by scripts/test.sh, which exports KIOSK_TEST_PG_URL and
KIOSK_TEST_REDIS_URL. Run bare `pytest` without them and the PostgreSQL/Redis cases skip,
unless KIOSK_REQUIRE_SERVICES=1 (the test command sets it), where a missing server fails.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from redis.asyncio import Redis
from tortoise import Tortoise

from storage.db import apply_migrations, close_db, init_db


def _own_redis_database(url: str | None) -> str | None:
    """Under pytest-xdist each worker gets its own Redis database (the given one + its number):
    tests flush theirs, and update claims of one worker's sandbox must not meet another's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    base, _, db = url.rpartition("/")
    return f"{base}/{int(db or 0) + int(worker[2:])}"


PG_URL = os.environ.get("KIOSK_TEST_PG_URL")
REDIS_URL = _own_redis_database(os.environ.get("KIOSK_TEST_REDIS_URL"))
REQUIRE = os.environ.get("KIOSK_REQUIRE_SERVICES") == "1"
# One template per test process, so parallel runs on a shared server never drop each other's.
TEMPLATE_DB = f"kiosk_template_{os.getpid()}"


def run_sync(coro) -> None:  # type: ignore[no-untyped-def]
    """Run set-up coroutines from sync fixtures, which may be reached inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coro).result()


def need(url: str | None, what: str) -> str:
    if url:
        return url
    if REQUIRE:
        pytest.fail(f"{what} is required (KIOSK_REQUIRE_SERVICES=1) but not configured")
    pytest.skip(f"{what} not configured; run scripts/test.sh")


async def need_pg_and_empty_redis() -> str:
    """For a bot run as a process on PostgreSQL + Redis: both configured, the Redis database
    emptied (every new sandbox restarts update ids at 1, which the claims left by an earlier
    test would take for redeliveries). Returns the Redis URL."""
    need(PG_URL, "PostgreSQL")
    redis_url = need(REDIS_URL, "Redis")
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    await redis.aclose()
    return redis_url


def _pg_db_url(name: str) -> str:
    assert PG_URL is not None
    return PG_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test copies it instead of migrating again."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"

    async def build() -> None:
        await apply_migrations(f"sqlite://{path}")
        await close_db()

    run_sync(build())
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL database used as TEMPLATE for each test's own database."""
    url = need(PG_URL, "PostgreSQL")

    async def build() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
            await conn.execute(f"CREATE DATABASE {TEMPLATE_DB}")
        finally:
            await conn.close()
        await apply_migrations(_pg_db_url(TEMPLATE_DB))
        await close_db()

    run_sync(build())
    yield TEMPLATE_DB
    _drop_pg(TEMPLATE_DB)


async def fresh_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Create an empty, migrated database for one test and return its URL."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "kiosk.sqlite3"
        shutil.copy(template, path)
        return f"sqlite://{path}"
    template_name: str = request.getfixturevalue("pg_template")
    name = f"kiosk_t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE {template_name}")
    finally:
        await conn.close()
    request.addfinalizer(lambda: _drop_pg(name))
    return _pg_db_url(name)


def _drop_pg(name: str) -> None:
    async def drop() -> None:
        conn = await asyncpg.connect(PG_URL)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()

    run_sync(drop())


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        need(PG_URL, "PostgreSQL")
    return str(request.param)


@pytest_asyncio.fixture
async def db(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Tortoise connected to a fresh, migrated database on each backend in turn."""
    url = await fresh_database(backend, request, tmp_path)
    await init_db(url, run_migrations=False)
    try:
        yield backend
    finally:
        await Tortoise.close_connections()


@pytest.fixture
def redis_url() -> str:
    return need(REDIS_URL, "Redis")
