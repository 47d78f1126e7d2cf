"""How campaigns look: the promotion itself, its buttons, the admin's cards and progress bar.

Shared by the admin handlers (preview, report) and the delivery engine's adapter (bot/delivery),
so the preview is byte for byte what recipients get.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.campaigns.audiences import AUDIENCES, AudienceSpec
from domain.campaigns.service import (
    STATE_LABELS,
    Campaign,
    CampaignButton,
    CampaignDraft,
    CampaignState,
    DeliveryCounts,
)
from handlers.common import esc
from handlers.keyboard import InlineKeyboard

BAR_WIDTH = 12


class PromoCb(CallbackData, prefix="pr"):
    """Buttons under a promotion, pressed by shoppers: open the offer, or stop promotions."""

    action: str  # "open" or "stop"
    id: int  # campaign id (0 in an admin's preview)


class CampCb(CallbackData, prefix="cp"):
    """Admin actions on a campaign."""

    action: str
    id: int = 0


def promo_keyboard(
    campaign_id: int, button: CampaignButton | None, preview: bool = False
) -> InlineKeyboardMarkup:
    """The buttons under a promotion; in staff's `preview` the opt-out only says what it
    does (a live one would turn the owner's own promotions off)."""
    kb = InlineKeyboard()
    if button is not None:
        label = _("🛍 View the product") if button.kind == "product" else _("🎁 Get the coupon")
        kb.button(text=label, callback_data=PromoCb(action="open", id=campaign_id))
    stop = PromoCb(action="preview" if preview else "stop", id=campaign_id)
    kb.button(text=_("🔕 No more promotions"), callback_data=stop)
    kb.adjust(1)
    return kb.as_markup()


async def send_promotion(
    bot: Bot, chat_id: int, campaign_id: int, draft: CampaignDraft
) -> Message:
    """Send staff a preview of the promotion as recipients see it (raises aiogram's Telegram
    errors); its opt-out button is a harmless stand-in."""
    markup = promo_keyboard(campaign_id, draft.button, preview=True)
    if draft.photo_file_id:
        return await bot.send_photo(
            chat_id, draft.photo_file_id, caption=draft.text, reply_markup=markup
        )
    return await bot.send_message(chat_id, draft.text, reply_markup=markup)


def product_link(bot_username: str, product_id: str) -> str:
    return f"https://t.me/{bot_username}?start=p_{product_id}"


def audience_label(spec: AudienceSpec) -> str:
    kind = AUDIENCES.get(spec.kind)
    if kind is None:
        return esc(spec.kind)
    value = spec.value.upper() if spec.kind == "language" else spec.value
    return _(kind.label).format(value=esc(value))


def button_label(button: CampaignButton | None) -> str:
    if button is None:
        return _("none")
    if button.kind == "product":
        return _("product #{id}").format(id=esc(button.value))
    return _("coupon {code}").format(code=esc(button.value))


def local_time(when: datetime, timezone: str) -> str:
    return when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def campaign_card(campaign: Campaign, audience_size: int | None, timezone: str) -> str:
    draft = campaign.draft
    lines = [
        _("📣 <b>Campaign #{id}</b> — {state}").format(
            id=campaign.id, state=_(STATE_LABELS[campaign.state])
        ),
        _("Audience: {audience}").format(audience=audience_label(draft.audience)),
        _("Photo: {photo}").format(photo=_("yes") if draft.photo_file_id else _("no")),
        _("Button: {button}").format(button=button_label(draft.button)),
    ]
    if audience_size is not None:
        lines.append(_("Would reach now: {count} people").format(count=audience_size))
    if campaign.scheduled_at is not None and campaign.state == CampaignState.SCHEDULED:
        lines.append(
            _("Scheduled for {when} ({tz})").format(
                when=local_time(campaign.scheduled_at, timezone), tz=esc(timezone)
            )
        )
    return "\n".join(lines)


def card_keyboard(campaign: Campaign) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    state, cid = campaign.state, campaign.id
    if state in (CampaignState.DRAFT, CampaignState.SCHEDULED):
        kb.button(text=_("👁 Preview"), callback_data=CampCb(action="preview", id=cid))
        kb.button(text=_("🚀 Send now"), callback_data=CampCb(action="confirm", id=cid))
        kb.button(text=_("🕒 Schedule"), callback_data=CampCb(action="schedule", id=cid))
    if state == CampaignState.RUNNING:
        kb.button(text=_("⏸ Pause"), callback_data=CampCb(action="pause", id=cid))
    if state == CampaignState.PAUSED:
        kb.button(text=_("▶️ Resume"), callback_data=CampCb(action="resume", id=cid))
    if state not in (CampaignState.DONE, CampaignState.CANCELLED):
        kb.button(text=_("⏹ Cancel campaign"), callback_data=CampCb(action="cancel", id=cid))
    if state not in (CampaignState.DRAFT, CampaignState.SCHEDULED):
        kb.button(text=_("📊 Report"), callback_data=CampCb(action="report", id=cid))
    kb.button(text=_("⬅️ Campaigns"), callback_data=CampCb(action="list"))
    kb.adjust(2)
    return kb.as_markup()


def progress_bar(done: int, total: int) -> str:
    filled = BAR_WIDTH if total == 0 else min(BAR_WIDTH, done * BAR_WIDTH // total)
    return "▓" * filled + "░" * (BAR_WIDTH - filled)


def report_text(campaign: Campaign, counts: DeliveryCounts) -> str:
    percent = 100 if counts.total == 0 else counts.processed * 100 // counts.total
    lines = [
        _("📣 <b>Campaign #{id}</b> — {state}").format(
            id=campaign.id, state=_(STATE_LABELS[campaign.state])
        ),
        f"{progress_bar(counts.processed, counts.total)} {percent}%",
        _("Recipients: {total}").format(total=counts.total),
        _("✅ Sent: {n}").format(n=counts.sent),
        _("⛔ Blocked the bot: {n}").format(n=counts.blocked),
        _("❌ Failed: {n}").format(n=counts.failed),
    ]
    if counts.unknown:
        lines.append(_("❔ Interrupted by a restart (not resent): {n}").format(n=counts.unknown))
    if counts.skipped:
        lines.append(_("↪️ Skipped (opted out meanwhile): {n}").format(n=counts.skipped))
    if counts.pending or counts.sending:
        lines.append(_("⏳ Waiting: {n}").format(n=counts.pending + counts.sending))
    lines.append(_("👆 Button clicks: {n}").format(n=counts.clicks))
    return "\n".join(lines)


def progress_keyboard(campaign: Campaign) -> InlineKeyboardMarkup | None:
    kb = InlineKeyboard()
    if campaign.state == CampaignState.RUNNING:
        kb.button(text=_("⏸ Pause"), callback_data=CampCb(action="pause", id=campaign.id))
    elif campaign.state == CampaignState.PAUSED:
        kb.button(text=_("▶️ Resume"), callback_data=CampCb(action="resume", id=campaign.id))
    if campaign.state in (CampaignState.RUNNING, CampaignState.PAUSED):
        kb.button(
            text=_("⏹ Cancel campaign"), callback_data=CampCb(action="cancel", id=campaign.id)
        )
        kb.adjust(2)
        return kb.as_markup()
    return None
