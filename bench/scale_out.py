"""Scale-out: Kiosk on one webhook replica, then on two, behind the emulator's round robin.

    KIOSK_BENCH_PG_URL=postgres://postgres@127.0.0.1:55432/postgres \
    KIOSK_BENCH_REDIS_URL=redis://127.0.0.1:56379/24 \
        .venv/bin/python bench/scale_out.py                 # one replica, then two
    ... bench/scale_out.py --offered 50,100 --duration 60   # open-loop latency, one replica

Both modes seed a fresh PostgreSQL database (`--goods`, registered users with an address) and
start every bot as its own process (`main.py run`, webhook mode, its own port), all sharing that
database and the Redis database given (flushed first). The sandbox plays Telegram and the load
balancer: it pushes updates round-robin to the replicas' URLs (`Sandbox.set_webhook_targets`),
with as many POSTs in flight as Kiosk's `WEBHOOK__MAX_CONNECTIONS` (40) in all.

Scale-out (the default): the shopper journey of bench/throughput.py's HTTP mode (/start,
catalogue to a card, search, add, /cart, checkout, pay), `--shoppers` users with
`--concurrency` at a time (closed loop: each sends the next update when the reply came), first
against ONE replica, then other shoppers against TWO, then the bare echo bot the same ways
(the baseline: what the emulator and HTTP alone allow). Per run it prints updates/s, reply
latency p50/p95/p99 and the CPU seconds of every process involved, read from /proc: each
replica, this process (the emulator and the simulated shoppers), the PostgreSQL backends of the
bench database and the Redis server; the rest of the machine's busy time is "other".

Offered load (`--offered RATE[,RATE...]`, one run per rate, `--duration` s each): open loop
on ONE fresh replica (`--offered-replicas` for more). A pacer releases one update every 1/RATE s
whatever the replies do: the next step of a shopper whose screen is ready, or a new shopper's
/start when none is waiting, so the offered rate holds even when the bot falls behind (replies
then queue and latency grows, as with real people; the mix then leans to new shoppers' first
steps). It prints the rate achieved, reply latency and how late the pacer itself sent (a busy
emulator shows there, not as bot latency).

Correctness, every run: each shopper who paid (a charge in the emulator) has exactly one charge
and one paid order; the replicas handled exactly the updates the emulator pushed (their
/metrics `kiosk_updates_total`), none recognised as a duplicate, no push failed, nothing logged
at ERROR. The exit status is 1 when a check fails.

All of it shares one machine: on a 2-core box the emulator, the shoppers, PostgreSQL, Redis and
the replicas compete for the same two cores, so the CPU table is what explains the figure.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import asyncpg
from redis.asyncio import Redis

from bench._bot_process import BotProcess, bot_env
from bench._pg import fresh_pg_database
from bench._shoppers import (
    Run,
    ShopPlan,
    install_latency_probe,
    pct,
    run_echo,
    run_shoppers,
    shopper,
)
from bench.throughput import FIRST_USER, seed
from demo.harness import SANDBOX_TOKEN
from sandbox import Sandbox
from storage.db import close_db, init_db
from storage.orders.models import OrderRow

BENCH_DB = "kiosk_bench_scale_out"
WARMUP_SHOPPERS = 10  # per run, before the measured shoppers: first-use costs not counted
TARGET_P95_MS = 150.0  # at an offered 100 updates/s, one replica (issue #20)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- CPU from /proc


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the name in parentheses may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / CLOCK_TICKS  # without guest time (counted in user)


@dataclass
class CpuMeter:
    """CPU seconds per labelled group of processes between `start()` and `stop()`."""

    server_url: str
    database: str
    redis_url: str
    groups: dict[str, list[int]] = field(default_factory=dict)
    _before: dict[int, float] = field(default_factory=dict)
    _busy0: float = 0.0
    _wall0: float = 0.0
    used: dict[str, float] = field(default_factory=dict)
    busy_s: float = 0.0
    wall_s: float = 0.0

    async def _discover(self) -> None:
        conn = await asyncpg.connect(self.server_url)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1", self.database
            )
        finally:
            await conn.close()
        self.groups["PostgreSQL (bench db)"] = [int(r["pid"]) for r in rows]
        redis = Redis.from_url(self.redis_url)
        try:
            info = await redis.info("server")
        finally:
            await redis.aclose()
        self.groups["redis-server (all dbs)"] = [int(info["process_id"])]

    async def start(self, bots: dict[str, int]) -> None:
        self.groups = {label: [pid] for label, pid in bots.items()}
        self.groups["emulator + shoppers"] = [os.getpid()]
        await self._discover()
        self._before = {pid: process_cpu_s(pid) for pids in self.groups.values() for pid in pids}
        self._busy0 = machine_busy_s()
        self._wall0 = time.perf_counter()

    async def stop(self) -> None:
        """Read every group now; PostgreSQL backends opened during the run count from 0."""
        await self._discover()
        after = {pid: process_cpu_s(pid) for pids in self.groups.values() for pid in pids}
        self.busy_s = machine_busy_s() - self._busy0
        self.wall_s = time.perf_counter() - self._wall0
        self.used = {
            label: sum(after[p] - self._before.get(p, 0.0) for p in pids)
            for label, pids in self.groups.items()
        }

    def lines(self) -> Iterator[str]:
        cores, elapsed_s = os.cpu_count() or 1, self.wall_s
        parts = [
            f"{label} {seconds:.1f}"
            + (f" ({100 * seconds / elapsed_s:.0f}% of a core)" if label.startswith("rep") else "")
            for label, seconds in self.used.items()
        ]
        other = self.busy_s - sum(self.used.values())
        yield f"CPU s: {', '.join(parts)}, other processes {max(other, 0.0):.1f}"
        yield (
            f"machine busy {self.busy_s:.1f} of {cores * elapsed_s:.1f} CPU s "
            f"({100 * self.busy_s / (cores * elapsed_s):.0f}% of {cores} cores) in "
            f"{elapsed_s:.1f} s, until the emulator was idle"
        )


# ---------------------------------------------------------------- replicas


class Replica:
    """One Kiosk (or echo bot) process in webhook mode on its own port."""

    def __init__(self, name: str, sb: Sandbox, database_url: str, redis_url: str, echo: bool):
        self.name = name
        self.env = bot_env(sb, "webhook", database_url, None if echo else redis_url)
        self.echo = echo
        argv = ["bench/_echo_bot.py"] if echo else ["main.py", "run"]
        self.process = BotProcess(argv, self.env, sb, "webhook")
        self.url = f"http://127.0.0.1:{self.env['WEBHOOK__PORT']}"

    @property
    def webhook_url(self) -> str:
        return self.env["WEBHOOK__URL"]

    @property
    def pid(self) -> int:
        return self.process.proc.pid

    async def metrics(self) -> dict[str, float]:
        """Kiosk's /metrics: updates handled (all types) and duplicates skipped."""
        if self.echo:
            return {"handled": 0.0, "duplicates": 0.0}
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            async with http.get(self.url + "/metrics") as response:
                text = await response.text()
        handled = duplicates = 0.0
        for line in text.splitlines():
            if line.startswith("kiosk_updates_total{"):
                handled += float(line.rsplit(" ", 1)[1])
            elif line.startswith("kiosk_update_duplicates_total "):
                duplicates = float(line.rsplit(" ", 1)[1])
        return {"handled": handled, "duplicates": duplicates}


@asynccontextmanager
async def replicas(
    sb: Sandbox, count: int, database_url: str, redis_url: str, echo: bool = False
) -> AsyncIterator[list[Replica]]:
    """Start `count` replicas one after the other (each sets the webhook), then route the
    emulator's pushes round-robin over all of them."""
    started: list[Replica] = []
    try:
        for n in range(count):
            replica = Replica("ab"[n] if count <= 2 else str(n), sb, database_url, redis_url, echo)
            started.append(replica)
            await replica.process.wait_ready()
        sb.set_webhook_targets([r.webhook_url for r in started])
        yield started
    finally:
        sb.set_webhook_targets(None)
        for replica in started:
            await replica.process.stop()


class PushCounter:
    """Counts the emulator's webhook POSTs and the failed ones (non-2xx, timeout, refused);
    installed once per emulator, read before and after each run."""

    def __init__(self, sb: Sandbox) -> None:
        assert sb.pusher is not None
        self.pushes = self.failed = 0
        original = sb.pusher._push

        async def counted(bot: Any, rec: Any) -> bool:
            self.pushes += 1
            ok = await original(bot, rec)
            self.failed += not ok
            return ok

        sb.pusher._push = counted  # type: ignore[method-assign]


# ---------------------------------------------------------------- the open-loop pacer


class Pacer:
    """Releases one update every 1/rate s: a waiting shopper's next step, else a new shopper.

    A step that sends two updates (paying: pre_checkout_query and successful_payment) uses
    two slots. `lag_ms` records how late each release came against the schedule.
    """

    def __init__(self, rate: float, start_shopper: Callable[[], None]) -> None:
        self.interval = 1.0 / rate
        self.start_shopper = start_shopper
        self.waiting: collections.deque[tuple[asyncio.Future[None], int]] = collections.deque()
        self.free_pass: set[int] = set()  # a new shopper's first step goes at once
        self.lag_ms: list[float] = []
        self.released = 0
        self.started = 0  # shoppers started because nobody was waiting
        self.closed = False

    async def pace(self, user_id: int, updates: int) -> None:
        if self.closed:
            raise asyncio.CancelledError
        if user_id in self.free_pass:
            self.free_pass.discard(user_id)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((future, updates))
        await future

    def admit(self, user_id: int) -> None:
        self.free_pass.add(user_id)

    async def run(self, duration_s: float) -> float:
        """Release updates on schedule for `duration_s`; returns the seconds it took."""
        started = time.perf_counter()
        slot, skip = 0, 0
        while slot * self.interval < duration_s:
            due = started + slot * self.interval
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            slot += 1
            if skip:  # the second update of a payment
                skip -= 1
                continue
            self.lag_ms.append(max(0.0, time.perf_counter() - due) * 1000)
            self.released += 1
            while self.waiting and self.waiting[0][0].done():
                self.waiting.popleft()
            if self.waiting:
                future, updates = self.waiting.popleft()
                future.set_result(None)
                skip = updates - 1
            else:
                self.started += 1
                self.start_shopper()
        return time.perf_counter() - started

    def close(self) -> None:
        self.closed = True
        while self.waiting:
            self.waiting.popleft()[0].cancel()


# ---------------------------------------------------------------- one measured run


@dataclass
class Outcome:
    label: str
    run: Run
    updates: int  # pushed by the emulator during the measured part
    cpu: CpuMeter
    problems: list[str] = field(default_factory=list)
    checked: str = ""

    @property
    def rate(self) -> float:
        return self.updates / self.run.elapsed_s if self.run.elapsed_s else float("nan")


class Bench:
    def __init__(self, args: argparse.Namespace, server_url: str, url: str, redis_url: str):
        self.args = args
        self.server_url, self.url, self.redis_url = server_url, url, redis_url
        self.next_user = FIRST_USER
        self.pushes: PushCounter | None = None

    def take_users(self, count: int) -> list[int]:
        ids = list(range(self.next_user, self.next_user + count))
        self.next_user += count
        return ids

    def meter(self) -> CpuMeter:
        return CpuMeter(self.server_url, self.url.rsplit("/", 1)[1], self.redis_url)

    async def measure(
        self,
        label: str,
        sb: Sandbox,
        bots: list[Replica],
        workload: Callable[[], Awaitable[Run]],
    ) -> Outcome:
        counter = self.pushes = self.pushes or PushCounter(sb)
        pushes0, failed0 = counter.pushes, counter.failed
        before = [await r.metrics() for r in bots]
        first_update = sb.bot().next_update_id
        charges0 = set(sb.charges)
        since = datetime.now(UTC)
        cpu = self.meter()
        await cpu.start({f"replica {r.name}": r.pid for r in bots})
        run = await workload()
        await sb.wait_idle(timeout=60)
        await cpu.stop()
        updates = sb.bot().next_update_id - first_update
        outcome = Outcome(label, run, updates, cpu)
        after = [await r.metrics() for r in bots]
        handled = [a["handled"] - b["handled"] for a, b in zip(after, before, strict=True)]
        duplicates = sum(
            a["duplicates"] - b["duplicates"] for a, b in zip(after, before, strict=True)
        )
        pushes, failed = counter.pushes - pushes0, counter.failed - failed0
        if not bots[0].echo:
            share = ", ".join(f"{r.name} {h:.0f}" for r, h in zip(bots, handled, strict=True))
            outcome.checked = (
                f"{updates} updates pushed ({pushes} POSTs), handled {sum(handled):.0f} "
                f"({share}), {duplicates:.0f} duplicates"
            )
            if sum(handled) != updates or duplicates or failed:
                outcome.problems.append(
                    f"updates pushed {updates}, handled {sum(handled):.0f}, duplicates "
                    f"{duplicates:.0f}, failed pushes {failed}"
                )
            await self.check_payments(sb, charges0, since, outcome)
        for replica in bots:
            count, first = replica.process.errors()
            if count:
                outcome.problems.append(f"replica {replica.name} logged {count} errors:\n{first}")
        if run.failures:
            outcome.problems.append(f"{len(run.failures)} shoppers failed: {run.failures[:3]}")
        return outcome

    async def check_payments(
        self, sb: Sandbox, charges0: set[str], since: datetime, outcome: Outcome
    ) -> None:
        """Every shopper charged in this run: exactly one charge and one paid order."""
        charges = collections.Counter(
            int(c["user_id"]) for k, c in sb.charges.items() if k not in charges0
        )
        await init_db(self.url, run_migrations=False)
        try:
            rows = await OrderRow.filter(
                created_at__gte=since, payment_status="paid", user__telegram_id__in=list(charges)
            ).values_list("user__telegram_id", flat=True)
        finally:
            await close_db()
        paid = collections.Counter(int(r) for r in rows)
        wrong = [(u, charges[u], paid[u]) for u in charges if charges[u] != 1 or paid[u] != 1]
        outcome.checked += f"; {len(charges)} shoppers paid, {len(charges) - len(wrong)} of them "
        outcome.checked += "with exactly one charge and one paid order"
        if wrong:
            outcome.problems.append(f"(user, charges, paid orders) not (1, 1): {wrong[:5]}")

    async def warm_up(self, sb: Sandbox, plan: ShopPlan) -> None:
        warm = await run_shoppers(sb, self.take_users(WARMUP_SHOPPERS), plan, seed=99)
        if warm.failures:
            raise RuntimeError(f"warm-up failed: {warm.failures[:3]}")

    async def closed_loop(
        self, sb: Sandbox, plan: ShopPlan, count: int, echo_of: Run | None
    ) -> Outcome:
        """One run of `count` replicas (Kiosk, or echo replaying `echo_of`)."""
        echo = echo_of is not None
        label = f"{'echo' if echo else 'kiosk'} x{count}"
        async with replicas(sb, count, self.url, self.redis_url, echo=echo) as bots:
            if echo_of is None:
                await self.warm_up(sb, plan)
                ids = self.take_users(self.args.shoppers)

                async def workload() -> Run:
                    return await run_shoppers(
                        sb, ids, plan, seed=count, concurrency=self.args.concurrency
                    )
            else:

                async def workload() -> Run:
                    return await run_echo(sb, echo_of, concurrency=self.args.concurrency)

            return await self.measure(label, sb, bots, workload)

    async def open_loop(self, sb: Sandbox, plan: ShopPlan, rate: float) -> tuple[Outcome, Pacer]:
        count = self.args.offered_replicas
        async with replicas(sb, count, self.url, self.redis_url) as bots:
            await self.warm_up(sb, plan)
            run = Run()
            tasks: list[asyncio.Task[None]] = []
            rng = random.Random(5)

            def start_shopper() -> None:
                (user_id,) = self.take_users(1)
                pacer.admit(user_id)
                user = sb.user(user_id, f"Shopper {user_id}")
                tasks.append(asyncio.create_task(shopper(run, user, plan, rng)))

            pacer = Pacer(rate, start_shopper)
            run.pace = pacer.pace

            async def workload() -> Run:
                run.elapsed_s = await pacer.run(self.args.duration)
                pacer.close()  # shoppers not finished by now stop at their next step
                await asyncio.gather(*tasks, return_exceptions=True)
                return run

            outcome = await self.measure(f"kiosk x{count} @{rate:g}/s", sb, bots, workload)
            return outcome, pacer


# ---------------------------------------------------------------- printing


def report(outcome: Outcome) -> None:
    lat = outcome.run.latencies_ms
    print(
        f"  {outcome.label:<14} {outcome.updates:>6} updates in {outcome.run.elapsed_s:6.1f} s "
        f"= {outcome.rate:7.1f} upd/s   latency ms p50={pct(lat, 50):.0f} "
        f"p95={pct(lat, 95):.0f} p99={pct(lat, 99):.0f}"
    )
    for line in outcome.cpu.lines():
        print(f"  {'':<14} {line}")
    if outcome.checked:
        print(f"  {'':<14} correctness: {outcome.checked}")
    for problem in outcome.problems:
        print(f"  PROBLEM {outcome.label}: {problem}")


def per_update_ms(outcome: Outcome, label_prefix: str) -> float:
    seconds = sum(s for k, s in outcome.cpu.used.items() if k.startswith(label_prefix))
    return 1000 * seconds / outcome.updates if outcome.updates else float("nan")


def cost_line(outcome: Outcome) -> str:
    """CPU ms per update by process, and the ceilings they imply: what the machine's cores
    could serve if nothing else ran, and what the replicas' own cores could (one core each:
    a replica's event loop is one thread)."""
    parts = {
        "replicas": per_update_ms(outcome, "replica"),
        "emulator + shoppers": per_update_ms(outcome, "emulator"),
        "PostgreSQL": per_update_ms(outcome, "PostgreSQL"),
        "Redis": per_update_ms(outcome, "redis"),
    }
    total = sum(parts.values())
    cores = os.cpu_count() or 1
    replicas = sum(1 for k in outcome.cpu.used if k.startswith("replica"))
    shown = ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
    return (
        f"{outcome.label:<14} CPU ms per update: {shown} = {total:.2f}; ceilings: "
        f"{cores} cores {1000 * cores / total:.0f} upd/s, "
        f"{replicas} replica core(s) {1000 * replicas / parts['replicas']:.0f} upd/s"
    )


def summary(one: Outcome, two: Outcome, echo: list[Outcome]) -> None:
    print(
        f"\n  scale-out: two replicas {two.rate:.1f} upd/s vs one {one.rate:.1f} = "
        f"{two.rate / one.rate:.2f}x"
    )
    for outcome in (one, two, *echo):
        print(f"  {cost_line(outcome)}")


# ---------------------------------------------------------------- main


async def prepare(args: argparse.Namespace) -> tuple[Bench, ShopPlan]:
    server_url = os.environ.get("KIOSK_BENCH_PG_URL")
    redis_url = os.environ.get("KIOSK_BENCH_REDIS_URL")
    if not server_url or not redis_url:
        raise SystemExit("set KIOSK_BENCH_PG_URL and KIOSK_BENCH_REDIS_URL (replicas share both)")
    redis = Redis.from_url(redis_url)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    url = await fresh_pg_database(server_url, BENCH_DB)
    if args.offered:
        # ~13 updates a journey when replies keep up; when they don't, every slot may start one
        shoppers = sum(int(rate * args.duration) + 100 for rate in args.offered)
        users = len(args.offered) * WARMUP_SHOPPERS + shoppers
    else:
        users = 2 * (WARMUP_SHOPPERS + args.shoppers)
    plan = await seed(url, args.goods, users, users)
    return Bench(args, server_url, url, redis_url), plan


async def main(args: argparse.Namespace) -> int:
    install_latency_probe()
    bench, plan = await prepare(args)
    sb = Sandbox(bot_token=SANDBOX_TOKEN, bot_username="kiosk_demo_bot", reply_timeout=180.0)
    await sb.start()
    try:
        outcomes = []
        for rate in args.offered:
            print(
                f"\n== open loop: {rate:g} updates/s offered for {args.duration:g} s, "
                f"{args.offered_replicas} replica(s) =="
            )
            outcome, pacer = await bench.open_loop(sb, plan, rate)
            report(outcome)
            print(
                f"  {'':<14} offered {pacer.released / outcome.run.elapsed_s:.1f} steps/s "
                f"({outcome.rate:.1f} updates/s with payments' two), {pacer.started} shoppers "
                f"started; pacer late ms p50={pct(pacer.lag_ms, 50):.1f} "
                f"p95={pct(pacer.lag_ms, 95):.1f} max={max(pacer.lag_ms, default=0):.1f}"
            )
            p95 = pct(outcome.run.latencies_ms, 95)
            print(
                f"  {'':<14} reply p95 {p95:.0f} ms (target <= {TARGET_P95_MS:.0f} ms at "
                f"100/s, one replica)"
            )
            print(f"  {cost_line(outcome)}")
            outcomes.append(outcome)
        if not args.offered:
            print(
                f"\n== closed loop: {args.shoppers} shoppers per run, {args.concurrency} "
                f"at once, {args.goods:,} goods =="
            )
            one = await bench.closed_loop(sb, plan, 1, None)
            report(one)
            two = await bench.closed_loop(sb, plan, 2, None)
            report(two)
            echo = []
            if not args.no_echo:
                for count in (1, 2):
                    echo.append(await bench.closed_loop(sb, plan, count, one.run))
                    report(echo[-1])
            summary(one, two, echo)
            outcomes += [one, two, *echo]
        refused = [(c.method, c.description) for c in sb.errors]
        if refused:
            print(f"  Bot API calls refused by the emulator: {len(refused)}, e.g. {refused[:3]}")
    finally:
        await sb.stop()
    if any(o.problems for o in outcomes):
        print("\nFAILED: see the PROBLEM lines above")
        return 1
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=1000, help="per closed-loop run")
    parser.add_argument("--concurrency", type=int, default=200, help="shoppers active at once")
    parser.add_argument("--goods", type=int, default=2000)
    parser.add_argument("--no-echo", action="store_true", help="skip the echo baseline")
    parser.add_argument(
        "--offered",
        type=lambda text: [float(rate) for rate in text.split(",")],
        default=[],
        help="open loop at these rates, updates/s (e.g. 50,100), one after the other",
    )
    parser.add_argument("--duration", type=float, default=60.0, help="open loop: s per rate")
    parser.add_argument("--offered-replicas", type=int, default=1)
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
