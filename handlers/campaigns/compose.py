"""Composing a campaign: text (checked by Telegram's own parser via a preview), optional photo,
optional button (product or coupon), audience. Staff only
(behind the staff gate, handlers/admin/security.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.campaigns.audiences import AUDIENCES, AudienceSpec, audience_spec
from domain.campaigns.service import (
    CampaignButton,
    CampaignDraft,
    CampaignService,
    coupon_button,
    product_button,
    validate_text,
)
from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from handlers.admin.security import staff_router
from handlers.campaigns.admin import show_card
from handlers.campaigns.render import CampCb, send_promotion
from handlers.campaigns.states import CampaignForm
from handlers.common import cancel_keyboard, esc, show
from handlers.keyboard import InlineKeyboard

if TYPE_CHECKING:
    from domain.kernel.shop import ShopProfile  # workflow data, injected by name

router = staff_router(__name__)


class AudienceCb(CallbackData, prefix="ca"):
    kind: str


def _choice_keyboard(*buttons: tuple[str, CallbackData]) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    for text, data in buttons:
        kb.button(text=text, callback_data=data)
    kb.button(text=_("✖️ Cancel"), callback_data=CampCb(action="list"))
    kb.adjust(1)
    return kb.as_markup()


def _draft(data: dict[str, Any], audience: AudienceSpec) -> CampaignDraft:
    button = None
    if data.get("button_kind"):
        button = CampaignButton(data["button_kind"], data["button_value"])
    return CampaignDraft(data["text"], audience, data.get("photo"), button)


@router.callback_query(CampCb.filter(F.action == "new"))
async def new_campaign(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(CampaignForm.text)
    text = _(
        "Send the promotion text. HTML formatting works: &lt;b&gt;bold&lt;/b&gt;, "
        '&lt;i&gt;italic&lt;/i&gt;, &lt;a href="https://…"&gt;link&lt;/a&gt; — or just '
        "format it in your Telegram app."
    )
    await show(query, text, cancel_keyboard())


@router.message(CampaignForm.text, F.text)
async def got_text(message: Message, state: FSMContext, bot: Bot) -> None:
    # Formatting made in the app arrives as entities; typed tags arrive as plain text.
    html_text = message.html_text if message.entities else (message.text or "")
    text = validate_text(html_text, with_photo=False)
    preview = CampaignDraft(text, AudienceSpec("everyone"))
    try:
        await send_promotion(bot, message.chat.id, 0, preview)
    except TelegramBadRequest as exc:  # Telegram's parser is the judge of the HTML
        raise ValidationError(
            N_("Telegram can't show that: {error}. Fix it and send the text again."),
            error=esc(exc.message),
        ) from None
    await state.update_data(text=text)
    await state.set_state(CampaignForm.photo)
    await message.answer(
        _("☝️ That's the preview. Add a photo? Send it now, or skip."),
        reply_markup=_choice_keyboard((_("⏭ No photo"), CampCb(action="nophoto"))),
    )


async def _ask_button(target: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(None)
    markup = _choice_keyboard(
        (_("🛍 Button to a product"), CampCb(action="btn_product")),
        (_("🎁 Button with a coupon"), CampCb(action="btn_coupon")),
        (_("⏭ No button"), CampCb(action="btn_none")),
    )
    await show(target, _("Add a button under the message?"), markup)


@router.message(CampaignForm.photo, F.photo)
async def got_photo(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    validate_text(data["text"], with_photo=True)  # a caption is limited to 1024 characters
    assert message.photo is not None
    await state.update_data(photo=message.photo[-1].file_id)
    await _ask_button(message, state)


@router.callback_query(CampCb.filter(F.action == "nophoto"))
async def no_photo(query: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(photo=None)
    await _ask_button(query, state)


@router.callback_query(CampCb.filter(F.action == "btn_product"))
async def ask_product(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(CampaignForm.product)
    await show(
        query, _("Send the product id (the number in its link), e.g. 42."), cancel_keyboard()
    )


@router.callback_query(CampCb.filter(F.action == "btn_coupon"))
async def ask_coupon(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(CampaignForm.coupon)
    await show(query, _("Send the coupon code, e.g. SPRING10."), cancel_keyboard())


async def _ask_audience(target: Message | CallbackQuery, state: FSMContext) -> None:
    await state.set_state(None)
    buttons = [
        (_(kind.label).format(value="…"), AudienceCb(kind=key)) for key, kind in AUDIENCES.items()
    ]
    await show(target, _("Who should get it?"), _choice_keyboard(*buttons))


@router.message(CampaignForm.product, F.text)
async def got_product(message: Message, state: FSMContext) -> None:
    button = product_button(message.text or "")
    await state.update_data(button_kind=button.kind, button_value=button.value)
    await _ask_audience(message, state)


@router.message(CampaignForm.coupon, F.text)
async def got_coupon(message: Message, state: FSMContext) -> None:
    button = coupon_button(message.text or "")
    await state.update_data(button_kind=button.kind, button_value=button.value)
    await _ask_audience(message, state)


@router.callback_query(CampCb.filter(F.action == "btn_none"))
async def no_button(query: CallbackQuery, state: FSMContext) -> None:
    await state.update_data(button_kind=None, button_value=None)
    await _ask_audience(query, state)


async def _create(
    target: Message | CallbackQuery,
    state: FSMContext,
    spec: AudienceSpec,
    campaigns: CampaignService,
    shop: ShopProfile,
) -> None:
    data = await state.get_data()
    if "text" not in data:  # an old button from a finished conversation
        raise ValidationError(N_("This draft has expired. Start again with /campaign."))
    assert target.from_user is not None  # the staff gate lets only people through
    campaign = await campaigns.create(target.from_user.id, _draft(data, spec))
    await state.clear()
    await show_card(target, campaign, campaigns, shop.timezone)


@router.callback_query(AudienceCb.filter())
async def chose_audience(
    query: CallbackQuery,
    callback_data: AudienceCb,
    state: FSMContext,
    campaigns: CampaignService,
    shop: ShopProfile,
) -> None:
    kind = AUDIENCES.get(callback_data.kind)
    if kind is None:
        raise ValidationError(N_("Unknown audience."))
    if kind.needs_value:
        await state.update_data(audience_kind=kind.key)
        await state.set_state(CampaignForm.audience_value)
        await show(query, _(kind.prompt), cancel_keyboard())
        return
    await _create(query, state, audience_spec(kind.key), campaigns, shop)


@router.message(CampaignForm.audience_value, F.text)
async def got_audience_value(
    message: Message, state: FSMContext, campaigns: CampaignService, shop: ShopProfile
) -> None:
    data = await state.get_data()
    spec = audience_spec(str(data.get("audience_kind", "")), message.text or "")
    await _create(message, state, spec, campaigns, shop)
