"""Two Kiosk replicas behind one webhook URL, sharing one PostgreSQL database and one Redis.

Each replica is a real process (`python main.py run`, webhook mode, its own port). The sandbox
plays Telegram and the load balancer at once: it pushes updates round-robin to both replicas
and pushes an update again (to the other replica) when an answer takes too long. The test
reads each replica's /metrics to see which one handled what, and shows that:
- both start together on an EMPTY database (one migrates, the other waits for it);
- a conversation whose updates alternate between replicas keeps its FSM state (Redis);
- scheduled jobs run on one replica only (Redis leader lease), and move when it dies;
- an update pushed again to the other replica after a timeout is handled once;
- SIGTERM shuts a replica down cleanly and releases the scheduler lease.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from redis.asyncio import Redis

from demo.harness import SANDBOX_TOKEN, WEBHOOK_SECRET, free_port
from sandbox import Sandbox
from storage.campaigns.models import JobRunRow
from storage.db import close_db, init_db
from storage.models import AddressRow
from tests.conftest import PG_URL, REDIS_URL, _drop_pg, _pg_db_url, need_pg_and_empty_redis
from tests.e2e.crash_harness import wait_until

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_URL = "https://kiosk.example.test/telegram/webhook"  # the balancer's address
JOB = "campaigns.start_due"  # every CAMPAIGNS__DUE_CHECK_SECONDS; the jobs all elect alike
SAMPLE = re.compile(r"^(?P<key>[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?) (?P<value>\S+)$")


class Replica:
    def __init__(self, name: str, sandbox: Sandbox, db_url: str, log_path: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {
            **os.environ,
            "BOT_TOKEN": SANDBOX_TOKEN,
            "BOT_API_BASE_URL": sandbox.base_url,
            "DATABASE_URL": db_url,
            "REDIS_URL": REDIS_URL or "",
            "ADMIN_IDS": "9000",
            "WEBHOOK__URL": PUBLIC_URL,  # the same on every replica
            "WEBHOOK__SECRET": WEBHOOK_SECRET,
            "WEBHOOK__HOST": "127.0.0.1",
            "WEBHOOK__PORT": str(self.port),  # each replica its own
            "SCHEDULER__LEADER_TTL": "2",
            "CAMPAIGNS__DUE_CHECK_SECONDS": "1",
            "LOG_LEVEL": "INFO",
        }
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "main.py", "run"], cwd=ROOT, env=env, stdout=log, stderr=log
            )

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    async def get(self, path: str) -> tuple[int, str]:
        timeout = aiohttp.ClientTimeout(total=5)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(self.url + path) as response:
                return response.status, await response.text()

    async def metrics(self) -> dict[str, float]:
        status, text = await self.get("/metrics")
        assert status == 200, text
        out = {}
        for line in text.splitlines():
            match = SAMPLE.match(line)
            if match and not line.startswith("#"):
                out[match["key"]] = float(match["value"])
        return out

    async def handled(self) -> float:
        """Updates this replica handled (after de-duplication), all types."""
        m = await self.metrics()
        return sum(v for k, v in m.items() if k.startswith("kiosk_updates_total{"))

    async def wait_ready(self, timeout: float = 90) -> None:  # noqa: ASYNC109
        async def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"replica {self.name} exited:\n{self.log_tail()}")
            try:
                return (await self.get("/readyz"))[0] == 200
            except (aiohttp.ClientError, TimeoutError):
                return False

        await until(ready, timeout, f"replica {self.name} ready", self)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


async def until(
    check: Callable[[], Any],
    timeout: float,  # noqa: ASYNC109
    what: str,
    replica: Replica | None = None,
) -> None:
    await wait_until(check, timeout, what, replica.log_tail if replica is not None else None)


async def empty_database(request: pytest.FixtureRequest) -> str:
    """A brand-new database with no schema at all: the replicas must migrate it themselves."""
    name = f"kiosk_scale_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    request.addfinalizer(lambda: _drop_pg(name))
    return _pg_db_url(name)


async def leaders(replicas: list[Replica]) -> list[float]:
    return [(await r.metrics())["kiosk_scheduler_leader"] for r in replicas]


async def job_runs(replica: Replica) -> float:
    return (await replica.metrics()).get(f'kiosk_job_runs_total{{job="{JOB}"}}', 0.0)


@pytest.mark.timeout(240)
async def test_two_replicas_share_state_elect_one_scheduler_and_handle_each_update_once(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    await need_pg_and_empty_redis()
    db_url = await empty_database(request)
    sandbox = Sandbox(bot_token=SANDBOX_TOKEN, bot_username="kiosk_demo_bot", reply_timeout=20)
    await sandbox.start()
    replicas: list[Replica] = []
    try:
        replicas = [Replica(n, sandbox, db_url, tmp_path / f"{n}.log") for n in ("a", "b")]
        sandbox.set_webhook_targets([f"{r.url}/telegram/webhook" for r in replicas])
        for replica in replicas:
            await replica.wait_ready()
        await init_db(db_url, run_migrations=False)  # the replicas migrated it
        a, b = replicas

        # 1. A multi-step dialog whose steps alternate replicas keeps its FSM state.
        alice = sandbox.user(1001, "Alice")
        handled_by: list[str] = []

        async def step(action: Any, *args: Any) -> Any:
            before = [await r.handled() for r in replicas]
            replies = await action(*args)
            after = [await r.handled() for r in replicas]
            moved = [r.name for r, x, y in zip(replicas, before, after, strict=True) if y > x]
            assert len(moved) == 1, (before, after)  # each update handled by one replica
            handled_by.append(moved[0])
            return replies

        await step(alice.send, "/start")
        await step(alice.send, "/profile")
        await step(alice.press, "📍 Addresses")
        await step(alice.press, "➕ Add address")
        await step(alice.send, "Alice Liddell")
        await step(alice.send, "+1 555 123 4567")
        await step(alice.send, "Oxford")
        await step(alice.send, "Christ Church, St Aldates")
        replies = await step(alice.send, "ox1 1dp")
        assert "Save this address?" in replies[0].content, alice.transcript()
        replies = await step(alice.press, "✅ Save")
        assert "Address saved." in replies[0].content, alice.transcript()
        row = await AddressRow.get(user__telegram_id=1001)
        assert (row.recipient, row.city, row.postcode) == ("Alice Liddell", "Oxford", "OX1 1DP")
        # Round-robin: consecutive steps went to different replicas, the dialog never noticed.
        assert all(x != y for x, y in itertools.pairwise(handled_by)), handled_by

        # 2. The scheduler runs on one replica only; a fire is run once.
        await until(lambda: JobRunRow.filter(job_id=JOB, runs__gte=3).exists(), 60, "3 fires")
        flags = await leaders(replicas)
        assert sorted(flags) == [0, 1], flags
        leader, follower = (a, b) if flags[0] == 1 else (b, a)
        ran_before = await job_runs(leader) + await job_runs(follower)
        fires = (await JobRunRow.get(job_id=JOB)).runs
        ran_after = await job_runs(leader) + await job_runs(follower)
        assert ran_before <= fires <= ran_after  # every recorded fire ran on exactly one replica
        assert await job_runs(follower) == 0

        # 3. A slow answer: the update is pushed again to the other replica, handled once.
        original = sandbox.handle_call
        delayed: list[int] = []

        async def slow_help(token: str, method: str, p: Any) -> tuple[int, dict[str, Any]]:
            if method.lower() == "sendmessage" and "/profile" in str(p.data.get("text")):
                if not delayed:
                    delayed.append(1)
                    await asyncio.sleep(2.5)  # longer than the push timeout below
            return await original(token, method, p)

        sandbox.handle_call = slow_help  # type: ignore[method-assign]
        sandbox.webhook_timeout = 1.0
        try:
            help_before = len(_help_replies(sandbox))
            replies = await alice.send("/help")
            await sandbox.wait_idle(timeout=20)
        finally:
            sandbox.handle_call = original  # type: ignore[method-assign]
            sandbox.webhook_timeout = 60.0
        assert delayed == [1]

        async def duplicates() -> float:
            return sum([(await r.metrics())["kiosk_update_duplicates_total"] for r in replicas])

        # Pushes while the first copy is handled get 503 (retried later); the first push after
        # it is done is recognised and skipped (the sandbox's retries back off up to 2 s).
        await until(lambda: _equals(duplicates, 1), 20, "the late push to be skipped")
        await sandbox.wait_idle(timeout=20)
        assert len(_help_replies(sandbox)) == help_before + 1  # one answer, not two
        assert await duplicates() == 1
        for replica in replicas:  # asking for a redelivery is routine, not an error
            log = replica.log_path.read_text(errors="replace")
            assert " ERROR " not in log and "Traceback" not in log, log[-3000:]
        assert any("asking for redelivery" in r.log_path.read_text() for r in replicas)
        handled = sum([await r.handled() for r in replicas])
        assert handled == len(handled_by) + 1  # every update handled exactly once in all

        # 4. The leader dies without a word: the follower takes the lease over and runs jobs.
        os.kill(leader.process.pid, signal.SIGKILL)
        leader.process.wait(timeout=10)
        await until(lambda: _is_leader(follower), 30, "the follower to take over", follower)
        await until(lambda: _runs_jobs(follower), 30, "the new leader to run a job", follower)
        # ... and the shop keeps answering through the replica that is left.
        replies = await alice.send("/help")
        assert "/profile" in replies[0].content

        # 5. SIGTERM (systemd, docker stop) closes cleanly and hands the lease over at once.
        follower.process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(follower.process.wait, 30) == 0, follower.log_tail()
        assert "stop signal received" in follower.log_tail()
        redis = Redis.from_url(REDIS_URL or "")
        try:
            assert await redis.keys("kiosk:leader:*") == []
        finally:
            await redis.aclose()
        assert sandbox.errors == [], [(c.method, c.description) for c in sandbox.errors]
    finally:
        for replica in replicas:
            replica.stop()
        await sandbox.stop()
        await close_db()


def _help_replies(sandbox: Sandbox) -> list[Any]:
    return [m for m in sandbox.chat(1001) if m.from_bot and "/profile" in m.content]


async def _equals(value: Callable[[], Awaitable[float]], expected: float) -> bool:
    return await value() == expected


async def _is_leader(replica: Replica) -> bool:
    return (await replica.metrics())["kiosk_scheduler_leader"] == 1


async def _runs_jobs(replica: Replica) -> bool:
    return await job_runs(replica) > 0
