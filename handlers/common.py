"""Bits every conversation uses: the main menu, cancel buttons, in-place editing."""

from __future__ import annotations

import html
from typing import Annotated

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.types import User as TgUser
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from domain.users.service import TelegramIdentity
from handlers.keyboard import InlineKeyboard

MESSAGE_LIMIT = 4096

# Ids that come back in callback data are forgeable: anything outside a database integer's range
# fails to parse, so the button falls through to the "no longer active" answer.
DbId = Annotated[int, Field(ge=0, le=2**31 - 1)]


class MenuCb(CallbackData, prefix="m"):
    """Top-level navigation: home, profile, language, help, cancel."""

    to: str


def esc(value: object) -> str:
    """Escape anything a person typed before it goes into an HTML message."""
    return html.escape(str(value), quote=False)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Shorten plain text to Telegram's limit, which counts UTF-16 code units."""
    if utf16_len(text) <= limit:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > limit - 1:
            break
        out.append(ch)
        used += size
    return "".join(out) + "…"


def catalog_button() -> InlineKeyboardButton:
    """The catalogue button, for screens that have nothing to show yet."""
    return InlineKeyboardButton(text=_("🛍 Catalog"), callback_data=MenuCb(to="catalog").pack())


def main_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("🛍 Catalog"), callback_data=MenuCb(to="catalog"))
    kb.button(text=_("✨ For you"), callback_data=MenuCb(to="foryou"))  # handlers/recs.py
    kb.button(text=_("🛒 Cart"), callback_data=MenuCb(to="cart"))
    kb.button(text=_("📦 Orders"), callback_data=MenuCb(to="orders"))
    kb.button(text=_("👤 Profile"), callback_data=MenuCb(to="profile"))
    kb.button(text=_("🌐 Language"), callback_data=MenuCb(to="language"))
    kb.button(text=_("❓ Help"), callback_data=MenuCb(to="help"))
    kb.adjust(2, 2, 2, 1)
    return kb.as_markup()


def cancel_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("✖️ Cancel"), callback_data=MenuCb(to="cancel"))
    return kb.as_markup()


class TextIs(Filter):
    """Matches a reply-keyboard button's text in the reader's language."""

    def __init__(self, msgid: str) -> None:
        self.msgid = msgid

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and message.text in {_(self.msgid), self.msgid}


def _dump(markup: InlineKeyboardMarkup | None) -> object:
    """Comparable content (received objects also carry the bot they came from)."""
    return None if markup is None else markup.model_dump(exclude_none=True)


async def show(
    target: Message | CallbackQuery,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    notice: str | None = None,
) -> None:
    """Edit the message a button belongs to (no chat flooding); send a new one for commands.

    `notice` is a short toast for the button press; a callback is answered exactly once.
    """
    if isinstance(target, CallbackQuery):
        message = target.message
        if isinstance(message, Message) and message.text is not None:
            if message.html_text == text and _dump(message.reply_markup) == _dump(markup):
                await target.answer(notice)  # a no-op edit is refused ("not modified")
                return
            await edit_in_place(message, text, markup)
            await target.answer(notice)
            return
        await target.answer(notice)
        if target.bot is not None:
            await target.bot.send_message(target.from_user.id, text, reply_markup=markup)
        return
    await target.answer(text, reply_markup=markup)


async def edit_in_place(
    message: Message, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit a message's text; an edit that changes nothing (a repeated press) is not an error."""
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "message is not modified" not in str(exc):
            raise


def identity_of(tg_user: TgUser) -> TelegramIdentity:
    """What the domain needs to know about the Telegram user behind an update."""
    return TelegramIdentity(
        telegram_id=tg_user.id,
        first_name=tg_user.first_name,
        last_name=tg_user.last_name,
        username=tg_user.username,
        language_code=tg_user.language_code,
    )
