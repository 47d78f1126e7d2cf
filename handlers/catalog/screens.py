"""Showing a screen for a button press: edit in place when the kind of message allows it.

A product card is a photo with a caption; lists are text. Telegram can edit text into text and
media into media, not one into the other, so switching kinds deletes the old message and sends
the new one: the chat never fills up with stale screens.
"""

from __future__ import annotations

import logging
import re
from html import unescape

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, InputMediaPhoto, Message

from handlers.common import utf16_len

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024
_TAG = re.compile(r"<[^>]+>")


def visible_len(html_text: str) -> int:
    """What Telegram counts: UTF-16 units of the text after HTML parsing (tags gone,
    entities like &lt; one character)."""
    return utf16_len(unescape(_TAG.sub("", html_text)))


def _not_modified(exc: TelegramBadRequest) -> bool:
    return "message is not modified" in str(exc)


def _plain(html_text: str) -> str:
    return unescape(_TAG.sub("", html_text))


def _markup_dump(markup: InlineKeyboardMarkup | None) -> object:
    return markup.model_dump(exclude_none=True) if markup is not None else None


def _unchanged(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> bool:
    """Telegram refuses an edit that changes nothing (a forged page that clamps to the page
    already shown, a double tap): don't send it at all."""
    current = message.text if message.text is not None else message.caption
    return (current or "") == _plain(text).strip() and _markup_dump(
        message.reply_markup
    ) == _markup_dump(markup)


async def _send(
    message: Message, text: str, markup: InlineKeyboardMarkup | None, photo: str | None
) -> None:
    if photo is not None:
        try:
            await message.answer_photo(photo, caption=text, reply_markup=markup)
            return
        except TelegramBadRequest as exc:
            # A photo Telegram can't fetch must not hide the product: show the text card.
            log.warning("photo %r refused (%s); sending text instead", photo, exc)
    await message.answer(text, reply_markup=markup)


async def present(
    target: Message | CallbackQuery,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    photo: str | None = None,
    same_photo: bool = False,
    notice: str | None = None,
) -> None:
    """Show `text` (a caption when `photo` is given) for a command or a button press.

    `same_photo`: the card's photo did not change, so only its caption and buttons are edited.
    The callback is answered exactly once, with `notice` as a toast.
    """
    if isinstance(target, Message):
        await _send(target, text, markup, photo)
        return
    message = target.message
    try:
        if not isinstance(message, Message):
            if target.bot is not None:
                await target.bot.send_message(target.from_user.id, text, reply_markup=markup)
        elif photo is None and message.text is not None:
            if not _unchanged(message, text, markup):
                await message.edit_text(text, reply_markup=markup)
        elif photo is not None and message.photo:
            if same_photo:
                if not _unchanged(message, text, markup):
                    await message.edit_caption(caption=text, reply_markup=markup)
            else:
                media = InputMediaPhoto(media=photo, caption=text)
                await message.edit_media(media, reply_markup=markup)
        else:
            try:
                await message.delete()
            except TelegramBadRequest as exc:  # too old to delete: leave it, send anew
                log.info("could not delete message %s: %s", message.message_id, exc)
            await _send(message, text, markup, photo)
    except TelegramBadRequest as exc:
        if not _not_modified(exc):
            raise
    await target.answer(notice)
