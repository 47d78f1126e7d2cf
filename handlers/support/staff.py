"""The staff's side in their private chats: a reply to a relayed message answers its shopper;
/support lists conversations (open / answered) and writes to one; Block / Unblock."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from domain.kernel.i18n import N_
from domain.support.service import SupportService
from domain.support.types import Conversation, Status
from handlers.admin.callbacks import AdminCb
from handlers.admin.menu import AdminSection, register_section
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.common import cancel_keyboard, esc, show
from handlers.support.callbacks import SupportCb
from handlers.support.relay import kind_of, to_shopper
from handlers.support.texts import header_keyboard, listing_keyboard, listing_text

router = staff_router(__name__)
register_section(AdminSection("support", N_("🛟 Support")))


class StaffWrite(StatesGroup):
    answer = State()


class RepliesToRelay(Filter):
    """A staff member's reply, in their private chat, to a copy of a shopper's message."""

    async def __call__(
        self, message: Message, support: SupportService | None = None
    ) -> bool | dict[str, Any]:
        target = message.reply_to_message
        if support is None or target is None or message.chat.type != "private":
            return False
        if target.from_user is None or not target.from_user.is_bot:
            return False
        c = await support.by_relay(message.chat.id, target.message_id)
        return {"conversation": c} if c is not None else False


async def answer(message: Message, c: Conversation, bot: Bot, support: SupportService) -> None:
    assert message.from_user is not None
    if kind_of(message) is None:
        await message.answer(_("Send text, a photo or a file to answer."))
        return
    if await to_shopper(bot, support, c, message, message.from_user.id):
        await message.answer(_("✓ Sent to {name}.").format(name=esc(c.shopper.name)))
    else:
        await message.answer(_("Not delivered: the shopper has blocked the bot."))


@router.message(F.chat.type == "private", RepliesToRelay())
async def replied_to_relay(
    message: Message, conversation: Conversation, bot: Bot, support: SupportService
) -> None:
    await answer(message, conversation, bot, support)


async def show_list(
    target: Message | CallbackQuery, support: SupportService, status: Status
) -> None:
    items, counts = await support.listing(status)
    await show(target, listing_text(status, items, counts), listing_keyboard(status, items))


@router.message(Command("support"))
async def support_command(message: Message, state: FSMContext, support: SupportService) -> None:
    await state.clear()
    await show_list(message, support, Status.OPEN)


@router.callback_query(AdminCb.filter(F.to == "support"))
async def support_section(
    query: CallbackQuery, state: FSMContext, support: SupportService
) -> None:
    await state.clear()
    await show_list(query, support, Status.OPEN)


@router.callback_query(SupportCb.filter(F.a == "l"))
async def support_page(
    query: CallbackQuery, callback_data: SupportCb, support: SupportService
) -> None:
    status = Status.ANSWERED if callback_data.k == Status.ANSWERED.value else Status.OPEN
    await show_list(query, support, status)


@router.callback_query(SupportCb.filter(F.a == "w"))
async def write_to(
    query: CallbackQuery, callback_data: SupportCb, state: FSMContext, support: SupportService
) -> None:
    c = await support.get(callback_data.id)
    await state.set_state(StaffWrite.answer)
    await state.update_data(support_conversation=c.id)
    await query.answer()
    if query.message is not None:
        text = _("Write your answer to {name}: text, a photo or a file.").format(
            name=esc(c.shopper.name)
        )
        await query.message.answer(text, reply_markup=cancel_keyboard())


@router.message(StateFilter(StaffWrite.answer), NOT_COMMAND)
async def written(message: Message, state: FSMContext, bot: Bot, support: SupportService) -> None:
    c = await support.get(int((await state.get_data())["support_conversation"]))
    await state.clear()
    await answer(message, c, bot, support)


@router.callback_query(SupportCb.filter(F.a.in_({"b", "u"})))
async def block_button(
    query: CallbackQuery, callback_data: SupportCb, support: SupportService
) -> None:
    c = await support.get(callback_data.id)
    blocked = callback_data.a == "b"
    await support.set_blocked(query.from_user.id, c.shopper.telegram_id, blocked)
    name = esc(c.shopper.name)
    notice = (_("{name} is blocked.") if blocked else _("{name} is unblocked.")).format(name=name)
    if isinstance(query.message, Message):
        private = query.message.chat.type == "private"
        markup = header_keyboard(c, blocked, reply=private)
        await query.message.edit_reply_markup(reply_markup=markup)
    await query.answer(notice, show_alert=False)
