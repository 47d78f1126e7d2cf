"""Throughput, latency, memory and start-up of Kiosk against a bare aiogram echo bot.

    .venv/bin/python bench/throughput.py                          # SQLite, 1,000 shoppers
    KIOSK_BENCH_PG_URL=postgres://postgres@127.0.0.1:55432/postgres \
    KIOSK_BENCH_REDIS_URL=redis://127.0.0.1:56379/8 \
        .venv/bin/python bench/throughput.py --goods 100000 --users 10000 --flood

Per backend (SQLite; PostgreSQL + Redis when the URLs are set) the bench seeds a generated
catalogue (`--goods`) and `--users` registered users, then per mode (polling, webhook):
- starts Kiosk (`main.py run`) in its own process against the sandbox and measures start-up
  (process start -> the bot asks for updates / sets its webhook; and -> first update answered);
- runs the mixed workload: `--shoppers` users, `--concurrency` of them at once (a new one
  starts as one finishes), each /start, browse the catalogue to a card, search, add to cart,
  /cart, checkout (address, shipping, confirm) and pay the invoice;
- prints updates/s, reply latency p50/p95/p99 and the bot's peak RSS;
- starts the echo bot (bench/_echo_bot.py) in the same mode on the same sandbox and sends it the
  same number and mix of updates from the same number of users: its updates/s and latency are
  the baseline of the same run.
With `--flood`, the last Kiosk run also measures throttling: `--flood-shoppers` users shop
alone, then the same number of other users shop while one user sends 50 messages/s; the
shoppers' p95 is printed for each (`--no-throttle` switches throttling off for comparison).
`--eager-aiogram` starts Kiosk with aiogram imported the usual way (the "before" of
bot/lazy_aiogram.py); `--profile DIR` runs Kiosk under cProfile. The Redis database given is
flushed before each run. Figures depend a lot on the machine's other load: repeat them.

`--inprocess` measures Kiosk's own cost instead, with no emulator and no HTTP (on uvloop):
the same shopper journey fed straight to the Dispatcher of a Kiosk built by its composition
root, every Bot API call answered in process (bench/_inprocess.py), then the bare echo bot the
same way. It prints updates/s, main-thread CPU ms, SQL statements, Redis round trips and Bot
API calls per update, checks that every shopper who paid has exactly one paid order and that
nothing was logged at ERROR, and exits 1 if not. With `--profile DIR` the Kiosk run is
profiled and summarised by layer. CPU ms per update is the figure that resists a busy machine.

    .venv/bin/python bench/throughput.py --inprocess --shoppers 1000 --concurrency 200
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis.asyncio import Redis

from bench import _inprocess
from bench._bot_process import BotProcess, bot_env
from bench._pg import fresh_pg_database
from bench._shoppers import (
    Run,
    ShopPlan,
    flood,
    install_latency_probe,
    pct,
    run_echo,
    run_shoppers,
)
from demo.catalog_gen import generate_catalogue
from demo.harness import SANDBOX_TOKEN, sandbox_settings
from demo.seed import bulk_load
from sandbox import Sandbox
from storage.catalog.models import ProductRow
from storage.db import close_db, init_db
from storage.models import AddressRow, UserRow

BENCH_DB = "kiosk_bench_throughput"
FIRST_USER = 1_000_000
EAGER_MAIN = (
    "import sys, runpy, aiogram; sys.argv = ['main.py', 'run']; "
    "runpy.run_path('main.py', run_name='__main__')"
)
TARGET_RATIO, TARGET_RSS_MB, TARGET_START_S = 0.5, 200.0, 2.0
TARGET_CPU_MS = 1.6  # in process, per shopper update (issue #20)
WARMUP_SHOPPERS = 10  # in process: shop once, uncounted, before the measured run


async def seed(url: str, goods: int, users: int, shoppers: int) -> ShopPlan:
    """Catalogue, registered users (the shoppers among them, with an address), stock."""
    started = time.perf_counter()
    await init_db(url)
    try:
        catalogue = generate_catalogue(goods)
        await bulk_load(catalogue)
        simple = [p.sku for p in catalogue.products if not p.variants][:200]
        ids = list(await ProductRow.filter(sku__in=simple).values_list("id", flat=True))
        await ProductRow.filter(id__in=ids).update(on_hand=10**7, active=True)
        now = datetime.now(UTC)
        total = max(users, shoppers)
        await UserRow.bulk_create(
            [
                UserRow(
                    telegram_id=FIRST_USER + n,
                    first_name=f"User {n}",
                    telegram_language="en",
                    referral_code=f"bench{n}",
                    last_seen_at=now,
                )
                for n in range(total)
            ],
            batch_size=1000,
        )
        rows = await UserRow.filter(telegram_id__lt=FIRST_USER + shoppers).values_list(
            "id", flat=True
        )
        await AddressRow.bulk_create(
            [
                AddressRow(
                    user_id=uid,
                    recipient="Buyer",
                    phone="+15551234567",
                    city="Oxford",
                    street="1 High St",
                    is_default=True,
                )
                for uid in rows
            ],
            batch_size=1000,
        )
        words = sorted({b.split()[0] for b in catalogue.brands})
    finally:
        await close_db()
    print(
        f"seeded {goods:,} goods, {total:,} users in {time.perf_counter() - started:.1f} s "
        f"({len(ids)} stocked simple goods in the workload)"
    )
    return ShopPlan(ids, words)


def report(label: str, run: Run) -> float:
    rate = run.updates / run.elapsed_s if run.elapsed_s else float("nan")
    lat = run.latencies_ms
    print(
        f"  {label:<8} {run.updates:>6} updates in {run.elapsed_s:6.1f} s = {rate:7.1f} upd/s"
        f"   latency ms p50={pct(lat, 50):.0f} p95={pct(lat, 95):.0f} p99={pct(lat, 99):.0f}"
        f"   failures={len(run.failures)}"
    )
    for failure in sorted(set(run.failures))[:3]:
        print(f"           {failure}")
    if run.transcripts and os.environ.get("KIOSK_BENCH_TRANSCRIPTS"):
        print(run.transcripts[0])
    return rate


async def flush(redis_url: str | None) -> None:
    if redis_url:
        redis = Redis.from_url(redis_url)
        await redis.flushdb()
        await redis.aclose()


async def throttle_check(sb: Sandbox, plan: ShopPlan, args: argparse.Namespace) -> None:
    """Shoppers' p95 alone, then (other shoppers) with one user flooding the bot."""
    count = args.flood_shoppers
    base = FIRST_USER + args.shoppers
    alone = await run_shoppers(sb, list(range(base, base + count)), plan, seed=7)
    stop = asyncio.Event()
    flooder = asyncio.create_task(flood(sb, FIRST_USER + args.users + 1, args.flood_rate, stop))
    others = list(range(base + count, base + 2 * count))
    flooded = await run_shoppers(sb, others, plan, seed=8)
    stop.set()
    sent = await flooder
    again = list(range(base + 2 * count, base + 3 * count))
    alone_again = await run_shoppers(sb, again, plan, seed=9)
    print(
        f"  throttling: {count} shoppers alone, {count} others while one user floods "
        f"{args.flood_rate:.0f} msg/s ({sent} sent), {count} more alone"
    )
    report("alone", alone)
    report("flooded", flooded)
    report("alone", alone_again)


async def bench_mode(
    backend: str,
    mode: str,
    url: str,
    redis_url: str | None,
    plan: ShopPlan,
    args: argparse.Namespace,
    last: bool,
) -> None:
    print(f"\n== {backend}, {mode} ==")
    shopper_ids = list(range(FIRST_USER, FIRST_USER + args.shoppers))
    await flush(redis_url)
    sb = Sandbox(bot_token=SANDBOX_TOKEN, bot_username="kiosk_demo_bot", reply_timeout=180.0)
    # As Telegram does for one bot, update ids go on increasing from the previous mode's run on
    # this database: Kiosk records effects (an order placed...) per update id, so a reused id
    # would be taken for a redelivery of the earlier update.
    sb.bot().next_update_id = _next_update_id.get(url, 1)
    await sb.start()
    try:
        env = bot_env(sb, mode, url, redis_url)
        if args.no_throttle:  # the comparison: every flooded update is handled in full
            env.update(THROTTLE__RATE="100000", THROTTLE__BURST="100000")
        argv = ["main.py", "run"]
        if args.eager_aiogram:  # the "before" of bot/lazy_aiogram.py: aiogram imported first
            argv = ["-c", EAGER_MAIN]
        if args.profile:  # cProfile writes its file when main.py exits on SIGINT
            name = f"{args.profile}/kiosk-{backend.split()[0].lower()}-{mode}.prof"
            argv = ["-m", "cProfile", "-o", name, *argv]
        kiosk = BotProcess(argv, env, sb, mode)
        probe = sb.user(FIRST_USER + args.users + 2, "Probe")
        probe_run = Run()
        probe.bench_t0 = kiosk.started  # type: ignore[attr-defined]
        probe.bench_sink = probe_run.latencies_ms  # type: ignore[attr-defined]
        try:
            probe_task = asyncio.create_task(probe.send("/start"))
            ready = await kiosk.wait_ready()
            await probe_task
            first = probe_run.latencies_ms[0] / 1000
            print(
                f"  start-up: ready (asks for updates) {ready:.2f} s, first update answered "
                f"{first:.2f} s after process start (target <= {TARGET_START_S} s)"
            )
            rss_idle = kiosk.peak_rss_mb()
            kiosk_run = await run_shoppers(sb, shopper_ids, plan, concurrency=args.concurrency)
            kiosk_rate = report("kiosk", kiosk_run)
            if args.flood and last:
                await throttle_check(sb, plan, args)
            rss = kiosk.peak_rss_mb()
            print(
                f"  kiosk peak RSS {rss:.0f} MiB (after start-up {rss_idle:.0f} MiB; "
                f"target <= {TARGET_RSS_MB:.0f})"
            )
            count, first_error = kiosk.errors()
            if count:
                print(f"  kiosk logged {count} errors; the first:\n{first_error}")
        finally:
            await kiosk.stop()
        echo = BotProcess(["bench/_echo_bot.py"], bot_env(sb, mode, url, None), sb, mode)
        try:
            await echo.wait_ready()
            echo_run = await run_echo(sb, kiosk_run, concurrency=args.concurrency)
            echo_rate = report("echo", echo_run)
            print(f"  echo peak RSS {echo.peak_rss_mb():.0f} MiB")
        finally:
            await echo.stop()
        ratio = kiosk_rate / echo_rate
        print(
            f"  ratio kiosk/echo {ratio:.2f}x (target >= {TARGET_RATIO}x)"
            f"   refused bot calls: {len(sb.errors)}"
        )
    finally:
        _next_update_id[url] = sb.bot().next_update_id
        await sb.stop()


_next_update_id: dict[str, int] = {}  # per database: where the next mode's update ids start


def inprocess_settings(url: str, redis_url: str | None) -> object:
    """The settings `demo/harness.py` gives a sandboxed Kiosk, with the HTTP mode's payment
    and scheduler choices (bench/_bot_process.py); the API URL is never called. Throttling
    runs but never drops: simulated shoppers press faster than people (the HTTP mode's
    `--no-throttle`), and a dropped press would stall the journey rather than cost less."""
    api = SimpleNamespace(default_token=SANDBOX_TOKEN, base_url="http://127.0.0.1:9/unused")
    return sandbox_settings(
        api,
        url,
        mode="polling",
        redis_url=redis_url,  # type: ignore[arg-type]
        payments={"currency": "USD", "provider_token": "284685063:TEST:bench"},
        scheduler={"enabled": False},
        throttle={"rate": 100000, "burst": 100000},
    )


async def bench_inprocess(
    backend: str,
    url: str,
    redis_url: str | None,
    plan: ShopPlan,
    args: argparse.Namespace,
    warmup_ids: list[int],
) -> bool:
    """Kiosk then echo, in this process; True when every correctness check passed."""
    print(f"\n== {backend}, in process ==")
    await flush(redis_url)
    _inprocess.TALLY.statements = Counter() if args.statements else None
    shopper_ids = list(range(FIRST_USER, FIRST_USER + args.shoppers))
    profile = None
    if args.profile:
        profile = f"{args.profile}/kiosk-{backend.split()[0].lower()}-inprocess.prof"
    kiosk = await _inprocess.bench_kiosk(
        inprocess_settings(url, redis_url),
        plan,
        shopper_ids,
        warmup_ids,
        args.concurrency or args.shoppers,
        profile,
    )
    _inprocess.print_figures(kiosk)
    if args.statements:
        _inprocess.print_statements(kiosk, args.statements)
    echo = await _inprocess.bench_echo(kiosk.run, args.concurrency or args.shoppers)
    _inprocess.print_figures(echo)
    ratio = kiosk.rate / echo.rate
    cpu = 1000 * kiosk.per_update(kiosk.cpu_s)
    print(
        f"  ratio kiosk/echo {ratio:.2f}x; Kiosk {cpu:.2f} ms CPU per update "
        f"(target <= {TARGET_CPU_MS} ms)"
    )
    if profile:
        _inprocess.summarise_profile(profile, kiosk.updates)
    return _inprocess.ok(kiosk) and _inprocess.ok(echo)


async def main_inprocess(args: argparse.Namespace) -> int:
    """--inprocess: seed, then Kiosk and echo in this process, per backend."""
    _inprocess.install_counters()
    backends = args.backends.split(",")
    users = max(args.users, args.shoppers + WARMUP_SHOPPERS)
    warmup_ids = list(range(FIRST_USER + users - WARMUP_SHOPPERS, FIRST_USER + users))
    pg, redis_url = os.environ.get("KIOSK_BENCH_PG_URL"), os.environ.get("KIOSK_BENCH_REDIS_URL")
    good = True
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in backends:
            url = f"sqlite://{tmp}/bench.sqlite3"
            plan = await seed(url, args.goods, users, users)
            good &= await bench_inprocess("SQLite", url, None, plan, args, warmup_ids)
    if pg and "postgres" in backends:
        url = await fresh_pg_database(pg, BENCH_DB)
        plan = await seed(url, args.goods, users, users)
        good &= await bench_inprocess("PostgreSQL + Redis", url, redis_url, plan, args, warmup_ids)
    elif "postgres" in backends:
        print("\n(KIOSK_BENCH_PG_URL not set: PostgreSQL + Redis skipped)")
    if not good:
        print("\nFAILED: see the CORRECTNESS / failures / ERROR lines above")
    return 0 if good else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=1000)
    parser.add_argument(
        "--concurrency", type=int, default=200, help="shoppers active at once (0: all of them)"
    )
    parser.add_argument("--goods", type=int, default=2000)
    parser.add_argument("--users", type=int, default=1000, help="registered users seeded")
    parser.add_argument("--modes", default="polling,webhook")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--flood", action="store_true", help="measure per-user throttling")
    parser.add_argument("--flood-shoppers", type=int, default=50)
    parser.add_argument("--flood-rate", type=float, default=50.0)
    parser.add_argument("--no-throttle", action="store_true", help="switch throttling off")
    parser.add_argument("--eager-aiogram", action="store_true", help="import aiogram eagerly")
    parser.add_argument("--profile", metavar="DIR", help="cProfile the bot into DIR/*.prof")
    parser.add_argument(
        "--inprocess", action="store_true", help="Kiosk's own cost: no emulator, no HTTP"
    )
    parser.add_argument(
        "--statements",
        type=int,
        default=0,
        metavar="N",
        help="(--inprocess) print the N most frequent SQL statements per update",
    )
    return parser.parse_args()


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    install_latency_probe()
    modes = args.modes.split(",")
    backends = args.backends.split(",")
    users = max(args.users, args.shoppers + 3 * args.flood_shoppers)
    pg, redis_url = os.environ.get("KIOSK_BENCH_PG_URL"), os.environ.get("KIOSK_BENCH_REDIS_URL")
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in backends:
            url = f"sqlite://{tmp}/bench.sqlite3"
            plan = await seed(url, args.goods, users, users)
            for mode in modes:
                last = mode == modes[-1] and not (pg and "postgres" in backends)
                await bench_mode("SQLite", mode, url, None, plan, args, last)
    if pg and "postgres" in backends:
        url = await fresh_pg_database(pg, BENCH_DB)
        plan = await seed(url, args.goods, users, users)
        for mode in modes:
            await bench_mode(
                "PostgreSQL + Redis", mode, url, redis_url, plan, args, mode == modes[-1]
            )
    elif "postgres" in backends:
        print("\n(KIOSK_BENCH_PG_URL not set: PostgreSQL + Redis skipped)")


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.inprocess:
        import uvloop

        # The bot logs into a file (the bench counts its ERROR records); the figures stay
        # readable on the terminal.
        log_file = tempfile.NamedTemporaryFile(prefix="kiosk-inprocess-", suffix=".log").name
        logging.basicConfig(level=logging.WARNING, filename=log_file)
        print(f"bot log: {log_file}")
        sys.exit(uvloop.run(main_inprocess(arguments)))
    asyncio.run(main(arguments))
