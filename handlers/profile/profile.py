"""/profile: view and edit name, phone, language and marketing opt-in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from domain.loyalty.service import LoyaltyService
from domain.users.service import SUPPORTED_LANGUAGES, User, UserService
from handlers.alerts.shopper import alerts_button
from handlers.common import MenuCb, TextIs, cancel_keyboard, esc, main_menu, show
from handlers.keyboard import InlineKeyboard
from handlers.loyalty.shopper import PointsCb, status_lines
from handlers.subscriptions.shopper import SubsCb

router = Router(name=__name__)

LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


class ProfileCb(CallbackData, prefix="pf"):
    action: str


class LangCb(CallbackData, prefix="lang"):
    """`back`: where the person chose a language from, and returns to ("": the profile)."""

    code: str
    back: Annotated[str, Field(max_length=8)] = ""


class ProfileForm(StatesGroup):
    name = State()
    phone = State()


def profile_text(user: User, address_count: int, loyalty_lines: list[str] | None = None) -> str:
    not_set = _("not set")
    lines = [
        _("👤 <b>Your profile</b>"),
        "",
        _("Name: {name}").format(name=esc(user.name)),
        _("Phone: {phone}").format(phone=esc(user.phone) if user.phone else not_set),
        _("Language: {language}").format(language=LANGUAGE_NAMES[user.locale]),
        _("Promotions: {state}").format(state=_("on") if user.marketing_opt_in else _("off")),
        _("Addresses: {count}").format(count=address_count),
        *(loyalty_lines or []),
    ]
    return "\n".join(lines)


def profile_keyboard(user: User) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("✏️ Name"), callback_data=ProfileCb(action="name"))
    kb.button(text=_("📱 Phone"), callback_data=ProfileCb(action="phone"))
    kb.button(text=_("🌐 Language"), callback_data=ProfileCb(action="language"))
    promo = _("🔕 Stop promotions") if user.marketing_opt_in else _("🔔 Get promotions")
    kb.button(text=promo, callback_data=ProfileCb(action="marketing"))
    kb.button(text=_("📍 Addresses"), callback_data=ProfileCb(action="addresses"))
    kb.button(text=_("♥ Favourites"), callback_data=MenuCb(to="favourites"))
    kb.button(text=_("🕘 Recently viewed"), callback_data=MenuCb(to="history"))
    kb.add(alerts_button())  # back-in-stock list and the price-drop switch (handlers/alerts.py)
    kb.button(text=_("⭐ Points"), callback_data=PointsCb(a="v"))  # handlers/loyalty.py
    kb.button(text=_("🎫 Subscriptions"), callback_data=SubsCb(a="l"))  # handlers/subscriptions
    kb.button(text=_("⬅️ Main menu"), callback_data=MenuCb(to="home"))
    kb.adjust(2, 2, 1, 2, 1, 1, 1, 1)
    return kb.as_markup()


async def loyalty_lines(loyalty: LoyaltyService, user: User) -> list[str]:
    """Tier and points balance (handlers/loyalty.py shows the rest under /points)."""
    status = await loyalty.status(user.id, datetime.now(UTC))
    return status_lines(status, loyalty.config.currency, user.locale)[:2]


async def render_profile(
    target: Message | CallbackQuery,
    user: User,
    users: UserService,
    notice: str | None = None,
    loyalty: LoyaltyService | None = None,
) -> None:
    count = len(await users.addresses(user.id))
    extra = await loyalty_lines(loyalty, user) if loyalty is not None else None
    await show(target, profile_text(user, count, extra), profile_keyboard(user), notice)


@router.message(Command("profile"))
async def profile_command(
    message: Message, user: User, users: UserService, loyalty: LoyaltyService
) -> None:
    await render_profile(message, user, users, loyalty=loyalty)


@router.callback_query(MenuCb.filter(F.to == "profile"))
async def profile_button(
    query: CallbackQuery, user: User, users: UserService, loyalty: LoyaltyService
) -> None:
    await render_profile(query, user, users, loyalty=loyalty)


# ---- name ----


@router.callback_query(ProfileCb.filter(F.action == "name"))
async def ask_name(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(ProfileForm.name)
    await show(
        query,
        _("What name should we use for your orders? (up to 64 characters)"),
        cancel_keyboard(),
    )


@router.message(ProfileForm.name, F.text, ~F.text.startswith("/"))
async def save_name(
    message: Message, state: FSMContext, user: User, users: UserService, loyalty: LoyaltyService
) -> None:
    assert message.text is not None
    updated = await users.rename(user.id, message.text)
    await state.clear()
    await message.answer(_("Saved. I'll call you {name}.").format(name=esc(updated.name)))
    await render_profile(message, updated, users, loyalty=loyalty)


# ---- phone ----


def contact_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)],
            [KeyboardButton(text=_("✖️ Cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


@router.callback_query(ProfileCb.filter(F.action == "phone"))
async def ask_phone(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(ProfileForm.phone)
    await query.answer()
    if query.message is not None:
        await query.message.answer(
            _("Tap the button below to share your phone number, or type it."),
            reply_markup=contact_keyboard(),
        )


@router.message(ProfileForm.phone, F.contact)
async def save_contact(
    message: Message, state: FSMContext, user: User, users: UserService, loyalty: LoyaltyService
) -> None:
    assert message.contact is not None
    if message.contact.user_id != user.telegram_id:
        await message.answer(
            _("Please share your own number with the button below."),
            reply_markup=contact_keyboard(),
        )
        return
    await _save_phone(message, state, user, users, message.contact.phone_number, loyalty)


@router.message(ProfileForm.phone, TextIs("✖️ Cancel"))
async def cancel_phone(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled."), reply_markup=ReplyKeyboardRemove())
    await message.answer(_("What would you like to do?"), reply_markup=main_menu())


@router.message(ProfileForm.phone, F.text, ~F.text.startswith("/"))
async def save_typed_phone(
    message: Message, state: FSMContext, user: User, users: UserService, loyalty: LoyaltyService
) -> None:
    assert message.text is not None
    await _save_phone(message, state, user, users, message.text, loyalty)


async def _save_phone(
    message: Message,
    state: FSMContext,
    user: User,
    users: UserService,
    raw: str,
    loyalty: LoyaltyService | None = None,
) -> None:
    updated = await users.set_phone(user.id, raw)
    await state.clear()
    await message.answer(
        _("Phone saved: {phone}").format(phone=esc(updated.phone)),
        reply_markup=ReplyKeyboardRemove(),
    )
    await render_profile(message, updated, users, loyalty=loyalty)


# ---- language and promotions ----


def language_keyboard(back: str = "") -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    for code in SUPPORTED_LANGUAGES:
        kb.button(text=LANGUAGE_NAMES[code], callback_data=LangCb(code=code, back=back))
    kb.adjust(len(SUPPORTED_LANGUAGES))
    return kb.as_markup()


@router.message(Command("language"))
async def language_command(message: Message) -> None:
    await message.answer(_("Choose your language:"), reply_markup=language_keyboard("home"))


@router.callback_query(MenuCb.filter(F.to == "language"))
async def language_button(query: CallbackQuery) -> None:
    """From the main menu: the choice returns to the main menu."""
    await show(query, _("Choose your language:"), language_keyboard("home"))


@router.callback_query(ProfileCb.filter(F.action == "language"))
async def profile_language_button(query: CallbackQuery) -> None:
    await show(query, _("Choose your language:"), language_keyboard())


@router.callback_query(LangCb.filter(F.code.in_(set(SUPPORTED_LANGUAGES))))
async def set_language(
    query: CallbackQuery,
    callback_data: LangCb,
    user: User,
    users: UserService,
    i18n: I18n,
    loyalty: LoyaltyService,
) -> None:
    updated = await users.set_language(user.id, callback_data.code)
    with i18n.use_locale(updated.locale):  # back where they were, in the new language
        notice = _("Language set to {language}.").format(language=LANGUAGE_NAMES[updated.locale])
        if callback_data.back == "home":
            await show(query, notice + "\n\n" + _("What would you like to do?"), main_menu())
            return
        await render_profile(query, updated, users, notice, loyalty)


@router.callback_query(ProfileCb.filter(F.action == "marketing"))
async def toggle_marketing(
    query: CallbackQuery, user: User, users: UserService, loyalty: LoyaltyService
) -> None:
    updated = await users.set_marketing(user.id, not user.marketing_opt_in)
    await render_profile(query, updated, users, loyalty=loyalty)
