"""Scheduled jobs on exactly one replica: APScheduler 3 behind a Redis leader lock.

- Leader election: `SET key token NX PX ttl`, renewed every ttl/3 by a Lua script that extends
  the key only while it still holds our token. A leader that dies stops renewing and another
  replica takes over once the key expires. Without Redis the single process leads.
- Jobs are registered by id (`JobRegistry.register_job`) and added with that fixed id and
  `replace_existing`; APScheduler gets only the job id as argument, the function looks up its
  dependencies in `JobContext` at run time (nothing unpicklable ever reaches a job store).
- The database is the truth: `job_runs` keeps the last fire time each job ran for. A fire is
  claimed there before it runs (conditional update), so an overlapping replica can't run it
  twice, and at election a job whose fires were missed while no one led runs once, not N times.
- Leader services (the delivery engine) start and stop with leadership.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from redis.asyncio import Redis
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from aiogram import Bot

    from bot.settings import Settings
    from bot.wiring import Services

log = logging.getLogger(__name__)

MAX_CATCH_UP_STEPS = 100_000


class BulkPacer(Protocol):
    async def wait_turn(self) -> None:
        """Wait for a slot of the one bulk-sending rate (shared with the delivery engine)."""
        ...


@dataclass
class JobContext:
    """What a job may use; built once per process, never stored in a job store."""

    bot: Bot
    services: Services
    settings: Settings
    pacer: BulkPacer | None = None  # jobs sending to many shoppers take turns here


JobFunc = Callable[[JobContext], Awaitable[None]]
TriggerFactory = Callable[["Settings"], BaseTrigger]


@dataclass(frozen=True)
class JobSpec:
    job_id: str
    func: JobFunc
    trigger: BaseTrigger | TriggerFactory
    catch_up: bool = True  # run once at election if fires were missed while nobody led

    def build_trigger(self, settings: Settings) -> BaseTrigger:
        return self.trigger if isinstance(self.trigger, BaseTrigger) else self.trigger(settings)


class JobRegistry:
    """Jobs by fixed id. Adding a job is one call: `register_job(id, async_func, trigger)`."""

    def __init__(self) -> None:
        self._jobs: dict[str, JobSpec] = {}

    def register_job(
        self,
        job_id: str,
        func: JobFunc,
        trigger: BaseTrigger | TriggerFactory,
        *,
        catch_up: bool = True,
    ) -> None:
        self._jobs[job_id] = JobSpec(job_id, func, trigger, catch_up)

    def get(self, job_id: str) -> JobSpec | None:
        return self._jobs.get(job_id)

    def specs(self) -> list[JobSpec]:
        return list(self._jobs.values())


def daily_at(hour: int, minute: int = 0) -> TriggerFactory:
    """A trigger firing every day at hour:minute in the shop's time zone."""
    return lambda settings: CronTrigger(hour=hour, minute=minute, timezone=settings.shop.timezone)


def latest_fire(trigger: BaseTrigger, after: datetime, now: datetime) -> datetime | None:
    """The last fire time of `trigger` in (after, now], or None when there is none."""
    found = None
    current = after
    for _ in range(MAX_CATCH_UP_STEPS):
        nxt = trigger.get_next_fire_time(current, current)
        if nxt is None or nxt > now:
            return found
        if nxt <= current:  # a trigger that doesn't advance; don't spin
            return found
        found = current = nxt
    return now  # fired more often than we care to count: the slot is simply "now"


class JobRunStore(Protocol):
    async def last_fire(self, job_id: str) -> datetime | None: ...

    async def claim(self, job_id: str, fire_time: datetime) -> bool: ...

    async def finish(self, job_id: str, fire_time: datetime, error: str | None) -> None: ...


class LeaderService(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class LeaderLock:
    """A Redis lease owned by a random token; only its owner can extend or release it."""

    def __init__(self, redis: Redis, key: str, ttl: float) -> None:
        self.redis = redis
        self.key = key
        self.ttl_ms = int(ttl * 1000)
        self.token = uuid.uuid4().hex
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self) -> bool:
        return bool(await self.redis.set(self.key, self.token, nx=True, px=self.ttl_ms))

    async def renew(self) -> bool:
        return bool(await self._renew(keys=[self.key], args=[self.token, self.ttl_ms]))

    async def release(self) -> None:
        await self._release(keys=[self.key], args=[self.token])


class KioskScheduler:
    """Runs the registered jobs and leader services while this process holds the lease."""

    def __init__(
        self,
        registry: JobRegistry,
        context: JobContext,
        runs: JobRunStore,
        *,
        timezone: str = "UTC",
        lock: LeaderLock | None = None,
        leader_ttl: float = 15.0,
        misfire_grace_time: int = 300,
        services: list[LeaderService] | None = None,
    ) -> None:
        self.registry = registry
        self.context = context
        self.runs = runs
        self.timezone = timezone
        self.lock = lock
        self.leader_ttl = leader_ttl
        self.misfire_grace_time = misfire_grace_time
        self.services = services or []
        self.is_leader = False
        self.runs_here: dict[str, int] = {}  # fires this process ran, by job id (metrics)
        self._aps: AsyncIOScheduler | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._job_tasks: set[asyncio.Task[Any]] = set()
        self._stopped = asyncio.Event()

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._election_loop(), name="leader-election")

    async def stop(self) -> None:
        self._stopped.set()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with suppress(asyncio.CancelledError):
                await self._loop_task
        if self.is_leader:
            await self._step_down()
            if self.lock is not None:
                with suppress(RedisError):
                    await self.lock.release()  # a clean exit hands over at once, not after ttl

    # ---- leadership ----

    async def _election_loop(self) -> None:
        if self.lock is None:
            await self._become_leader()
            return
        loop = asyncio.get_running_loop()
        last_renewed = 0.0
        while not self._stopped.is_set():
            try:
                held = await (self.lock.renew() if self.is_leader else self.lock.acquire())
                if held:
                    last_renewed = loop.time()
            except RedisError as exc:
                # Redis unreachable: the lease is still ours until it would have expired.
                held = self.is_leader and loop.time() - last_renewed < self.leader_ttl * 0.8
                log.warning("leader lock: redis error %s (still leader: %s)", exc, held)
            if held and not self.is_leader:
                await self._become_leader()
            elif not held and self.is_leader:
                log.warning("leadership lost; stopping scheduled jobs")
                await self._step_down()
            await asyncio.sleep(self.leader_ttl / 3)

    async def _become_leader(self) -> None:
        self.is_leader = True
        log.info("this process is the scheduler leader")
        aps = AsyncIOScheduler(
            timezone=self.timezone,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.misfire_grace_time,
            },
        )
        for spec in self.registry.specs():
            aps.add_job(
                self.run_job,
                spec.build_trigger(self.context.settings),
                args=[spec.job_id],
                id=spec.job_id,
                replace_existing=True,
            )
        aps.start()
        self._aps = aps
        for spec in self.registry.specs():
            if spec.catch_up:
                self._spawn(self._catch_up(spec))
        for service in self.services:
            await service.start()

    async def _step_down(self) -> None:
        self.is_leader = False
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        for service in self.services:
            with suppress(Exception):
                await service.stop()
        for task in list(self._job_tasks):
            task.cancel()

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._job_tasks.add(task)
        task.add_done_callback(self._job_tasks.discard)

    # ---- running jobs ----

    async def _catch_up(self, spec: JobSpec) -> None:
        last = await self.runs.last_fire(spec.job_id)
        if last is None:
            return  # never ran: a brand-new job waits for its first regular fire
        now = datetime.now(UTC)
        trigger = spec.build_trigger(self.context.settings)
        missed = latest_fire(trigger, last, now)
        if missed is not None:
            log.info("job %s missed its fire at %s; running it once now", spec.job_id, missed)
            await self._execute(spec, missed)

    async def run_job(self, job_id: str) -> None:
        """What APScheduler calls: find the fire this run stands for, claim it, run it."""
        spec = self.registry.get(job_id)
        if spec is None or not self.is_leader:
            return
        now = datetime.now(UTC)
        last = await self.runs.last_fire(job_id)
        fire = None
        if last is not None:
            fire = latest_fire(spec.build_trigger(self.context.settings), last, now)
        await self._execute(spec, fire or now.replace(microsecond=0))

    async def _execute(self, spec: JobSpec, fire_time: datetime) -> bool:
        if not await self.runs.claim(spec.job_id, fire_time):
            return False  # another replica (or the catch-up) already ran this fire
        self.runs_here[spec.job_id] = self.runs_here.get(spec.job_id, 0) + 1
        error = None
        try:
            await spec.func(self.context)
        except Exception as exc:  # a failing job is recorded, and the next fire tries again
            log.exception("job %s failed", spec.job_id)
            error = repr(exc)
        await self.runs.finish(spec.job_id, fire_time, error)
        return True
