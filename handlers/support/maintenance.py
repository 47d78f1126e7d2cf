"""Maintenance mode (owners): close the shop with a message shoppers see instead of the shop,
and reopen it. Staff keep working meanwhile (the gate in bot/middlewares.py lets them by)."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.kernel.i18n import N_
from domain.support.service import SupportService
from domain.support.types import Maintenance
from handlers.admin.callbacks import AdminCb
from handlers.admin.menu import AdminSection, register_section
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.common import cancel_keyboard, esc, show
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__, min_role="owner")
register_section(AdminSection("maintenance", N_("🚧 Maintenance"), min_role="owner"))


class MaintenanceCb(CallbackData, prefix="mnt"):
    """on=close the shop (asks for the message), off=reopen it."""

    a: str


class ClosingShop(StatesGroup):
    message = State()


def screen(state: Maintenance) -> tuple[str, InlineKeyboardMarkup]:
    kb = InlineKeyboard()
    if state.on:
        text = _("🚧 <b>The shop is closed.</b> Shoppers see:\n\n<i>{message}</i>").format(
            message=esc(state.message)
        )
        kb.button(text=_("🔓 Reopen the shop"), callback_data=MaintenanceCb(a="off"))
    else:
        text = _(
            "🟢 <b>The shop is open.</b>\n\nClose it for maintenance: shoppers then get your "
            "message instead of the shop, staff keep working, payments already under way "
            "still complete."
        )
        kb.button(text=_("🚧 Close the shop"), callback_data=MaintenanceCb(a="on"))
    kb.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    kb.adjust(1)
    return text, kb.as_markup()


@router.message(Command("maintenance"))
async def maintenance_command(
    message: Message, state: FSMContext, support: SupportService
) -> None:
    await state.clear()
    await show(message, *screen(await support.maintenance()))


@router.callback_query(AdminCb.filter(F.to == "maintenance"))
async def maintenance_section(
    query: CallbackQuery, state: FSMContext, support: SupportService
) -> None:
    await state.clear()
    await show(query, *screen(await support.maintenance()))


@router.callback_query(MaintenanceCb.filter(F.a == "on"))
async def ask_message(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(ClosingShop.message)
    text = _("Write the message shoppers will see while the shop is closed.")
    await show(query, text, cancel_keyboard())


@router.message(StateFilter(ClosingShop.message), NOT_COMMAND)
async def close_shop(message: Message, state: FSMContext, support: SupportService) -> None:
    assert message.from_user is not None
    if not message.text:
        await message.answer(_("Please send the message as text."))
        return
    await support.set_maintenance(message.from_user.id, True, message.text)
    await state.clear()
    await show(message, *screen(await support.maintenance()))


@router.callback_query(MaintenanceCb.filter(F.a == "off"))
async def reopen_shop(query: CallbackQuery, support: SupportService) -> None:
    await support.set_maintenance(query.from_user.id, False)
    await show(query, *screen(await support.maintenance()), notice=_("The shop is open again."))
