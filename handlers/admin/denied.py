"""Managers pressing an owner's button (an old message, a forged callback) or typing an
owner's command get a clear "owners only" answer. Everybody else is not matched here and
gets the fallback's unknown-command / stale-button answer, as if admin didn't exist; except
/admin itself, which an owner missing from ADMIN_IDS would otherwise never figure out:
`not_staff_router` (a shoppers' router, after the gate) says how owners are configured,
without saying who they are."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from domain.kernel.i18n import N_
from domain.staff.service import NotStaff
from handlers.admin.callbacks import AdminCb, CatCb, GoodsCb, NewGoodsCb, StaffCb, StockCb
from handlers.admin.security import staff_router
from handlers.fallback import STALE_BUTTON, UNKNOWN_COMMAND
from handlers.loyalty.admin import LoyaltyAdminCb
from handlers.onboarding.checklist import SetupCb

router = staff_router(__name__)
not_staff_router = Router(name=f"{__name__}.not_staff")

NOT_STAFF_ADMIN = N_(
    "🔒 /admin is for the shop's staff.\n\n"
    "If this is your shop: owners are set in the bot's environment with ADMIN_IDS "
    "(numeric Telegram ids, separated by commas). Add yours, <code>{id}</code>, and restart "
    "the bot. Managers are appointed by an owner under /admin → Staff."
)

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
    SetupCb,
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


@not_staff_router.message(Command("admin"))
async def admin_by_non_staff(message: Message) -> None:
    """Reached only by people the staff gate didn't let in."""
    assert message.from_user is not None
    await message.answer(_(NOT_STAFF_ADMIN).format(id=message.from_user.id))
