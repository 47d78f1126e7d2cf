from __future__ import annotations

import pytest
from aiogram import Dispatcher, F
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from sandbox import Sandbox

pytestmark = pytest.mark.asyncio


async def test_start_and_press(sb: Sandbox, polling) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        kb = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Catalog", callback_data="cat")]]
        )
        await message.answer(f"Welcome {message.from_user.first_name}", reply_markup=kb)

    @dp.callback_query(F.data == "cat")
    async def cat(cb: CallbackQuery) -> None:
        await cb.answer("ok")
        await cb.message.edit_text("Catalog here")

    await polling(dp)
    alice = sb.user(1001, first_name="Alice")
    msgs = await alice.send("/start ref_5")
    assert [m.text for m in msgs] == ["Welcome Alice"]
    assert msgs[0].button_texts() == ["Catalog"]
    msgs = await alice.press("Catalog")
    assert [m.text for m in msgs] == ["Catalog here"]
    assert alice.last_callback_answer == {"text": "ok", "show_alert": False, "url": None}
    print(alice.transcript())
    assert sb.errors == []
