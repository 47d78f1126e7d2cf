"""The Bot API session's answers (bot/wiring.py KioskSession): what Kiosk never reads is
not validated into models; what it reads is, and refusals raise as aiogram's do."""

from __future__ import annotations

import orjson
import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import Message

from bot.wiring import KioskSession

MESSAGE = {
    "message_id": 7,
    "date": 0,
    "chat": {"id": 5, "type": "private"},
    "text": "Cart",
}


def _answer(result: object) -> str:
    return orjson.dumps({"ok": True, "result": result}).decode()


async def test_an_edit_is_taken_as_done_and_a_sent_message_is_read() -> None:
    session = KioskSession(json_loads=orjson.loads)  # production's, never connected
    bot = Bot("42:TEST", session=session)
    edit = EditMessageText(chat_id=5, message_id=7, text="Cart")
    assert session.check_response(bot, edit, 200, _answer(MESSAGE)).result is True
    sent = session.check_response(bot, SendMessage(chat_id=5, text="Cart"), 200, _answer(MESSAGE))
    assert isinstance(sent.result, Message) and sent.result.message_id == 7
    refusal = orjson.dumps(
        {"ok": False, "error_code": 400, "description": "Bad Request: message is not modified"}
    ).decode()
    with pytest.raises(TelegramBadRequest, match="not modified"):
        session.check_response(bot, edit, 400, refusal)
    await session.close()
