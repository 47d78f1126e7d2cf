"""/readyz and /metrics of a running Kiosk, in polling (OPS__PORT) and webhook mode."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

import bot.runtime.health
from demo.harness import Sandboxed
from domain.campaigns.audiences import AudienceSpec
from domain.campaigns.service import CampaignDraft
from domain.users.service import TelegramIdentity
from tests.e2e.conftest import running_kiosk

SAMPLE = re.compile(r"^(?P<key>[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?) (?P<value>\S+)$")


@pytest_asyncio.fixture
async def ops_kiosk(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Sandboxed]:
    async with running_kiosk(mode, request, tmp_path, ops={"port": 0}) as running:
        yield running


def ops_url(k: Sandboxed, path: str) -> str:
    assert k.app.ops_port is not None
    return f"http://127.0.0.1:{k.app.ops_port}{path}"


async def fetch(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


def samples(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            match = SAMPLE.match(line)
            assert match, f"malformed exposition line: {line!r}"
            out[match["key"]] = float(match["value"])
    return out


async def test_readyz_names_what_failed(
    ops_kiosk: Sandboxed, monkeypatch: pytest.MonkeyPatch
) -> None:
    k = ops_kiosk
    status, _, body = await fetch(ops_url(k, "/readyz"))
    expected = {"database": True, "bot": True}
    if k.app.redis is not None:
        expected["redis"] = True
    assert status == 200, body
    assert json.loads(body) == {"ready": True, "checks": expected}

    async def database_down() -> None:
        raise ConnectionError("connection refused")

    monkeypatch.setattr(bot.runtime.health, "ping_database", database_down)
    if k.app.redis is not None:

        async def redis_down() -> bool:
            raise ConnectionError("connection refused")

        monkeypatch.setattr(k.app.redis, "ping", redis_down)
    status, _, body = await fetch(ops_url(k, "/readyz"))
    assert status == 503
    answer = json.loads(body)
    down = ["database", "redis"] if k.app.redis is not None else ["database"]
    assert answer["ready"] is False and answer["failed"] == down
    monkeypatch.undo()

    k.app._closing = True  # what close() does first: the balancer must stop sending here
    try:
        status, _, body = await fetch(ops_url(k, "/readyz"))
        assert status == 503 and json.loads(body)["failed"] == ["bot"]
    finally:
        k.app._closing = False
    # Liveness is unchanged by readiness.
    assert (await fetch(ops_url(k, "/healthz")))[0] == 200


async def test_metrics_count_updates_errors_and_broadcast_progress(ops_kiosk: Sandboxed) -> None:
    k = ops_kiosk
    alice = k.sandbox.user(1001, "Alice")
    await alice.send("/start")
    await alice.send("/help")
    await alice.press_data("ad:view:999999")  # a forged button: answered, not an error

    users = k.app.services.users
    for chat in range(70_000, 70_005):
        k.sandbox.user(chat, f"U{chat}")
        user, _ = await users.seen(TelegramIdentity(chat, f"U{chat}"))
        await users.set_marketing(user.id, True)
    # The owner has the bot open, as whoever creates a campaign does: if the delivery job gets
    # to it before the pause, its progress message has a chat to go to.
    await k.sandbox.user(9000, "Owner").send("/start")
    campaigns = k.app.services.campaigns
    draft = CampaignDraft("Metrics sale", AudienceSpec("everyone"))
    campaign = await campaigns.create(9000, draft)
    await campaigns.send_now(campaign.id)
    await campaigns.pause(campaign.id)
    recipients = (await campaigns.report(campaign.id)).counts.total

    status, content_type, text = await fetch(ops_url(k, "/metrics"))
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    got = samples(text)
    assert got['kiosk_updates_total{type="message"}'] == 3  # /start, /help, the owner's /start
    assert got['kiosk_updates_total{type="callback_query"}'] == 1
    assert got['kiosk_update_handling_seconds_count{type="message"}'] == 3
    assert got['kiosk_update_handling_seconds_bucket{type="message",le="+Inf"}'] == 3
    # Someone else's (or no) address is a rule the shopper is told about, not a bug.
    errors = {key: n for key, n in got.items() if key.startswith("kiosk_update_errors_total")}
    assert errors == {'kiosk_update_errors_total{type="callback_query",kind="domain"}': 1}
    assert got["kiosk_update_duplicates_total"] == 0
    backend = "postgres" if "postgres" in k.settings.database_url else "sqlite"
    assert got[f'kiosk_info{{mode="{k.settings.run_mode}",database="{backend}"}}'] == 1
    assert got["kiosk_ready"] == 1 and got["kiosk_scheduler_leader"] == 1
    assert got['kiosk_db_pool_connections{state="in_use"}'] >= 0
    assert got["kiosk_db_pool_max_connections"] == (20 if backend == "postgres" else 1)
    states = {
        key: value
        for key, value in got.items()
        if key.startswith(f'kiosk_broadcast_deliveries{{campaign="{campaign.id}"')
    }
    assert recipients >= 5 and sum(states.values()) == recipients, states
    assert got["process_start_time_seconds"] > 1.6e9
