"""Readiness and metrics over HTTP: `/readyz` and `/metrics` beside the existing `/healthz`.

`/healthz` (bot/app.py) answers while the process serves HTTP. `/readyz` says whether this
replica should get traffic: the database answers, Redis answers (when configured) and the bot
has started (webhook registered or polling running) and is not shutting down; otherwise 503 with
a JSON body naming what failed. `/metrics` is the Prometheus text of bot/metrics.py.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Iterable
from typing import TYPE_CHECKING, Protocol

from aiohttp import web

from bot.runtime.metrics import CONTENT_TYPE, Metrics, escape, gauge
from storage.ops import broadcast_progress, ping_database, pool_stats

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.jobs.scheduler import KioskScheduler
    from bot.settings import Settings

log = logging.getLogger(__name__)
CHECK_TIMEOUT = 2.0  # a probe must answer even when a dependency hangs


class Replica(Protocol):
    """What the probes read of the running process (bot/runtime/app.py: KioskApp)."""

    settings: Settings
    redis: Redis | None
    metrics: Metrics
    scheduler: KioskScheduler | None

    @property
    def serving(self) -> bool: ...


async def _passes(check: Awaitable[object]) -> bool:
    try:
        return bool(await asyncio.wait_for(check, CHECK_TIMEOUT))
    except Exception:  # a probe reports, it never raises
        return False


async def ping_redis(redis: Redis) -> bool:
    """PING. redis-py types its commands for its blocking and asyncio clients at once
    (`Awaitable[bool] | bool`); the asyncio client's answer is always awaitable."""
    reply = redis.ping()
    return bool(await reply) if inspect.isawaitable(reply) else bool(reply)


async def _ping_database() -> bool:
    await ping_database()
    return True


async def readiness(kiosk: Replica) -> dict[str, bool]:
    """Each check by name; all must be true for the replica to be ready."""
    checks = {"database": await _passes(_ping_database())}
    if kiosk.redis is not None:
        checks["redis"] = await _passes(ping_redis(kiosk.redis))
    checks["bot"] = kiosk.serving
    return checks


def _backend() -> str:
    try:
        return pool_stats().backend
    except Exception:  # no connection (shutting down): the other series still count
        return "unknown"


def register_ops_routes(app: web.Application, kiosk: Replica) -> None:
    async def readyz(request: web.Request) -> web.Response:
        checks = await readiness(kiosk)
        failed = [name for name, ok in checks.items() if not ok]
        body: dict[str, object] = {"ready": not failed, "checks": checks}
        if failed:
            body["failed"] = failed
        return web.json_response(body, status=503 if failed else 200)

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(
            body=(await kiosk.metrics.render()).encode(), headers={"Content-Type": CONTENT_TYPE}
        )

    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)


def install_collectors(metrics: Metrics, kiosk: Replica) -> None:
    """The gauges read at scrape time: this replica's state, its pool and broadcast progress."""

    async def replica() -> Iterable[str]:
        lines = gauge(
            "kiosk_ready",
            "1 when the bot has started and is not shutting down.",
            [({}, 1.0 if kiosk.serving else 0.0)],
        )
        lines += gauge(
            "kiosk_info",
            "Run mode and database backend of this replica.",
            [({"mode": kiosk.settings.run_mode, "database": _backend()}, 1.0)],
        )
        scheduler = kiosk.scheduler
        leader = 1.0 if scheduler is not None and scheduler.is_leader else 0.0
        lines += gauge(
            "kiosk_scheduler_leader",
            "1 while this replica runs the scheduled jobs.",
            [({}, leader)],
        )
        runs = scheduler.runs_here if scheduler is not None else {}
        lines += [
            "# HELP kiosk_job_runs_total Scheduled job fires run by this replica.",
            "# TYPE kiosk_job_runs_total counter",
        ]
        lines += [
            f'kiosk_job_runs_total{{job="{escape(j)}"}} {n}' for j, n in sorted(runs.items())
        ]
        return lines

    async def database_pool() -> Iterable[str]:
        stats = pool_stats()
        lines = gauge(
            "kiosk_db_pool_connections",
            "Database connections by state (SQLite: one, locked).",
            [({"state": "in_use"}, stats.in_use), ({"state": "idle"}, stats.size - stats.in_use)],
        )
        lines += gauge(
            "kiosk_db_pool_max_connections",
            "Largest size the pool may grow to.",
            [({}, stats.max_size)],
        )
        return lines

    async def broadcasts() -> Iterable[str]:
        progress = await asyncio.wait_for(broadcast_progress(), CHECK_TIMEOUT)
        samples = [
            ({"campaign": campaign, "state": state}, float(n))
            for campaign, states in sorted(progress.items())
            for state, n in sorted(states.items())
        ]
        pending = sum(s.get("pending", 0) + s.get("sending", 0) for s in progress.values())
        lines = gauge(
            "kiosk_broadcast_deliveries",
            "Recipients of running and paused campaigns by delivery state.",
            samples,
        )
        lines += gauge(
            "kiosk_broadcast_pending",
            "Messages of active campaigns still to send.",
            [({}, float(pending))],
        )
        return lines

    metrics.add_collector(replica)
    metrics.add_collector(database_pool)
    metrics.add_collector(broadcasts)
