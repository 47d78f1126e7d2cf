"""Webhook push timeout: a replica that answers too slowly gets the update pushed again,
round-robin to the next replica, as Telegram behind a load balancer would do."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest_asyncio
from aiogram import Bot
from aiohttp import web

from sandbox import Sandbox


class SlowReceiver:
    """Records update ids; the first ``slow`` POSTs take ``delay`` seconds to answer."""

    def __init__(self, slow: int, delay: float) -> None:
        self.slow = slow
        self.delay = delay
        self.seen: list[int] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(json.loads(await request.text())["update_id"])
        if self.slow > 0:
            self.slow -= 1
            await asyncio.sleep(self.delay)
        return web.json_response({})


@pytest_asyncio.fixture
async def replicas() -> AsyncIterator[list[SlowReceiver]]:
    runners: list[web.AppRunner] = []
    made = [SlowReceiver(slow=1, delay=2.0), SlowReceiver(slow=0, delay=0.0)]
    for receiver in made:
        app = web.Application()
        app.router.add_post("/hook", receiver.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        receiver.url = f"http://127.0.0.1:{port}/hook"
        runners.append(runner)
    try:
        yield made
    finally:
        for runner in runners:
            await runner.cleanup()


async def test_slow_replica_times_out_and_the_update_goes_to_the_next(
    sb: Sandbox, bot: Bot, replicas: list[SlowReceiver]
) -> None:
    slow, fast = replicas
    sb.webhook_timeout = 0.3
    await bot.set_webhook("http://127.0.0.1:9/public", max_connections=1)
    sb.set_webhook_targets([slow.url, fast.url])
    await sb.user(1001).send("hi", expect_reply=False)
    # The slow replica got it first and timed out; the same update went to the other one.
    assert (slow.seen, fast.seen) == ([1], [1])
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0
    assert info.last_error_message and "TimeoutError" in info.last_error_message


async def test_default_timeout_waits_for_a_slow_answer(
    sb: Sandbox, bot: Bot, replicas: list[SlowReceiver]
) -> None:
    slow, fast = replicas
    slow.delay = 0.5
    await bot.set_webhook("http://127.0.0.1:9/public", max_connections=1)
    sb.set_webhook_targets([slow.url, fast.url])
    await sb.user(1001).send("hi", expect_reply=False)
    assert (slow.seen, fast.seen) == ([1], [])
