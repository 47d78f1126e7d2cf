"""/points: balance, tier, next expiry, the ledger history (paged) and the personal
invitation link (`ref_<code>`)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.kernel.i18n import N_
from domain.kernel.money import money
from domain.loyalty.service import EntryKind, LedgerEntry, LoyaltyService, PointsStatus
from domain.users.service import User
from handlers.catalog.card import bot_username
from handlers.common import MenuCb, esc, fit, show
from handlers.keyboard import InlineKeyboard

router = Router(name=__name__)

KIND_NAMES = {
    EntryKind.EARN: N_("earned"),
    EntryKind.REDEEM: N_("used at checkout"),
    EntryKind.EXPIRE: N_("expired"),
    EntryKind.REVERSAL: N_("order cancelled or refunded"),
    EntryKind.ADJUST: N_("adjusted by the shop"),
    EntryKind.REFERRAL: N_("referral reward"),
}


# The default tiers' names (LOYALTY__TIERS), so each reader sees them in their language; a
# name the owner configured is shown as typed unless a catalogue translates it too.
DEFAULT_TIER_NAMES = (N_("Member"), N_("Silver"), N_("Gold"))


def tier_label(name: str | None) -> str:
    """A tier's name in the reader's language, escaped for HTML."""
    return esc(_(name)) if name else ""


class PointsCb(CallbackData, prefix="pts"):
    """v=overview, h=history page p."""

    a: str
    p: int = 1


def status_lines(status: PointsStatus, currency: str, locale: str) -> list[str]:
    """Balance and tier, shared with the profile."""
    tier = tier_label(status.tier.name) if status.tier else _("none yet")
    lines = [
        _("Points: {points}").format(points=status.balance),
        _("Membership tier: {tier}").format(tier=tier),
    ]
    if status.next_tier is not None:
        lines.append(
            _("Spend {amount} more to reach {tier}.").format(
                amount=money(status.next_tier.threshold - status.spend, currency, locale),
                tier=tier_label(status.next_tier.name),
            )
        )
    return lines


def entry_line(entry: LedgerEntry) -> str:
    sign = "+" if entry.points > 0 else ""
    day = f"{entry.at.astimezone(UTC):%Y-%m-%d}"
    line = f"• {day} {sign}{entry.points} — {_(KIND_NAMES[entry.kind])}"
    if entry.order_id:
        line += " " + _("(order #{id})").format(id=entry.order_id)
    if entry.kind is EntryKind.ADJUST and entry.reason:
        line += f": {esc(entry.reason)}"
    return line


def overview_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("📜 History"), callback_data=PointsCb(a="h"))
    kb.button(text=_("🏠 Menu"), callback_data=MenuCb(to="home"))
    kb.adjust(2)
    return kb.as_markup()


@router.message(Command("points"))
@router.callback_query(PointsCb.filter(F.a == "v"))
async def points_overview(
    event: Message | CallbackQuery, user: User, loyalty: LoyaltyService, bot: Bot
) -> None:
    status = await loyalty.status(user.id, datetime.now(UTC))
    config = loyalty.config
    lines = [_("⭐ <b>Your points</b>"), ""]
    lines += status_lines(status, config.currency, user.locale)
    if status.tier is not None:
        lines += tier_benefits(status, config.currency, user.locale)
    if status.next_expiry is not None:
        points, at = status.next_expiry
        lines.append(
            _("{points} points expire on {date}.").format(
                points=points, date=f"{at.astimezone(UTC):%Y-%m-%d}"
            )
        )
    lines.append(
        _("1 point = {value} at checkout (up to {share}% of an order).").format(
            value=money(config.point_value, config.currency, user.locale),
            share=config.redeem_cap_share,
        )
    )
    link = f"https://t.me/{await bot_username(bot)}?start=ref_{user.referral_code}"
    if config.referrer_reward or config.referred_reward:
        lines += [
            "",
            _(
                "Invite friends with your link: when a friend's first order is "
                "completed, you get {mine} points and they get {theirs}."
            ).format(mine=config.referrer_reward, theirs=config.referred_reward),
        ]
    lines.append(esc(link))
    await show(event, fit("\n".join(lines)), overview_keyboard())


def tier_benefits(status: PointsStatus, currency: str, locale: str) -> list[str]:
    tier = status.tier
    assert tier is not None
    out = []
    if tier.percent_off:
        out.append(_("• {percent}% off every order").format(percent=tier.percent_off))
    if tier.free_shipping_over is not None:
        out.append(
            _("• free shipping on goods from {amount}").format(
                amount=money(tier.free_shipping_over, currency, locale)
            )
        )
    if tier.extra_points_rate:
        out.append(_("• {percent}% more points").format(percent=tier.extra_points_rate))
    return out


@router.callback_query(PointsCb.filter(F.a == "h"))
async def points_history(
    query: CallbackQuery, callback_data: PointsCb, user: User, loyalty: LoyaltyService
) -> None:
    page = await loyalty.history(user.id, callback_data.p)
    kb = InlineKeyboard()
    nav = 0
    if page.has_prev:
        kb.button(text="◀️", callback_data=PointsCb(a="h", p=page.page - 1))
        nav += 1
    if page.has_next:
        kb.button(text="▶️", callback_data=PointsCb(a="h", p=page.page + 1))
        nav += 1
    kb.button(text=_("⬅️ Points"), callback_data=PointsCb(a="v"))
    kb.adjust(*([nav] if nav else []), 1)
    if not page.items:
        text = _("No points yet. You earn them when an order is completed.")
    else:
        text = _("📜 <b>Points history</b> (page {page} of {pages})").format(
            page=page.page, pages=page.pages
        )
        text += "\n\n" + "\n".join(entry_line(e) for e in page.items)
    await show(query, fit(text), kb.as_markup())
