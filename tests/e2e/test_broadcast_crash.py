"""kill -9 in the middle of a broadcast, restart: every recipient gets exactly one message.

Kiosk runs as a real subprocess (`python main.py run`) on PostgreSQL + Redis against a sandbox
in this process. The kill is delivered from inside the sandbox at the worst moment for
duplicates: Telegram has just accepted a message, its response hasn't reached the bot, so the
bot's row for it still says 'sending'. After the restart (a new leader once the dead one's
lease expires) that row must not be sent again, and every row still pending must be.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from demo.harness import SANDBOX_TOKEN
from domain.campaigns.audiences import AudienceSpec
from domain.campaigns.service import CampaignDraft, CampaignService
from domain.users.service import TelegramIdentity, UserService
from sandbox import Sandbox
from storage.campaigns.repository import TortoiseCampaignRepository
from storage.db import close_db, init_db
from storage.users import TortoiseUserRepository
from tests.conftest import REDIS_URL, fresh_database, need_pg_and_empty_redis

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 300
KILL_AT = 120
MARKER = "Crash-test sale"


def start_kiosk(sandbox: Sandbox, db_url: str, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "BOT_TOKEN": SANDBOX_TOKEN,
        "BOT_API_BASE_URL": sandbox.base_url,
        "DATABASE_URL": db_url,
        "REDIS_URL": REDIS_URL or "",
        "ADMIN_IDS": "9000",
        "MODE": "polling",
        "SCHEDULER__LEADER_TTL": "2",
        "CAMPAIGNS__RATE_PER_SEC": "60",
        "LOG_LEVEL": "INFO",
    }
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "main.py", "run"], cwd=ROOT, env=env, stdout=log, stderr=log
    )


@pytest.mark.timeout(90)
async def test_kill_9_mid_broadcast_then_restart_delivers_exactly_once(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    await need_pg_and_empty_redis()
    db_url = await fresh_database("postgres", request, tmp_path)
    await init_db(db_url, run_migrations=False)
    sandbox = Sandbox(bot_token=SANDBOX_TOKEN, bot_username="kiosk_demo_bot")
    await sandbox.start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        users = UserService(TortoiseUserRepository())
        chats = list(range(50_000, 50_000 + RECIPIENTS))
        for chat in chats:
            sandbox.user(chat, f"U{chat}")
            user, _ = await users.seen(TelegramIdentity(chat, f"U{chat}"))
            await users.set_marketing(user.id, True)
        campaigns = CampaignService(TortoiseCampaignRepository())
        campaign = await campaigns.create(9000, CampaignDraft(MARKER, AudienceSpec("everyone")))

        accepted = 0
        original = sandbox.handle_call

        async def kill_mid_send(token: str, method: str, p: Any) -> tuple[int, dict[str, Any]]:
            nonlocal accepted
            status, body = await original(token, method, p)
            if method.lower() == "sendmessage" and status == 200 and MARKER in str(p.data):
                accepted += 1
                if accepted == KILL_AT:  # accepted by "Telegram", answer never reaches the bot
                    os.kill(processes[0].pid, signal.SIGKILL)
            return status, body

        sandbox.handle_call = kill_mid_send  # type: ignore[method-assign]
        log_path = tmp_path / "kiosk.log"
        processes.append(start_kiosk(sandbox, db_url, log_path))
        await campaigns.send_now(campaign.id)
        await _wait(lambda: processes[0].poll() is not None, 40, log_path)
        assert processes[0].returncode == -signal.SIGKILL
        delivered_before_restart = _received(sandbox, chats)
        assert 0 < sum(delivered_before_restart.values()) < RECIPIENTS

        processes.append(start_kiosk(sandbox, db_url, log_path))
        await _wait_async(lambda: _state(campaigns, campaign.id), "done", 40, log_path)

        received = _received(sandbox, chats)
        assert sorted(set(received.values())) == [1], {c: n for c, n in received.items() if n != 1}
        counts = (await campaigns.report(campaign.id)).counts
        # The message killed mid-flight was delivered; its row can only say "unknown", as can
        # any other of its batch accepted by Telegram before the kill (never sent again).
        assert (counts.pending, counts.sending) == (0, 0)
        assert counts.unknown >= 1 and counts.sent + counts.unknown == RECIPIENTS, counts
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        await sandbox.stop()
        await close_db()


def _received(sandbox: Sandbox, chats: list[int]) -> dict[int, int]:
    return {
        c: sum(1 for m in sandbox.chat(c) if m.from_bot and MARKER in m.content) for c in chats
    }


async def _state(campaigns: CampaignService, campaign_id: int) -> str:
    return str((await campaigns.get(campaign_id)).state)


async def _wait(check: Any, timeout: float, log_path: Path) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out; kiosk log in {log_path}")
        await asyncio.sleep(0.05)


async def _wait_async(check: Any, want: str, timeout: float, log_path: Path) -> None:  # noqa: ASYNC109
    deadline = asyncio.get_running_loop().time() + timeout
    while await check() != want:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out; kiosk log in {log_path}")
        await asyncio.sleep(0.1)
