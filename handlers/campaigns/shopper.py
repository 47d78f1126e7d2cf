"""The shopper's side of promotions: /settings (opt in/out) and the buttons under a promotion."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.campaigns.service import CampaignService
from domain.users.service import User, UserService
from handlers.alerts.shopper import alerts_button
from handlers.campaigns.render import PromoCb, product_link
from handlers.common import MenuCb, esc, show
from handlers.keyboard import InlineKeyboard

router = Router(name=__name__)


class SettingsCb(CallbackData, prefix="st"):
    promotions: bool


def settings_text(user: User) -> str:
    state = _("on") if user.marketing_opt_in else _("off")
    return "\n".join(
        [
            _("⚙️ <b>Settings</b>"),
            "",
            _("Promotions: {state}").format(state=state),
            _(
                "Promotions are occasional offers and news from the shop. You can switch them "
                "off here or with the button under any promotion."
            ),
        ]
    )


def settings_keyboard(user: User) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    if user.marketing_opt_in:
        kb.button(text=_("🔕 Stop promotions"), callback_data=SettingsCb(promotions=False))
    else:
        kb.button(text=_("🔔 Get promotions"), callback_data=SettingsCb(promotions=True))
    kb.add(alerts_button())  # stock alerts and the price-drop opt-in (handlers/alerts.py)
    kb.button(text=_("⬅️ Main menu"), callback_data=MenuCb(to="home"))
    kb.adjust(1)
    return kb.as_markup()


@router.message(Command("settings"))
async def settings_command(message: Message, user: User) -> None:
    await show(message, settings_text(user), settings_keyboard(user))


@router.callback_query(SettingsCb.filter())
async def toggle_promotions(
    query: CallbackQuery, callback_data: SettingsCb, user: User, users: UserService
) -> None:
    updated = await users.set_marketing(user.id, callback_data.promotions)
    notice = _("Promotions on.") if updated.marketing_opt_in else _("Promotions off.")
    await show(query, settings_text(updated), settings_keyboard(updated), notice)


@router.callback_query(PromoCb.filter(F.action == "stop"))
async def stop_promotions(query: CallbackQuery, user: User, users: UserService, bot: Bot) -> None:
    """The one-tap opt-out under every promotion; the promotion itself stays as it was."""
    updated = await users.set_marketing(user.id, False)
    await query.answer(_("Promotions off."))
    await bot.send_message(
        query.from_user.id,
        _("You won't get promotions any more. You can turn them back on in /settings."),
        reply_markup=settings_keyboard(updated),
    )


@router.callback_query(PromoCb.filter(F.action == "preview"))
async def preview_opt_out(query: CallbackQuery) -> None:
    """The opt-out under a staff preview (handlers/campaigns/render.py) changes nothing."""
    await query.answer(
        _("In the real promotion this turns promotions off. This preview changes nothing."),
        show_alert=True,
    )


@router.callback_query(PromoCb.filter(F.action == "open"))
async def open_offer(
    query: CallbackQuery, callback_data: PromoCb, user: User, campaigns: CampaignService, bot: Bot
) -> None:
    """A tracked button: count the click, then hand over the product link or the coupon."""
    button = await campaigns.click(callback_data.id, user.id)
    if button.kind == "product":
        me = await bot.me()
        await query.answer(url=product_link(me.username or "", button.value))
        return
    await query.answer()
    await bot.send_message(
        query.from_user.id,
        _("🎁 Your coupon code: <code>{code}</code>\nUse it at checkout.").format(
            code=esc(button.value)
        ),
    )
