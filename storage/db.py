"""Database start-up: Tortoise config from a URL, migrations, shutdown."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api.migrate import migrate

log = logging.getLogger(__name__)

# One Tortoise app per feature area, each with its own migrations package, so features can
# add tables without touching each other's migration history. Cross-app foreign keys are fine
# ("models.UserRow"). Add new apps at the end: migrations run in this order.
APPS: dict[str, tuple[list[str], str]] = {
    "models": (["storage.models"], "storage.migrations"),
    "catalog": (["storage.catalog.models"], "storage.catalog.migrations"),
    "campaigns": (["storage.campaigns.models"], "storage.campaigns.migrations"),
    "recs": (["storage.recs.models"], "storage.recs.migrations"),
    "orders": (["storage.orders.models"], "storage.orders.migrations"),
    "reviews": (["storage.reviews.models"], "storage.reviews.migrations"),
    "admin": (["storage.admin.models"], "storage.admin.migrations"),
    "jobs": (["storage.jobs.models"], "storage.jobs.migrations"),
    "alerts": (["storage.alerts.models"], "storage.alerts.migrations"),
    "loyalty": (["storage.loyalty.models"], "storage.loyalty.migrations"),
    "support": (["storage.support.models"], "storage.support.migrations"),
    "subscriptions": (["storage.subscriptions.models"], "storage.subscriptions.migrations"),
    "shop": (["storage.shop.models"], "storage.shop.migrations"),
}


PG_POOL_SIZE = 20


def normalise_url(url: str) -> str:
    """Accept the common spellings (postgresql://, sqlite:///abs) and make SQLite dirs exist."""
    if url.startswith("postgresql+asyncpg://"):
        url = "postgres://" + url.split("://", 1)[1]
    if url.startswith("postgresql://"):
        url = "postgres://" + url.split("://", 1)[1]
    if url.startswith("postgres://") and "maxsize=" not in url:
        # Tortoise's default pool is 5 connections; a burst of pre-checkout queries (which must
        # be answered within 10 s) should not queue behind it. An explicit maxsize wins.
        url += ("&" if "?" in url else "?") + f"maxsize={PG_POOL_SIZE}"
    if url.startswith("sqlite://") and not url.startswith("sqlite://:memory:"):
        path = url.split("://", 1)[1].split("?", 1)[0]
        if path:
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return url


def backend_of(url: str) -> str:
    scheme = urlsplit(normalise_url(url)).scheme
    return "sqlite" if scheme == "sqlite" else "postgres"


# PostgreSQL re-plans a prepared statement with its actual parameters only for its first five
# runs, then may switch to one generic plan. For skewed data that plan is badly wrong: a search
# for a word in 3 goods and one in 4,000 get the same plan, and a price range covering the whole
# shop gets treated like a narrow one (measured: 14 ms generic vs 0.7 ms custom for the same
# search). The bot's statements are short, so planning each run costs a fraction of that.
PG_SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan"}


async def _keep_session(connection: object) -> None:
    """asyncpg's pool reset for a released connection, minus the round trip.

    By default asyncpg sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL` every time Tortoise gives a connection back, i.e. after every query: that was
    5 of the 13 statements the bot sent per shopper update. Kiosk leaves no session state on
    pooled connections (settings are transaction-local `SET LOCAL`/`set_config(..., true)`,
    the migration lock has its own connection, no LISTEN or cursors), and asyncpg still rolls
    back an open transaction before calling this.
    """


def _connection(url: str) -> str | dict[str, Any]:
    url = normalise_url(url)
    if backend_of(url) != "postgres":
        return url
    config: dict[str, Any] = expand_db_url(url)
    config["credentials"]["server_settings"] = dict(PG_SERVER_SETTINGS)
    config["credentials"]["reset"] = _keep_session
    return config


def tortoise_config(url: str) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(url)},
        "apps": {
            label: {"models": models, "default_connection": "default", "migrations": migrations}
            for label, (models, migrations) in APPS.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


MIGRATION_LOCK = 0x4B696F736B  # pg_advisory_lock key ("Kiosk"): one migrator at a time


async def apply_migrations(url: str) -> None:
    """Bring the schema up to date with the migrations in storage/migrations.

    On PostgreSQL a session advisory lock serialises replicas that start together: the
    first applies the migrations, the others wait and then find nothing left to do.
    """
    if backend_of(url) != "postgres":
        await migrate(config=tortoise_config(url))
        return
    import asyncpg

    lock = await asyncpg.connect(_driver_dsn(url))
    try:
        await lock.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
        await migrate(config=tortoise_config(url))
    finally:
        await lock.close()  # closing the session releases the lock


def _driver_dsn(url: str) -> str:
    """The URL as asyncpg itself accepts it: without Tortoise's pool options."""
    parts = urlsplit(normalise_url(url))
    kept = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("maxsize", "minsize")]
    return urlunsplit(parts._replace(query=urlencode(kept)))


async def init_db(url: str, *, run_migrations: bool = True) -> str:
    """Connect (and migrate); returns the backend name ('sqlite' or 'postgres')."""
    if run_migrations:
        await apply_migrations(url)
        await Tortoise.close_connections()
    # Tortoise caches compiled INSERTs per connection *name*; a process that re-inits onto
    # another backend (tests, the demo) must not reuse SQLite's SQL on PostgreSQL.
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(url))
    backend = backend_of(url)
    if backend == "sqlite":
        # Read the file through mmap and a 64 MB page cache: full-text search over 100k goods
        # touches many pages, and SQLite's default 2 MB cache makes each one a syscall.
        await connections.get("default").execute_script(
            "PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536;"
        )
    log.info("database ready (%s)", backend)
    return backend


async def close_db() -> None:
    await Tortoise.close_connections()
