"""Two schedulers sharing Redis and the database: one leads and runs the jobs; if it stops
renewing its lease (a crash), the other takes over once the lease expires."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger
from redis.asyncio import Redis

from bot.jobs.scheduler import JobContext, JobRegistry, KioskScheduler, LeaderLock, latest_fire
from storage.campaigns.jobruns import TortoiseJobRunStore

TTL = 1.0


class Service:
    def __init__(self) -> None:
        self.running = False

    async def start(self) -> None:
        self.running = True

    async def stop(self) -> None:
        self.running = False


def make(redis: Redis, key: str, runs: list[str], name: str) -> tuple[KioskScheduler, Service]:
    async def tick(ctx: JobContext) -> None:
        runs.append(name)

    registry = JobRegistry()
    registry.register_job("test.tick", tick, IntervalTrigger(seconds=0.2))
    service = Service()
    context: Any = JobContext(bot=None, services=None, settings=None)  # type: ignore[arg-type]
    scheduler = KioskScheduler(
        registry,
        context,
        TortoiseJobRunStore(),
        lock=LeaderLock(redis, key, TTL),
        leader_ttl=TTL,
        services=[service],
    )
    return scheduler, service


async def test_one_of_two_replicas_leads_and_the_other_takes_over(db: str, redis_url: str) -> None:
    key = f"kiosk:test-leader:{uuid.uuid4().hex}"
    clients = [Redis.from_url(redis_url), Redis.from_url(redis_url)]
    runs: list[str] = []
    (a, service_a), (b, service_b) = (
        make(clients[0], key, runs, "a"),
        make(clients[1], key, runs, "b"),
    )
    try:
        await a.start()
        await b.start()
        for _ in range(30):  # 3 s of observation: never two leaders at once
            await asyncio.sleep(0.1)
            assert not (a.is_leader and b.is_leader)
            assert not (service_a.running and service_b.running)
        leader, follower = (a, b) if a.is_leader else (b, a)
        assert leader.is_leader and not follower.is_leader
        leader_name = "a" if leader is a else "b"
        assert runs and set(runs) == {leader_name}

        # The leader "crashes": it stops renewing but never releases the lease.
        assert leader._loop_task is not None
        leader._loop_task.cancel()
        await leader._step_down()
        ran_before = len(runs)
        for _ in range(50):
            if follower.is_leader:
                break
            await asyncio.sleep(0.1)
        assert follower.is_leader
        await asyncio.sleep(0.6)
        assert len(runs) > ran_before and set(runs[ran_before:]) == {"a", "b"} - {leader_name}
    finally:
        await a.stop()
        await b.stop()
        for client in clients:
            await client.aclose()


async def test_only_the_lock_owner_can_renew_or_release(redis_url: str) -> None:
    key = f"kiosk:test-lock:{uuid.uuid4().hex}"
    client = Redis.from_url(redis_url)
    mine, theirs = LeaderLock(client, key, 5), LeaderLock(client, key, 5)
    try:
        assert await mine.acquire()
        assert not await theirs.acquire()
        assert not await theirs.renew()
        await theirs.release()  # not theirs: nothing happens
        assert await mine.renew()
        await mine.release()
        assert await theirs.acquire()
    finally:
        await client.delete(key)
        await client.aclose()


def test_a_missed_job_catches_up_once_at_its_latest_fire() -> None:
    trigger = IntervalTrigger(hours=1, timezone=UTC)
    last = datetime(2030, 1, 1, 0, tzinfo=UTC)
    now = last + timedelta(hours=5, minutes=30)  # five fires missed while down
    assert latest_fire(trigger, last, now) == last + timedelta(hours=5)
    assert latest_fire(trigger, last, last + timedelta(minutes=30)) is None
