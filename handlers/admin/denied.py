"""Managers pressing an owner's button (an old message, a forged callback) or typing an
owner's command get a clear "owners only" answer. Everybody else is not matched here and
gets the fallback's unknown-command / stale-button answer, as if admin didn't exist."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from domain.staff.service import NotStaff
from handlers.admin.security import staff_router
from handlers.fallback import STALE_BUTTON, UNKNOWN_COMMAND

router = staff_router(__name__)
ADMIN_PREFIXES = ("adm:", "adg:", "adn:", "adc:", "ads:", "adst:", "adly:")


@router.callback_query(F.data.func(lambda data: str(data).startswith(ADMIN_PREFIXES)))
async def owner_only_button(query: CallbackQuery, staff_role: str) -> None:
    text = NotStaff.message if staff_role == "manager" else STALE_BUTTON
    await query.answer(_(text), show_alert=True)


@router.message(Command("staff", "audit"))
async def owner_only_command(message: Message, staff_role: str) -> None:
    await message.answer(_(NotStaff.message if staff_role == "manager" else UNKNOWN_COMMAND))
