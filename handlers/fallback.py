"""The catch-all, registered last: whatever nobody else handled gets a helpful answer."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from domain.kernel.i18n import N_
from handlers.common import main_menu

router = Router(name=__name__)

# Also the answers admin screens give to people who may not see them (handlers/admin).
UNKNOWN_COMMAND = N_("I don't know that command. /help lists what I can do.")
STALE_BUTTON = N_("This button is no longer active.")


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(_(UNKNOWN_COMMAND))


@router.message()
async def anything_else(message: Message, state: FSMContext) -> None:
    if await state.get_state() is not None:
        await message.answer(_("Please answer the question above, or send /cancel to stop."))
        return
    if message.chat.type != "private":
        return  # never chat back in groups we were added to
    await message.answer(
        _("I didn't understand that. Choose an option below or send /help."),
        reply_markup=main_menu(),
    )


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_(STALE_BUTTON), show_alert=True)
