"""The staff group (SUPPORT__CHAT_ID): a staff member's message in a shopper's topic goes to
that shopper. Everything else posted there stays there: the group is the staff's room, not a
place for shop commands, and nothing of it reaches the other routers."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Router
from aiogram.filters import Filter
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from domain.staff.service import StaffService
from domain.support.service import SupportService
from handlers.support.relay import kind_of, to_shopper

router = Router(name=__name__)


class InSupportGroup(Filter):
    async def __call__(
        self, message: Message, support: SupportService | None = None
    ) -> bool | dict[str, Any]:
        return support is not None and message.chat.id == support.chat_id


@router.message(InSupportGroup())
async def staff_group_message(
    message: Message, bot: Bot, support: SupportService, staff: StaffService
) -> None:
    who = message.from_user
    thread = message.message_thread_id
    if who is None or thread is None or not message.is_topic_message:
        return
    if kind_of(message) is None or not await staff.allowed(who.id):
        return
    conversation = await support.by_topic(message.chat.id, thread)
    if conversation is None:
        return
    if not await to_shopper(bot, support, conversation, message, who.id):
        await message.reply(_("Not delivered: the shopper has blocked the bot."))
