"""/start (with deep links), /help, /cancel and the home menu."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
    WebAppInfo,
)
from aiogram.utils.i18n import gettext as _

from domain.catalog.service import CatalogService
from domain.kernel.i18n import N_
from domain.kernel.shop import ShopProfile
from domain.recommend import EventLog
from domain.recommend.shelves import ShelfService
from domain.shop.service import ShopSettingsService
from domain.staff.service import Permission, Role, StaffService
from domain.subscriptions.service import SubscriptionService
from domain.users.service import Registration, User, UserService, parse_start_payload
from handlers.catalog.card import send_product_card
from handlers.commands import allowed_groups
from handlers.common import MenuCb, esc, main_menu, show
from handlers.onboarding.checklist import first_run, show_checklist
from handlers.recommend.shelves import for_you_preview
from handlers.support.callbacks import with_contact

router = Router(name=__name__)

_REFERRAL_NOTES = {
    "recorded": N_("You joined with an invitation from a friend. Welcome aboard!"),
    "self": N_("That is your own invitation link; share it with friends instead."),
    "unknown": N_("That invitation link isn't valid, but you're welcome all the same."),
}


def welcome_text(registration: Registration, shop_name: str) -> str:
    user = registration.user
    if registration.is_new:
        text = _("👋 Welcome to {shop}, {name}!").format(shop=esc(shop_name), name=esc(user.name))
    else:
        text = _("👋 Welcome back, {name}!").format(name=esc(user.name))
    note = _REFERRAL_NOTES.get(registration.referral or "")
    if note:
        text += "\n\n" + _(note)
    return text + "\n\n" + _("What would you like to do?")


def start_menu(webapp_url: str) -> InlineKeyboardMarkup:
    """The main menu, with the Mini App storefront on top when it is on."""
    markup = main_menu()
    if not webapp_url:
        return markup
    shop = InlineKeyboardButton(text=_("🛍 Open shop"), web_app=WebAppInfo(url=webapp_url))
    return InlineKeyboardMarkup(inline_keyboard=[[shop], *markup.inline_keyboard])


@router.message(CommandStart())
async def start(
    message: Message,
    command: CommandObject,
    users: UserService,
    user: User,
    user_is_new: bool,
    state: FSMContext,
    shop: ShopProfile,
    catalog: CatalogService,
    bot: Bot,
    locale: str,
    shelves: ShelfService,
    recs_events: EventLog,
    webapp_url: str,
    staff: StaffService,
    shop_settings: ShopSettingsService,
    subscriptions: SubscriptionService,
) -> None:
    await state.clear()
    payload = parse_start_payload(command.args)
    registration = await users.register(user, user_is_new, payload)
    shop_name = await shop_settings.name()
    await message.answer(
        welcome_text(registration, shop_name), reply_markup=start_menu(webapp_url)
    )
    if await first_run(staff, shop_settings, user.telegram_id):
        await show_checklist(message, state, shop_settings)
        return
    if payload.kind == "invalid":
        await message.answer(_("That link isn't valid. Here is the shop's main menu instead."))
    elif payload.kind == "product":
        if not await send_product_card(
            message, catalog, bot, user, locale, payload.product_id, recs_events, subscriptions
        ):
            await message.answer(_("That product isn't available."))
    elif not registration.is_new:  # at most one more message: picks from their own history
        preview = await for_you_preview(shelves, user, locale)
        if preview is not None:
            await message.answer(preview[0], reply_markup=preview[1])


def help_text(role: Role | None, permissions: frozenset[Permission] = frozenset()) -> str:
    """Every command this person may use, grouped, in their language (handlers/commands.py)."""
    lines = [_("<b>What I can do</b>")]
    for group in allowed_groups(role, permissions):
        lines += ["", f"<b>{esc(_(group.title))}</b>"]
        for command in group.commands:
            usage = f" {esc(_(command.usage))}" if command.usage else ""
            lines.append(f"/{command.name}{usage} — {esc(_(command.description))}")
    lines += ["", _("Or just type what you're looking for to search the shop.")]
    return "\n".join(lines)


async def help_for(staff: StaffService, telegram_id: int) -> str:
    return help_text(*await staff.access_of(telegram_id))


@router.message(Command("help"))
async def help_command(message: Message, user: User, staff: StaffService) -> None:
    await message.answer(
        await help_for(staff, user.telegram_id), reply_markup=with_contact(main_menu())
    )


@router.callback_query(MenuCb.filter(F.to == "help"))
async def help_button(query: CallbackQuery, user: User, staff: StaffService) -> None:
    await show(query, await help_for(staff, user.telegram_id), with_contact(main_menu()))


@router.callback_query(MenuCb.filter(F.to == "home"))
async def home_button(query: CallbackQuery, user: User) -> None:
    await show(query, _("What would you like to do?"), main_menu())


@router.message(Command("cancel"))
async def cancel_command(message: Message, state: FSMContext) -> None:
    had_state = await state.get_state() is not None
    await state.clear()
    text = _("Cancelled.") if had_state else _("There's nothing to cancel.")
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
    await message.answer(_("What would you like to do?"), reply_markup=main_menu())


@router.callback_query(MenuCb.filter(F.to == "cancel"))
async def cancel_button(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(query, _("Cancelled.") + "\n\n" + _("What would you like to do?"), main_menu())
