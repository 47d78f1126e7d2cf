"""Less central behaviours: chat actions vs. replies, media edits, copies, JSON webhook replies,
and the HTTP control API used by ``python -m sandbox``."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BufferedInputFile,
    InputMediaDocument,
    InputMediaPhoto,
    Message,
    ReplyParameters,
)
from aiohttp import web

from sandbox import Sandbox

pytestmark = pytest.mark.asyncio


async def test_chat_action_is_not_a_reply(sb: Sandbox, polling) -> None:
    dp = Dispatcher()

    @dp.message()
    async def slow(message: Message, bot: Bot) -> None:
        await bot.send_chat_action(message.chat.id, "typing")
        await asyncio.sleep(0.3)  # longer than settle (0.1 s)
        await message.answer("done thinking")

    await polling(dp)
    msgs = await sb.user(1001).send("think")
    assert [m.text for m in msgs] == ["done thinking"]


async def test_edit_media_and_copy(sb: Sandbox, bot: Bot) -> None:
    sb.user(1001)
    sb.user(1002)
    msg = await bot.send_photo(1001, BufferedInputFile(b"one", "1.jpg"), caption="v1")
    edited = await bot.edit_message_media(
        chat_id=1001,
        message_id=msg.message_id,
        media=InputMediaDocument(media=BufferedInputFile(b"doc", "d.txt"), caption="v2"),
    )
    assert isinstance(edited, Message) and edited.document and edited.photo is None
    assert edited.caption == "v2"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_media(
            chat_id=1001,
            message_id=msg.message_id,
            media=InputMediaDocument(media=edited.document.file_id, caption="v2"),
        )
    text = await bot.send_message(1001, "plain")
    with pytest.raises(TelegramBadRequest, match="there is no media in the message to edit"):
        await bot.edit_message_media(
            chat_id=1001,
            message_id=text.message_id,
            media=InputMediaPhoto(media="https://e.x/p.jpg"),
        )
    copied = await bot.copy_message(1002, from_chat_id=1001, message_id=msg.message_id)
    copy = sb.chat(1002)[-1]
    assert copy.message_id == copied.message_id and copy.caption == "v2" and copy.document


async def test_webhook_json_method_reply(sb: Sandbox, bot: Bot) -> None:
    async def hook(request: web.Request) -> web.Response:
        update = json.loads(await request.text())
        chat_id = update["message"]["chat"]["id"]
        return web.json_response(
            {
                "method": "sendMessage",
                "chat_id": chat_id,
                "text": "<b>from the webhook body</b>",
                "parse_mode": "HTML",
            }
        )

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook")
        msgs = await sb.user(1001).send("hi")
        assert [m.text for m in msgs] == ["from the webhook body"]
        assert msgs[0].entities == [{"type": "bold", "offset": 0, "length": 21}]
    finally:
        await runner.cleanup()


async def test_control_api(sb: Sandbox, polling) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(f"echo {message.text}")

    await polling(dp)
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{sb.base_url}/sandbox/send", json={"user_id": 1001, "text": "yo"}
        ) as resp:
            data = await resp.json()
    assert [m["text"] for m in data["messages"]] == ["echo yo"]
    assert data["transcript"] == "User: yo\nKiosk: echo yo\n"


async def test_replies_must_target_existing_messages(sb: Sandbox, bot: Bot, polling) -> None:
    dp = Dispatcher()

    @dp.message()
    async def quote(message: Message) -> None:
        reply = await message.reply("quoted")
        assert reply.reply_to_message and reply.reply_to_message.text == message.text

    await polling(dp)
    user = sb.user(1001)
    msgs = await user.send("original")
    assert [m.text for m in msgs] == ["quoted"] and sb.errors == []
    assert msgs[0].reply_to_message_id == user.messages[0].message_id
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(1001, "x", reply_parameters=ReplyParameters(message_id=99))
    await bot.send_message(
        1001,
        "x",
        reply_parameters=ReplyParameters(message_id=99, allow_sending_without_reply=True),
    )
