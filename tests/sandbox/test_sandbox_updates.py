"""getUpdates semantics and webhook push mode (secret header, retries, replicas)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from sandbox import Sandbox

pytestmark = pytest.mark.asyncio


def fire(sb: Sandbox, user_id: int, text: str) -> asyncio.Task[object]:
    """A user message whose sender doesn't wait for a reply (the test polls by hand)."""
    return asyncio.create_task(sb.user(user_id).send(text, expect_reply=False))


async def test_get_updates_offset_and_limit(sb: Sandbox, bot: Bot) -> None:
    tasks = [fire(sb, 1001, f"m{i}") for i in range(5)]
    await asyncio.sleep(0)
    first = await bot.get_updates(limit=2)
    assert [u.update_id for u in first] == [1, 2]
    assert first[0].message and first[0].message.text == "m0"
    # not confirmed yet: the same updates come again
    assert [u.update_id for u in await bot.get_updates(limit=2)] == [1, 2]
    rest = await bot.get_updates(offset=3)
    assert [u.update_id for u in rest] == [3, 4, 5]
    assert await bot.get_updates(offset=6) == []
    # confirmed updates are gone for good
    assert await bot.get_updates() == []
    await asyncio.gather(*tasks)


async def test_long_poll_wakes_on_new_update(sb: Sandbox, bot: Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    sender = fire(sb, 1001, "wake up")
    updates = await poll
    assert time.monotonic() - started < 2
    assert [u.message.text for u in updates if u.message] == ["wake up"]
    await bot.get_updates(offset=updates[-1].update_id + 1)
    await sender


async def test_allowed_updates_filter(sb: Sandbox, bot: Bot) -> None:
    sender = fire(sb, 1001, "ignored")
    await asyncio.sleep(0)
    assert await bot.get_updates(allowed_updates=["callback_query"]) == []
    await sender  # the dropped update counts as consumed, nobody hangs
    sender = fire(sb, 1001, "seen")
    await asyncio.sleep(0)
    assert await bot.get_updates(allowed_updates=[]) != []
    await sender


async def test_webhook_conflict_and_drop_pending(sb: Sandbox, bot: Bot) -> None:
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cr3t_-")
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook"
    with pytest.raises(TelegramBadRequest, match="secret token"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="bad token!")
    with pytest.raises(TelegramBadRequest, match="max_connections"):
        await bot.set_webhook("http://127.0.0.1:9/hook", max_connections=101)
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.delete_webhook()
    assert sb.dropped_pending_updates == 1
    assert await bot.get_updates() == []


class Receiver:
    """A tiny webhook endpoint that records updates and fails the first ``fail`` POSTs."""

    def __init__(self, fail: int = 0):
        self.fail = fail
        self.seen: list[tuple[int, str | None]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = json.loads(await request.text())
        self.seen.append(
            (body["update_id"], request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        if self.fail > 0:
            self.fail -= 1
            return web.Response(status=500)
        return web.json_response({})


@pytest_asyncio.fixture
async def receivers() -> AsyncIterator[list[Receiver]]:
    made: list[tuple[Receiver, web.AppRunner]] = []

    async def make(fail: int = 0) -> Receiver:
        r = Receiver(fail)
        app = web.Application()
        app.router.add_post("/hook", r.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        r.url = f"http://127.0.0.1:{port}/hook"
        made.append((r, runner))
        return r

    out: list[Receiver] = []
    out.append(await make(fail=1))
    out.append(await make())
    try:
        yield out
    finally:
        for _, runner in made:
            await runner.cleanup()


async def test_webhook_push_secret_and_retry(
    sb: Sandbox, bot: Bot, receivers: list[Receiver]
) -> None:
    flaky = receivers[0]
    await bot.set_webhook(flaky.url, secret_token="top_secret", max_connections=1)
    await sb.user(1001).send("hello", expect_reply=False)
    # first POST got a 500, the same update was POSTed again and then acknowledged
    assert flaky.seen == [(1, "top_secret"), (1, "top_secret")]
    assert (await bot.get_webhook_info()).pending_update_count == 0
    await sb.wait_idle()


async def test_webhook_round_robin_targets(
    sb: Sandbox, bot: Bot, receivers: list[Receiver]
) -> None:
    a, b = receivers
    a.fail = 0
    await bot.set_webhook("http://127.0.0.1:9/unused", max_connections=1)
    sb.set_webhook_targets([a.url, b.url])
    for i in range(4):
        await sb.user(1001 + i).send("hi", expect_reply=False)
    assert [u for u, _ in a.seen] == [1, 3] and [u for u, _ in b.seen] == [2, 4]
    assert all(secret is None for _, secret in a.seen + b.seen)


async def test_aiogram_webhook_reply_in_response(sb: Sandbox, bot: Bot) -> None:
    """aiogram can answer in the webhook response body (multipart); the sandbox executes it."""
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> object:
        return message.answer(f"echo: {message.text}")

    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token="abc").register(
        app, path="/wh"
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/wh", secret_token="abc")
        msgs = await sb.user(1001).send("ping")
        assert [m.text for m in msgs] == ["echo: ping"]
        assert sb.errors == []
    finally:
        await runner.cleanup()
