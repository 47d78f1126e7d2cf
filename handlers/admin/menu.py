"""/admin: the merchant's menu, built from a registry of sections.

A section is listed only for people allowed to open it, and only once it exists: a feature adds
ONE `AdminSection(...)` line to SECTIONS and handles `AdminCb.filter(F.to == "<key>")` in its
own router (which filters on IsStaff itself, since the button may be old or forged).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    WebAppInfo,
)
from aiogram.types import User as TgUser
from aiogram.utils.i18n import gettext as _

from domain.campaigns.service import CampaignService
from domain.kernel.i18n import N_
from domain.staff.service import Permission, Role, StaffService
from handlers.admin.callbacks import AdminCb
from handlers.admin.security import staff_router
from handlers.campaigns.admin import open_campaigns
from handlers.common import show
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__)


@dataclass(frozen=True, slots=True)
class AdminSection:
    key: str  # AdminCb.to value handled by the section's router
    label: str  # msgid of the button
    min_role: Role = "manager"
    permission: Permission | None = None


SECTIONS: list[AdminSection] = [
    AdminSection("goods", N_("📦 Goods")),
    AdminSection("categories", N_("🗂 Categories")),
    AdminSection("transfer", N_("📑 Import / Export")),
    AdminSection("stock", N_("📉 Stock")),
    AdminSection("orders", N_("🧾 Orders")),
    AdminSection("coupons", N_("🎟 Coupons")),
    AdminSection("reviews", N_("💬 Reviews")),
    AdminSection("reports", N_("📊 Reports"), permission="revenue"),
    AdminSection("campaigns", N_("📣 Campaigns")),
    AdminSection("staff", N_("👥 Staff"), min_role="owner"),
    AdminSection("audit", N_("📜 Audit log"), min_role="owner"),
    AdminSection("loyalty", N_("⭐ Loyalty"), min_role="owner"),
    AdminSection("setup", N_("🧭 Setup checklist"), min_role="owner"),  # handlers/onboarding
    # Part 2 adds, one line each (with their routers handling AdminCb(to=key)):
    # orders (manager), reviews (manager), coupons (manager), reports (manager, "revenue").
]


def register_section(section: AdminSection, before: str | None = None) -> None:
    """Add a section at start-up (before `before`'s key, else at the end); idempotent."""
    if any(s.key == section.key for s in SECTIONS):
        return
    keys = [s.key for s in SECTIONS]
    SECTIONS.insert(keys.index(before) if before in keys else len(SECTIONS), section)


async def admin_menu(
    staff: StaffService, telegram_id: int, console_url: str = ""
) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    for section in SECTIONS:
        if await staff.allowed(telegram_id, section.min_role, section.permission):
            kb.button(text=_(section.label), callback_data=AdminCb(to=section.key))
    kb.adjust(2)
    markup = kb.as_markup()
    if console_url:  # the web console as a Mini App (handlers/admin/console.py: /console)
        console = InlineKeyboardButton(
            text=_("🖥 Web console"), web_app=WebAppInfo(url=f"{console_url}tma")
        )
        markup.inline_keyboard.append([console])
    return markup


def back_to_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    return kb.as_markup()


async def open_menu(
    target: Message | CallbackQuery, staff: StaffService, who: TgUser, console_url: str = ""
) -> None:
    role = await staff.role_of(who.id)
    title = _("🛠 <b>Shop admin</b>") + "\n"
    title += _("You are an owner.") if role == "owner" else _("You are a manager.")
    await show(
        target,
        title + "\n\n" + _("What would you like to manage?"),
        await admin_menu(staff, who.id, console_url),
    )


@router.message(Command("admin"))
async def admin_command(
    message: Message,
    state: FSMContext,
    staff: StaffService,
    console_url: str = "",
) -> None:
    await state.clear()
    assert message.from_user is not None
    await open_menu(message, staff, message.from_user, console_url)


@router.callback_query(AdminCb.filter(F.to == "home"))
async def home_button(
    query: CallbackQuery, state: FSMContext, staff: StaffService, console_url: str = ""
) -> None:
    await state.clear()
    await open_menu(query, staff, query.from_user, console_url)


@router.callback_query(AdminCb.filter(F.to == "campaigns"))
async def campaigns_button(query: CallbackQuery, campaigns: CampaignService) -> None:
    await open_campaigns(query, campaigns)
