"""Raw HTTP surface (JSON bodies, GET, unknown token/method), many users, several bots."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiogram import Dispatcher
from aiogram.filters import CommandStart
from aiogram.types import Message

from sandbox import Sandbox

from .conftest import make_bot

pytestmark = pytest.mark.asyncio


async def test_raw_http_shapes(sb: Sandbox) -> None:
    sb.user(1001)
    base = f"{sb.base_url}/bot{sb.default_token}"
    async with aiohttp.ClientSession() as http:
        body = {
            "chat_id": 1001,
            "text": "<i>hi</i>",
            "parse_mode": "HTML",
            "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "d"}]]},
        }
        async with http.post(f"{base}/sendMessage", json=body) as resp:
            data = await resp.json()
        assert resp.status == 200 and data["ok"] is True
        assert data["result"]["entities"] == [{"type": "italic", "offset": 0, "length": 2}]
        assert data["result"]["reply_markup"] == body["reply_markup"]
        async with http.get(f"{base}/sendMessage", params={"chat_id": "1001", "text": ""}) as r:
            assert r.status == 400
            assert await r.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }
        async with http.post(f"{base}/noSuchMethod") as resp:
            assert resp.status == 404
            assert (await resp.json())["description"] == "Not Found: method not found"
        async with http.post(f"{sb.base_url}/bot1:wrong/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.get(f"{sb.base_url}/file/bot{sb.default_token}/nope.jpg") as resp:
            assert resp.status == 404
    assert [c.method for c in sb.calls] == ["sendMessage", "sendMessage", "noSuchMethod", "getMe"]
    assert sb.calls[0].params["chat_id"] == 1001


async def test_many_concurrent_users_and_wait_idle(sb: Sandbox, polling) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await asyncio.sleep(0.01)
        await message.answer(f"hi {message.chat.id}")

    await polling(dp)
    sb.reply_timeout = 30.0  # 200 users at once on a busy 2-core machine: correctness, not speed
    users = [sb.user(5000 + i, first_name=f"U{i}") for i in range(200)]
    replies = await asyncio.gather(*(u.send("/start") for u in users))
    assert [[m.text for m in r] for r in replies] == [[f"hi {u.user_id}"] for u in users]
    await sb.wait_idle()
    assert sb.errors == []


async def test_second_bot_is_isolated(sb: Sandbox, polling) -> None:
    echo_token = "777:ECHO"
    sb.add_bot(echo_token, "echo_bot", "Echo")
    echo = make_bot(sb, echo_token)
    dp = Dispatcher()

    @dp.message()
    async def repeat(message: Message) -> None:
        await message.answer(message.text or "")

    task = asyncio.create_task(dp.start_polling(echo, handle_signals=False, polling_timeout=1))
    try:
        user = sb.user(1001, bot_token=echo_token)
        assert [m.text for m in await user.send("ping")] == ["ping"]
        assert sb.chat(1001) == []  # the default bot's chat with 1001 is untouched
        assert [m.text for m in sb.chat(1001, bot_token=echo_token)] == ["ping", "ping"]
        me = await echo.get_me()
        assert me.username == "echo_bot"
    finally:
        await dp.stop_polling()
        await task
        await echo.session.close()


async def test_webhook_removed_pending_updates_go_to_polling(sb: Sandbox, bot) -> None:
    await bot.set_webhook("http://127.0.0.1:9/down", max_connections=1)  # nobody listens
    sender = asyncio.create_task(sb.user(1001).send("kept", expect_reply=False))
    await asyncio.sleep(0.3)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1 and info.last_error_message
    await bot.delete_webhook()
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["kept"]
    await sender
