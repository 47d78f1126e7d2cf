"""Broadcast benchmark: the real delivery engine, storage and aiogram Bot against the sandbox.

    .venv/bin/python bench/broadcast.py [--recipients 10000] [--db sqlite:///tmp/b.sqlite3]

1. Telegram-like limits on (30/s global, 1/s per chat, 2% of users have blocked the bot): the
   achieved rate against the configured rate (target >= 95%) and the 429s seen.
2. Limits off: the engine's ceiling in messages/s (target >= 1,000/s), next to the baseline of
   the same run: bare `bot.send_message` calls with the same concurrency and no database, i.e.
   what the sandbox + HTTP client alone can do on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiogram import Bot

from bot.i18n import build_i18n
from bot.jobs.delivery import AiogramSender, ProgressMessages, UserBlockList
from bot.settings import Settings, load_settings
from bot.wiring import build_bot, build_services
from demo.harness import SANDBOX_TOKEN
from domain.campaigns.audiences import AudienceSpec
from domain.campaigns.delivery import DeliveryConfig, DeliveryEngine
from domain.campaigns.service import CampaignDraft
from sandbox import RateLimits, Sandbox
from storage.campaigns.models import DeliveryRow
from storage.campaigns.repository import TortoiseDeliveryStore
from storage.db import close_db, init_db
from storage.models import UserRow

ADMIN = 9000
FIRST_CHAT = 1_000_000


async def seed_users(count: int) -> None:
    now = datetime.now(UTC)
    rows = [
        UserRow(
            telegram_id=FIRST_CHAT + i,
            first_name=f"U{i}",
            referral_code=f"bench{i}",
            marketing_opt_in=True,
            last_seen_at=now,
        )
        for i in range(count)
    ]
    for i in range(0, count, 1000):
        await UserRow.bulk_create(rows[i : i + 1000])


def serve_sandbox(pipe: Connection, count: int, blocked_every: int, limited: bool) -> None:
    """Child process: the emulated Telegram gets its own CPU, like the real one would."""

    async def serve() -> None:
        sb = Sandbox(bot_token=SANDBOX_TOKEN, settle=0.0)
        if limited:
            sb.rate_limits = RateLimits(enabled=True, global_per_sec=30, per_chat_per_sec=1)
        await sb.start()
        for i in range(count):
            sb.user(FIRST_CHAT + i, f"U{i}")
            if blocked_every and i % blocked_every == 0:
                sb.block(FIRST_CHAT + i)
        sb.user(ADMIN, "Owner")
        pipe.send(sb.base_url)
        await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        received = sum(1 for i in range(count) for m in sb.chat(FIRST_CHAT + i) if m.from_bot)
        pipe.send({**sb.stats, "received": received})
        await sb.stop()

    asyncio.run(serve())


class SandboxProcess:
    def __init__(self, count: int, blocked_every: int, limited: bool) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.pipe, child = ctx.Pipe()
        self.process = ctx.Process(
            target=serve_sandbox, args=(child, count, blocked_every, limited), daemon=True
        )
        self.process.start()
        self.base_url: str = self.pipe.recv()

    def finish(self) -> dict[str, int]:
        self.pipe.send("stats")
        stats: dict[str, int] = self.pipe.recv()
        self.process.join(timeout=10)
        return stats


async def run_campaign(bot: Bot, text: str, config: DeliveryConfig) -> tuple[float, int, int]:
    """Send one campaign to everyone; returns (seconds, messages attempted, 429s)."""
    services = build_services()
    i18n = build_i18n("en")
    draft = CampaignDraft(text, AudienceSpec("everyone"))
    campaign = await services.campaigns.create(ADMIN, draft)
    engine = DeliveryEngine(
        TortoiseDeliveryStore(),
        AiogramSender(bot, services.campaigns, i18n),
        UserBlockList(services.users),
        ProgressMessages(bot, services.campaigns, i18n),
        config,
    )
    await services.campaigns.send_now(campaign.id)
    total = await DeliveryRow.filter(campaign_id=campaign.id).count()
    task = asyncio.create_task(engine.run())
    started = time.perf_counter()
    while (await services.campaigns.get(campaign.id)).state != "done":  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    await engine.stop()
    await task
    return elapsed, total, engine.too_many_requests


async def raw_ceiling(bot: Bot, count: int, concurrency: int) -> float:
    """Baseline: bare sendMessage calls, same concurrency, no database, no engine."""
    queue = list(range(count))
    started = time.perf_counter()

    async def worker() -> None:
        while queue:
            i = queue.pop()
            await bot.send_message(FIRST_CHAT + 1 + i % 49, "baseline")  # never blocked

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


async def main(args: argparse.Namespace) -> None:
    db = args.db or f"sqlite://{tempfile.mkdtemp()}/bench.sqlite3"
    await init_db(db)
    await seed_users(args.recipients)
    blocked = len(range(0, args.recipients, 50))
    print(f"{args.recipients} recipients ({blocked} blocked the bot), db {db}")
    try:
        if not args.ceiling_only:
            await limited_run(args, db)
        await ceiling_run(args, db)
    finally:
        await close_db()


async def limited_run(args: argparse.Namespace, db: str) -> None:
    if True:
        sandbox = SandboxProcess(args.recipients, 50, limited=True)
        bot = build_bot(sandbox_settings_for(sandbox.base_url, db), SANDBOX_TOKEN)
        configured = args.rate
        config = DeliveryConfig(rate_per_sec=configured, progress_interval=3.0)
        elapsed, sent, throttled = await run_campaign(bot, "Bench sale (limited)", config)
        await bot.session.close()
        stats = sandbox.finish()
        achieved = sent / elapsed
        print("\n== Telegram-like limits: 30/s global, 1/s per chat ==")
        print(f"configured rate   {configured:8.1f} msg/s   (Telegram's limit: 30/s)")
        share = achieved / configured
        print(f"achieved rate     {achieved:8.1f} msg/s   = {share:.1%} of configured")
        print(f"429 answers       {throttled:8d}         (sandbox counted {stats['429']})")
        print(f"403 blocked       {stats['403']:8d}         delivered {stats['received']}")
        print(f"elapsed           {elapsed:8.1f} s for {sent} recipients")


async def ceiling_run(args: argparse.Namespace, db: str) -> None:
    if True:
        sandbox = SandboxProcess(args.recipients, 50, limited=False)
        bot = build_bot(sandbox_settings_for(sandbox.base_url, db), SANDBOX_TOKEN)
        baseline = await raw_ceiling(bot, min(args.recipients, 5000), args.in_flight)
        config = DeliveryConfig(
            rate_per_sec=1_000_000,
            max_in_flight=args.in_flight,
            per_chat_interval=0,
            progress_interval=3.0,
        )
        elapsed, sent, _ = await run_campaign(bot, "Bench sale (unlimited)", config)
        await bot.session.close()
        sandbox.finish()
        print("\n== limits off: engine ceiling ==")
        print(f"baseline          {baseline:8.0f} msg/s   bare bot.send_message, no database")
        print(
            f"engine ceiling    {sent / elapsed:8.0f} msg/s   claim + send + record per message"
            f" ({sent / elapsed / baseline:.0%} of baseline), {sent} in {elapsed:.1f} s"
        )


def sandbox_settings_for(base_url: str, db: str) -> Settings:
    return load_settings(
        bot_token=SANDBOX_TOKEN, bot_api_base_url=base_url, database_url=db, mode="polling"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--ceiling-only", action="store_true")
    parser.add_argument("--db", default=None, help="database URL (default: a fresh SQLite file)")
    asyncio.run(main(parser.parse_args()))
