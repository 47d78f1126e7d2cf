"""Security at the edges: the webhook secret, and secrets that must never reach a log.

The webhook test runs Kiosk in this process. The secrets test runs `python main.py run` as a
child process with distinctive secrets (bot token, provider token, webhook secret, invoice
secret, the passwords in DATABASE_URL and REDIS_URL), forces errors (a failing Bot API call, a
handler exception, the database going away mid-run, and start-ups that fail on the database,
on Redis, on the Bot API and on a bad setting) and reads everything it printed.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from demo.harness import WEBHOOK_SECRET, free_port, run_sandboxed
from sandbox import Sandbox
from storage.models import UserRow
from tests.conftest import PG_URL, fresh_database, need_pg_and_empty_redis
from tests.e2e.crash_harness import ROOT, KillableKiosk, wait_until

BOT_TOKEN = "7123456789:AAsecretBOTtokenQQ11zz99xx88ww77"
PROVIDER_TOKEN = "284685063:TEST:ProviderSecretPP42"
WEBHOOK = "WebhookSecretWW42xyz"
INVOICE = "InvoiceSecretII42abc"
DB_PASSWORD = "DbPasswordSecretDD42"
REDIS_PASSWORD = "RedisPasswordSecretRR42"
SECRETS = (
    BOT_TOKEN,
    BOT_TOKEN.split(":")[1],
    PROVIDER_TOKEN,
    WEBHOOK,
    INVOICE,
    DB_PASSWORD,
    REDIS_PASSWORD,
)


def _update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "Mallory"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": user,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_webhook_refuses_requests_without_the_secret_token(
    request: pytest.FixtureRequest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = await fresh_database("sqlite", request, tmp_path)
    caplog.set_level(logging.WARNING, logger="bot.runtime.webhook")
    async with run_sandboxed(url, "webhook") as running, aiohttp.ClientSession() as http:
        endpoint = running.settings.webhook.url
        assert endpoint is not None
        header = "X-Telegram-Bot-Api-Secret-Token"
        for n, headers in enumerate(({}, {header: "guessed-secret"}), start=1):
            async with http.post(
                endpoint, json=_update(900 + n, 4200 + n, "/start"), headers=headers
            ) as response:
                assert response.status == 401
        await asyncio.sleep(0.3)
        assert await UserRow.filter(telegram_id__in=[4201, 4202]).count() == 0
        assert running.sandbox.chat(4201) == [] and running.sandbox.chat(4202) == []
        refused = [r for r in caplog.records if r.name == "bot.runtime.webhook"]
        assert [r.levelno for r in refused] == [logging.WARNING] * 2
        assert "no secret token" in refused[0].getMessage()
        assert "wrong secret token" in refused[1].getMessage()
        assert WEBHOOK_SECRET not in caplog.text and "guessed-secret" not in caplog.text
        # The same update with the right secret is handled: the refusals above were real.
        async with http.post(
            endpoint, json=_update(903, 4203, "/start"), headers={header: WEBHOOK_SECRET}
        ) as response:
            assert response.status == 200
        assert await UserRow.filter(telegram_id=4203).count() == 1


def _secret_env(db_url: str, redis_url: str) -> dict[str, str]:
    return {
        "BOT_TOKEN": BOT_TOKEN,
        "PAYMENTS__PROVIDER_TOKEN": PROVIDER_TOKEN,
        "PAYMENTS__INVOICE_SECRET": INVOICE,
        "WEBHOOK__SECRET": WEBHOOK,
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "LOG_LEVEL": "DEBUG",
        "PYTHONUNBUFFERED": "1",
    }


def _with_password(url: str, password: str, user: str = "") -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{password}@{rest.split('@')[-1]}"


def assert_no_secret(output: str, where: str) -> None:
    leaked = [s for s in SECRETS if s in output]
    assert leaked == [], f"{where} printed {leaked}:\n{output[-3000:]}"


@pytest.mark.timeout(150)
async def test_no_secret_in_any_log_or_error(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    redis_url = await need_pg_and_empty_redis()
    # The test server trusts local connections, so any password gets in: it is only carried.
    db_url = _with_password(
        await fresh_database("postgres", request, tmp_path), DB_PASSWORD, "postgres"
    )
    sandbox = Sandbox(bot_token=BOT_TOKEN, bot_username="kiosk_demo_bot", reply_timeout=30.0)
    await sandbox.start()
    log_path = tmp_path / "kiosk.log"
    kiosk = KillableKiosk(
        sandbox, db_url, redis_url, "webhook", log_path, **_secret_env(db_url, redis_url)
    )
    original = sandbox.handle_call

    async def failing_for_4343(token: str, method: str, p: Any) -> tuple[int, dict[str, Any]]:
        if method.lower() == "sendmessage" and str(p.data.get("chat_id")) == "4343":
            return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
        return await original(token, method, p)

    sandbox.handle_call = failing_for_4343  # type: ignore[method-assign]
    try:
        kiosk.start()
        alice = sandbox.user(4242, "Alice")
        await alice.send("/start")  # up; a payment-enabled shop answering
        async with aiohttp.ClientSession() as http:  # a forged webhook POST
            webhook_url = kiosk.env["WEBHOOK__URL"]
            async with http.post(webhook_url, json=_update(1, 4244, "/start")) as response:
                assert response.status == 401
        failing = sandbox.user(4343, "Bob")  # the Bot API fails every message to Bob
        await failing.send("/help", expect_reply=False)
        await sandbox.wait_idle(timeout=20)
        await _lock_out(db_url, True)  # the database goes away under the bot
        await alice.send("/help", expect_reply=False)
        await sandbox.wait_idle(timeout=20)
        await wait_until(
            lambda: "update 3 failed" in log_path.read_text(), 20, "the database failure logged"
        )
    finally:
        kiosk.stop()
        await sandbox.stop()
        await _lock_out(db_url, False)
    running_output = log_path.read_text()
    assert "refused (401)" in running_output and "Internal Server Error" in running_output
    assert "update 3 failed" in running_output  # the database error, logged
    assert_no_secret(running_output, "the running bot")

    closed = free_port()
    bad_starts = {
        "database down": {
            "DATABASE_URL": f"postgres://postgres:{DB_PASSWORD}@127.0.0.1:{closed}/kiosk"
        },
        "database URL malformed": {"DATABASE_URL": f"postgres://u:{DB_PASSWORD}@127.0.0.1:5x/k"},
        "redis refuses the password": {"REDIS_URL": _with_password(redis_url, REDIS_PASSWORD)},
        "Bot API unreachable": {"BOT_API_BASE_URL": f"http://127.0.0.1:{closed}"},
        "bad setting": {"PAYMENTS__CURRENCY": "EURO"},
    }
    base = {**kiosk.env, "MODE": "polling", "WEBHOOK__URL": ""}
    for what, env in bad_starts.items():
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "main.py", "run"],
            cwd=ROOT,
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        output = done.stdout + done.stderr
        assert done.returncode != 0, f"{what}: started anyway\n{output[-2000:]}"
        assert output.strip(), f"{what}: failed silently"
        assert_no_secret(output, what)


async def _lock_out(db_url: str, locked: bool) -> None:
    """Refuse (or allow again) every connection to the test's database, dropping live ones."""
    name = db_url.rsplit("/", 1)[1]
    conn = await asyncpg.connect(PG_URL)
    try:
        await conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {str(not locked).lower()}")
        if locked:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
    finally:
        await conn.close()
