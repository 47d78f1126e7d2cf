"""Carrying messages across: a shopper's to the staff (their forum topic in the staff group,
else every staff member's private chat), a staff member's back to the shopper. Every copy is
recorded, so a reply to it (on either side) continues the same conversation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.staff.service import StaffService
from domain.support.service import Relay, SupportService
from domain.support.types import Conversation
from handlers.common import fit
from handlers.keyboard import InlineKeyboard
from handlers.support.callbacks import SupportCb
from handlers.support.texts import header_keyboard

log = logging.getLogger(__name__)
Header = tuple[str, bool]  # the conversation's header for staff, and whether it is blocked


def kind_of(message: Message) -> str | None:
    """What the support line carries: text, a photo or a document (None: something else)."""
    if message.photo:
        return "photo"
    if message.document is not None:
        return "document"
    if message.text and not message.text.startswith("/"):
        return "text"
    return None


def topic_name(c: Conversation) -> str:
    name = c.shopper.name or (f"@{c.shopper.username}" if c.shopper.username else "?")
    return fit(f"{name} ({c.shopper.telegram_id})", 128)


async def _new_topic(bot: Bot, support: SupportService, c: Conversation, chat_id: int) -> int:
    topic = await bot.create_forum_topic(chat_id, topic_name(c))
    await support.set_topic(c.id, chat_id, topic.message_thread_id)
    return topic.message_thread_id


async def _post(
    bot: Bot,
    c: Conversation,
    chat_id: int,
    thread: int | None,
    message: Message,
    header: Header | None,
) -> list[Relay]:
    relays: list[Relay] = []
    if header is not None:
        markup = header_keyboard(c, header[1], reply=False)
        sent = await bot.send_message(
            chat_id, header[0], message_thread_id=thread, reply_markup=markup
        )
        relays.append((chat_id, sent.message_id))
    copy = await bot.copy_message(chat_id, message.chat.id, message.message_id, thread)
    relays.append((chat_id, copy.message_id))
    return relays


async def _to_topic(
    bot: Bot,
    support: SupportService,
    c: Conversation,
    chat_id: int,
    message: Message,
    header: Header | None,
) -> list[Relay]:
    if c.topic_chat_id == chat_id and c.topic_id:
        try:
            return await _post(bot, c, chat_id, c.topic_id, message, header)
        except TelegramBadRequest as exc:
            if "thread not found" not in str(exc):
                raise
            log.info("support topic %s of #%s was deleted: a new one", c.topic_id, c.id)
    return await _post(
        bot, c, chat_id, await _new_topic(bot, support, c, chat_id), message, header
    )


async def to_staff(
    bot: Bot,
    support: SupportService,
    staff: StaffService,
    c: Conversation,
    message: Message,
    header: Header | None,
) -> list[Relay]:
    """Copy a shopper's message to the staff, after the conversation's header if given."""
    if support.chat_id is not None:
        return await _to_topic(bot, support, c, support.chat_id, message, header)
    relays: list[Relay] = []
    for member in await staff.staff():
        chat_id = member.telegram_id
        try:
            if header is not None:
                markup = header_keyboard(c, header[1], reply=True)
                sent = await bot.send_message(chat_id, header[0], reply_markup=markup)
                relays.append((chat_id, sent.message_id))
            copy = await bot.copy_message(chat_id, message.chat.id, message.message_id)
            relays.append((chat_id, copy.message_id))
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            # A staff member who never opened the bot (or blocked it) can't be written to.
            log.info("support message not delivered to staff %s: %s", chat_id, exc)
    return relays


def reply_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("💬 Reply"), callback_data=SupportCb(a="o"))
    return kb.as_markup()


async def to_shopper(
    bot: Bot, support: SupportService, c: Conversation, message: Message, staff_id: int
) -> bool:
    """Copy a staff member's answer to the shopper; False when the shopper can't be reached
    (they blocked the bot)."""
    try:
        copy = await bot.copy_message(
            c.shopper.telegram_id,
            message.chat.id,
            message.message_id,
            reply_markup=reply_keyboard(),
        )
    except TelegramForbiddenError:
        return False
    kind = kind_of(message) or "text"
    relays = [(c.shopper.telegram_id, copy.message_id), (message.chat.id, message.message_id)]
    await support.staff_replied(c, staff_id, kind, relays, datetime.now(UTC))
    return True
