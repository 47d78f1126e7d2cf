"""Read-only numbers for operations: database reachability, pool usage, broadcast progress."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise import connections
from tortoise.functions import Count

from domain.campaigns.service import CampaignState
from storage.campaigns.models import DeliveryRow

# Campaigns whose progress is worth a series: the ones still sending or held by an admin.
ACTIVE_CAMPAIGN_STATES = (CampaignState.RUNNING.value, CampaignState.PAUSED.value)


@dataclass(frozen=True)
class PoolStats:
    backend: str  # "postgres" or "sqlite"
    size: int  # connections open now
    in_use: int  # of those, lent to a query or transaction
    max_size: int


async def ping_database() -> None:
    """Raise unless the default connection answers a trivial query."""
    await connections.get("default").execute_query("SELECT 1")


def pool_stats() -> PoolStats:
    """The default connection's pool, read from the driver without touching the database.

    Tortoise's asyncpg client keeps an `asyncpg.Pool` in `_pool`; its SQLite client has one
    connection serialised by `_lock`, so "in use" there means a query or transaction holds it.
    Both are private attributes: Tortoise has no public pool API (checked for 1.1).
    """
    conn = connections.get("default")
    pool = getattr(conn, "_pool", None)
    if pool is not None and hasattr(pool, "get_idle_size"):
        size = int(pool.get_size())
        return PoolStats(
            "postgres", size, size - int(pool.get_idle_size()), int(pool.get_max_size())
        )
    if pool is None and hasattr(conn, "pool_maxsize"):  # PostgreSQL before the first query
        return PoolStats("postgres", 0, 0, int(conn.pool_maxsize))
    lock = getattr(conn, "_lock", None)
    in_use = 1 if lock is not None and lock.locked() else 0
    return PoolStats("sqlite", 1, in_use, 1)


async def broadcast_progress() -> dict[int, dict[str, int]]:
    """Recipients of running and paused campaigns by delivery state: {campaign: {state: n}}."""
    rows = (
        await DeliveryRow.filter(campaign__state__in=ACTIVE_CAMPAIGN_STATES)
        .annotate(n=Count("id"))
        .group_by("campaign_id", "state")
        .values_list("campaign_id", "state", "n")
    )
    progress: dict[int, dict[str, int]] = {}
    for campaign_id, state, n in rows:
        progress.setdefault(int(campaign_id), {})[str(state)] = int(n)
    return progress
