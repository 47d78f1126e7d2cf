"""The floor under Kiosk's CPU per update: what the stack itself costs, measured piece by piece.

    .venv/bin/python bench/floor.py                       # SQLite
    KIOSK_BENCH_PG_URL=postgres://postgres@127.0.0.1:55432/postgres \
    KIOSK_BENCH_REDIS_URL=redis://127.0.0.1:56379/8 .venv/bin/python bench/floor.py

bench/throughput.py --inprocess gives Kiosk's CPU per shopper update; this bench says how much
of it any Kiosk on this stack (aiogram 3, Tortoise ORM, the Bot API client) must spend, so a
target can be checked against it. On uvloop, in one process, main-thread CPU per call:

- **dispatch**: Kiosk built by its composition root (bench/_inprocess.py's local Bot API),
  fed the cheapest real update there is: a press of "Home" (the user read, throttle, claim and
  conversation state, every router tried in order, one edit and one callback answer), beside
  the bare echo bot fed the same number of presses;
- **one Bot API call** through aiogram's client (serialised, answered, the answer checked);
- **one Redis round trip** (a GET through redis-py's asyncio client), with Redis;
- **one statement**, three ways, on the same user rows: Tortoise's query builder
  (`UserRow.get_or_none(id=...)`), the same read with its SQL rendered once
  (`storage/compiled.py`) and the driver alone (`execute_query` on Tortoise's connection, no
  model built); a one-row UPDATE by Tortoise and raw; an empty transaction (BEGIN + COMMIT).

The floor of the journey is then dispatch + (statements per update - those in the Home press) x
one compiled statement + (Bot API calls per update - those in the Home press) x one call,
with the journey's counts from bench/throughput.py --inprocess.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _inprocess
from bench._pg import fresh_pg_database
from bench.throughput import BENCH_DB, FIRST_USER, flush, inprocess_settings, seed

HOME = "m:home"  # handlers/start.py: home_button, the cheapest screen


async def cpu_per_call(calls: int, one: Callable[[int], Awaitable[Any]]) -> float:
    """Main-thread CPU ms per awaited call (after a warm-up of a tenth as many)."""
    for i in range(max(1, calls // 10)):
        await one(i)
    t0 = time.thread_time()
    for i in range(calls):
        await one(i)
    return 1000 * (time.thread_time() - t0) / calls


async def statements(users: list[int], calls: int) -> dict[str, float]:
    from tortoise.transactions import in_transaction

    from storage.compiled import CompiledGet
    from storage.models import UserRow

    rows = await UserRow.filter(telegram_id__in=users[:200]).values_list("id", flat=True)
    ids = list(rows)
    rng = random.Random(7)
    pick = [rng.choice(ids) for _ in range(calls + calls // 10 + 1)]
    compiled = CompiledGet(UserRow, "id")
    db = UserRow._choose_db()
    marks = "$1" if db.capabilities.dialect == "postgres" else "?"
    select = f'SELECT * FROM "users" WHERE "id"={marks} LIMIT 2'
    update = f'UPDATE "users" SET "marketing_opt_in"={marks} WHERE "id"={marks.replace("1", "2")}'
    now = datetime.now(UTC)

    async def orm_get(i: int) -> Any:
        return await UserRow.get_or_none(id=pick[i])

    async def compiled_get(i: int) -> Any:
        return await compiled.get(pick[i])

    async def raw_get(i: int) -> Any:
        return await db.execute_query(select, [pick[i]])

    async def orm_update(i: int) -> Any:
        return await UserRow.filter(id=pick[i]).update(last_seen_at=now)

    async def raw_update(i: int) -> Any:
        return await db.execute_query(update, [False, pick[i]])

    async def empty_transaction(i: int) -> Any:
        async with in_transaction():
            pass

    return {
        "read, Tortoise query builder": await cpu_per_call(calls, orm_get),
        "read, SQL rendered once (storage/compiled.py)": await cpu_per_call(calls, compiled_get),
        "read, driver only (no model)": await cpu_per_call(calls, raw_get),
        "update, Tortoise query builder": await cpu_per_call(calls, orm_update),
        "update, driver only": await cpu_per_call(calls, raw_update),
        "empty transaction (BEGIN, COMMIT)": await cpu_per_call(calls, empty_transaction),
    }


async def presses(feed: Any, world: Any, user_ids: list[int], calls: int) -> tuple[float, dict]:
    """CPU ms per Home press (users taking turns), and the SQL / Redis / API counts per press."""
    users = [_inprocess.LocalUser(world, feed, i, f"User {i}") for i in user_ids]
    for user in users:  # a screen to press on
        await user.send("/help")

    async def press(i: int) -> None:
        await users[i % len(users)].press_data(HOME)

    for i in range(max(1, calls // 10)):
        await press(i)
    _inprocess.TALLY.reset()
    t0 = time.thread_time()
    for i in range(calls):
        await press(i)
    cpu = 1000 * (time.thread_time() - t0) / calls
    tally = _inprocess.TALLY
    counts = {
        "SQL": tally.sql / calls,
        "Redis": tally.redis / calls,
        "Bot API": sum(tally.api.values()) / calls,
    }
    return cpu, counts


async def api_call(bot: Any, chat_id: int, calls: int) -> float:
    async def send(i: int) -> Any:
        return await bot.send_message(chat_id, f"Message {i}")

    return await cpu_per_call(calls, send)


async def redis_round_trip(redis_url: str, calls: int) -> float:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    try:
        return await cpu_per_call(calls, lambda i: client.get(f"kiosk:floor:{i % 50}"))
    finally:
        await client.aclose()


async def measure(backend: str, url: str, redis_url: str | None, args: argparse.Namespace) -> None:
    from aiogram import Bot

    from bench._echo_bot import build_echo_dispatcher

    print(f"\n== {backend} ==")
    await flush(redis_url)
    plan = await seed(url, args.goods, args.users, args.users)
    del plan
    user_ids = list(range(FIRST_USER, FIRST_USER + 50))
    world = _inprocess.World(loads=_inprocess._loads_for(None))
    async with _inprocess.local_kiosk(inprocess_settings(url, redis_url), world) as app:
        feed = _inprocess._feeder(app.dp, app.bot)
        kiosk_press, counts = await presses(feed, world, user_ids, args.calls)
        sql = await statements(user_ids, args.calls)
        api = await api_call(app.bot, user_ids[0], args.calls)
    echo_world = _inprocess.World(loads=_inprocess._loads_for(None))
    echo_bot = Bot(
        f"{_inprocess.BOT_ID}:echo-local-token", session=_inprocess.LocalSession(echo_world)
    )
    echo_feed = _inprocess._feeder(build_echo_dispatcher(), echo_bot)
    echo_press, _ = await presses(echo_feed, echo_world, user_ids, args.calls)
    await echo_bot.session.close()

    print(f"  a Home press, Kiosk                       {kiosk_press:6.3f} ms", end="")
    print("   (" + ", ".join(f"{k} {v:.2f}" for k, v in counts.items()) + " per press)")
    print(f"  a button press, echo bot                  {echo_press:6.3f} ms")
    print(f"  one Bot API call (sendMessage)            {api:6.3f} ms")
    for name, ms in sql.items():
        print(f"  {name:<42}{ms:6.3f} ms")
    if redis_url:
        redis_ms = await redis_round_trip(redis_url, args.calls)
        print(f"  {'one Redis round trip (GET)':<42}{redis_ms:6.3f} ms")
    compiled = sql["read, SQL rendered once (storage/compiled.py)"]
    if args.journey_sql is not None:
        floor = (
            kiosk_press
            + max(0.0, args.journey_sql - counts["SQL"]) * compiled
            + max(0.0, args.journey_api - counts["Bot API"]) * api
        )
        print(
            f"  floor of the journey ({args.journey_sql} statements, {args.journey_api} Bot API"
            f" calls per update): {floor:.2f} ms per update"
        )


async def main(args: argparse.Namespace) -> None:
    pg = os.environ.get("KIOSK_BENCH_PG_URL")
    redis_url = os.environ.get("KIOSK_BENCH_REDIS_URL")
    with tempfile.TemporaryDirectory() as tmp:
        if "sqlite" in args.backends:
            await measure("SQLite", f"sqlite://{tmp}/floor.sqlite3", None, args)
    if pg and "postgres" in args.backends:
        await measure("PostgreSQL + Redis", await fresh_pg_database(pg, BENCH_DB), redis_url, args)
    elif "postgres" in args.backends:
        print("\n(KIOSK_BENCH_PG_URL not set: PostgreSQL + Redis skipped)")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--goods", type=int, default=2000)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--journey-sql", type=float, default=None, help="statements per update of the journey"
    )
    parser.add_argument("--journey-api", type=float, default=1.71)
    return parser.parse_args()


if __name__ == "__main__":
    import logging

    import uvloop

    logging.basicConfig(level=logging.WARNING)
    _inprocess.install_counters()
    sys.exit(uvloop.run(main(parse_args())))
