"""Managers pressing an owner's button (an old message, a forged callback) or typing an
owner's command get a clear "owners only" answer. Everybody else is not matched here and
gets the fallback's unknown-command / stale-button answer, as if admin didn't exist."""

from __future__ import annotations

from aiogram.filters import Command, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from domain.staff.service import NotStaff
from handlers.admin.callbacks import AdminCb, CatCb, GoodsCb, NewGoodsCb, StaffCb, StockCb
from handlers.admin.security import staff_router
from handlers.fallback import STALE_BUTTON, UNKNOWN_COMMAND
from handlers.loyalty.admin import LoyaltyAdminCb

router = staff_router(__name__)

# A manager's press of one of these buttons that every router above left (this router is the
# gate's last) is answered "owners only": the menu's sections (AdminCb: only the owner-only
# routers take the owners' sections), those routers' own screens (StaffCb, LoyaltyAdminCb),
# and the other screens of handlers/admin/callbacks.py. The prefixes come from the factories
# the senders and the routers use, so they can't drift apart.
OWNER_BUTTONS: tuple[type[CallbackData], ...] = (
    AdminCb,
    StaffCb,
    LoyaltyAdminCb,
    GoodsCb,
    NewGoodsCb,
    CatCb,
    StockCb,
)


class AnyButtonOf(Filter):
    """A press of any button these factories make, whatever its fields: an old or forged one
    no handler took, or one that doesn't even unpack."""

    def __init__(self, *factories: type[CallbackData]) -> None:
        self.prefixes = tuple(f"{f.__prefix__}{f.__separator__}" for f in factories)

    async def __call__(self, query: CallbackQuery) -> bool:
        return (query.data or "").startswith(self.prefixes)


@router.callback_query(AnyButtonOf(*OWNER_BUTTONS))
async def owner_only_button(query: CallbackQuery, staff_role: str) -> None:
    text = NotStaff.message if staff_role == "manager" else STALE_BUTTON
    await query.answer(_(text), show_alert=True)


@router.message(Command("staff", "audit"))
async def owner_only_command(message: Message, staff_role: str) -> None:
    await message.answer(_(NotStaff.message if staff_role == "manager" else UNKNOWN_COMMAND))
