"""/campaign for shop owners: list, open, preview, send now or schedule, pause/resume/cancel.

Every handler here (messages and buttons) sits behind the staff gate
(handlers/admin/security.py); anybody else falls through to handlers/fallback.py and gets
exactly the answer an unknown command or stale button gets.
Composing a new campaign lives in compose.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiogram import Bot, F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.campaigns.service import (
    STATE_LABELS,
    Campaign,
    CampaignService,
    InvalidTransition,
    ProgressMessage,
    next_state,
)
from handlers.admin.security import staff_router
from handlers.campaigns.render import (
    CampCb,
    campaign_card,
    card_keyboard,
    progress_keyboard,
    report_text,
    send_promotion,
)
from handlers.campaigns.states import CampaignForm
from handlers.common import cancel_keyboard, edit_in_place, esc, show
from handlers.keyboard import InlineKeyboard

if TYPE_CHECKING:
    from domain.kernel.shop import ShopProfile  # workflow data, injected by name

router = staff_router(__name__)


def list_keyboard(campaigns: list[Campaign]) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("➕ New campaign"), callback_data=CampCb(action="new"))
    for c in campaigns:
        label = _("#{id} · {state}").format(id=c.id, state=_(STATE_LABELS[c.state]))
        kb.button(text=label, callback_data=CampCb(action="open", id=c.id))
    kb.adjust(1)
    return kb.as_markup()


async def open_campaigns(target: Message | CallbackQuery, campaigns: CampaignService) -> None:
    """Entry point (also for the admin menu): recent campaigns and "new campaign"."""
    recent = await campaigns.recent(10)
    text = _("📣 <b>Campaigns</b>") + "\n\n"
    text += _("Your latest campaigns are below.") if recent else _("No campaigns yet.")
    await show(target, text, list_keyboard(recent))


async def show_card(
    target: Message | CallbackQuery, campaign: Campaign, campaigns: CampaignService, tz: str
) -> None:
    size = None
    if campaign.state in ("draft", "scheduled"):
        size = await campaigns.audience_size(campaign.draft.audience)
    await show(target, campaign_card(campaign, size, tz), card_keyboard(campaign))


async def report_view(
    campaign_id: int, campaigns: CampaignService
) -> tuple[str, InlineKeyboardMarkup]:
    """A campaign's report as it stands, with the buttons its state allows."""
    report = await campaigns.report(campaign_id)
    markup = progress_keyboard(report.campaign) or card_keyboard(report.campaign)
    return report_text(report.campaign, report.counts), markup


async def show_report(query: CallbackQuery, campaign_id: int, campaigns: CampaignService) -> None:
    await show(query, *await report_view(campaign_id, campaigns))


@router.message(Command("campaign"))
async def campaign_command(
    message: Message, state: FSMContext, campaigns: CampaignService
) -> None:
    await state.clear()
    await open_campaigns(message, campaigns)


@router.callback_query(CampCb.filter(F.action == "list"))
async def list_button(query: CallbackQuery, state: FSMContext, campaigns: CampaignService) -> None:
    await state.clear()
    await open_campaigns(query, campaigns)


@router.callback_query(CampCb.filter(F.action == "open"))
async def open_button(
    query: CallbackQuery, callback_data: CampCb, campaigns: CampaignService, shop: ShopProfile
) -> None:
    campaign = await campaigns.get(callback_data.id)
    await show_card(query, campaign, campaigns, shop.timezone)


@router.callback_query(CampCb.filter(F.action == "preview"))
async def preview_button(
    query: CallbackQuery, callback_data: CampCb, campaigns: CampaignService, bot: Bot
) -> None:
    campaign = await campaigns.get(callback_data.id)
    await send_promotion(bot, query.from_user.id, campaign.id, campaign.draft)
    await query.answer(_("Preview sent: this is exactly what recipients get."))


@router.callback_query(CampCb.filter(F.action == "confirm"))
async def confirm_button(
    query: CallbackQuery, callback_data: CampCb, campaigns: CampaignService
) -> None:
    campaign = await campaigns.get(callback_data.id)
    size = await campaigns.audience_size(campaign.draft.audience)
    kb = InlineKeyboard()
    kb.button(text=_("✅ Yes, send now"), callback_data=CampCb(action="send", id=campaign.id))
    kb.button(text=_("⬅️ Back"), callback_data=CampCb(action="open", id=campaign.id))
    kb.adjust(1)
    text = _("Send campaign #{id} to {count} people now?").format(id=campaign.id, count=size)
    await show(query, text, kb.as_markup())


@router.callback_query(CampCb.filter(F.action == "send"))
async def send_button(
    query: CallbackQuery, callback_data: CampCb, campaigns: CampaignService, bot: Bot
) -> None:
    """This message becomes the campaign's live progress. It is drawn here *before* the
    campaign starts: from then on only the delivery engine (maybe on another replica) edits it,
    so a drawing of ours can never land after the engine's final report."""
    campaign = await campaigns.get(callback_data.id)
    next_state(campaign.state, "start")  # a stale or repeated press changes nothing on screen
    text = _("🚀 Starting campaign #{id}…").format(id=campaign.id)
    message = query.message
    if isinstance(message, Message) and message.text is not None:
        await edit_in_place(message, text)
    else:  # too old to edit: the progress gets a message of its own
        message = await bot.send_message(query.from_user.id, text)
    try:
        await campaigns.send_now(campaign.id, ProgressMessage(message.chat.id, message.message_id))
    except InvalidTransition:  # a second press won the race: show where the campaign is
        await edit_in_place(message, *await report_view(campaign.id, campaigns))
    await query.answer()


@router.callback_query(CampCb.filter(F.action == "schedule"))
async def schedule_button(
    query: CallbackQuery,
    callback_data: CampCb,
    state: FSMContext,
    campaigns: CampaignService,
    shop: ShopProfile,
) -> None:
    campaign = await campaigns.get(callback_data.id)
    await state.set_state(CampaignForm.schedule_time)
    await state.update_data(campaign_id=campaign.id)
    zone = ZoneInfo(shop.timezone)
    now_local = datetime.now(UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    text = _(
        "When should campaign #{id} go out? Send YYYY-MM-DD HH:MM or HH:MM in the shop's "
        "time zone ({tz}; it is now {now} there)."
    ).format(id=campaign.id, tz=esc(shop.timezone), now=now_local)
    await show(query, text, cancel_keyboard())


@router.message(CampaignForm.schedule_time, F.text)
async def schedule_time(
    message: Message, state: FSMContext, campaigns: CampaignService, shop: ShopProfile
) -> None:
    data = await state.get_data()
    campaign = await campaigns.schedule(
        int(data["campaign_id"]), message.text or "", shop.timezone, datetime.now(UTC)
    )
    await state.clear()
    await show_card(message, campaign, campaigns, shop.timezone)


@router.callback_query(CampCb.filter(F.action.in_({"pause", "resume", "cancel"})))
async def control_button(
    query: CallbackQuery, callback_data: CampCb, campaigns: CampaignService
) -> None:
    actions = {"pause": campaigns.pause, "resume": campaigns.resume, "cancel": campaigns.cancel}
    await actions[callback_data.action](callback_data.id)
    await show_report(query, callback_data.id, campaigns)


@router.callback_query(CampCb.filter(F.action == "report"))
async def report_button(
    query: CallbackQuery, callback_data: CampCb, campaigns: CampaignService
) -> None:
    await show_report(query, callback_data.id, campaigns)
