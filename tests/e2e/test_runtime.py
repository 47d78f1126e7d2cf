"""Run modes and process behaviour: webhook secret, health, pending updates, CLI, demo."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp

from demo.harness import SANDBOX_TOKEN, run_sandboxed
from sandbox import Sandbox
from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]


async def test_webhook_requires_the_secret_and_serves_health(request, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = await fresh_database("sqlite", request, tmp_path)
    async with run_sandboxed(url, "webhook") as k:
        hook = k.settings.webhook.url
        assert hook is not None
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 1,
                "text": "/start",
                "chat": {"id": 5, "type": "private"},
                "from": {"id": 5, "is_bot": False, "first_name": "Eve"},
            },
        }
        async with aiohttp.ClientSession() as http:
            async with http.post(hook, json=update) as response:
                assert response.status == 401
            headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            async with http.post(hook, json=update, headers=headers) as response:
                assert response.status == 401
            health = hook.rsplit("/telegram/webhook", 1)[0] + "/healthz"
            async with http.get(health) as response:
                assert response.status == 200
                assert (await response.json()) == {"ok": True, "database": True}
        # Only the sandbox (which sends the secret) gets through.
        alice = k.sandbox.user(1001, "Alice")
        assert "Welcome" in (await alice.send("/start"))[0].content
        assert (
            next(c for c in k.sandbox.calls if c.method.lower() == "setwebhook").params[
                "secret_token"
            ]
            == k.settings.webhook.secret.get_secret_value()
        )  # type: ignore[union-attr]


async def test_updates_sent_while_the_bot_is_down_are_handled(request, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = await fresh_database("sqlite", request, tmp_path)
    sandbox = Sandbox(bot_token=SANDBOX_TOKEN, bot_username="kiosk_demo_bot")
    await sandbox.start()
    try:
        alice = sandbox.user(1001, "Alice")
        for attempt in range(2):  # first start, then a restart
            pending = asyncio.create_task(alice.send("/help"))
            await asyncio.sleep(0.3)  # the update waits at "Telegram" while no bot runs
            assert not pending.done()
            async with run_sandboxed(url, "polling", sandbox=sandbox):
                replies = await pending
                assert "/profile" in replies[0].content, attempt
        assert sandbox.dropped_pending_updates == 0
    finally:
        await sandbox.stop()


def _main(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BOT_TOKEN", "ADMIN_IDS", "DATABASE_URL", "REDIS_URL", "LOG_LEVEL")
    }
    clean.update(env or {})
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_bad_setting_stops_start_up_with_one_line() -> None:
    result = _main("run", env={"ADMIN_IDS": "alice,bob"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "ADMIN_IDS" in lines[0]
    missing = _main("run")
    assert missing.returncode == 2 and "BOT_TOKEN" in missing.stderr


def test_the_offline_demo_runs_and_never_logs_the_token() -> None:
    result = _main("demo", env={"LOG_LEVEL": "DEBUG"}, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Welcome to Kiosk, Alice!" in result.stdout
    # The loyalty scene: the referral paid out, each alert came exactly once.
    assert "Dan received 1 message(s) about 'points'" in result.stdout
    assert "Erin received 1 message(s) about 'is back in stock!'" in result.stdout
    assert "Erin received 1 message(s) about 'cheaper now'" in result.stdout
    assert "0 refused" in result.stdout
    assert SANDBOX_TOKEN not in result.stdout + result.stderr
    assert SANDBOX_TOKEN.split(":")[1] not in result.stdout + result.stderr
