"""/subscriptions (also in /profile): the shopper's subscriptions with cancel / re-enable, their
members' link while active, and the plans on sale with a Subscribe button (an invoice link)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
)
from aiogram.utils.i18n import gettext as _

from domain.subscriptions.rules import Benefit, Plan
from domain.subscriptions.service import ShopperView, SubscriptionService
from domain.users.service import User
from handlers.common import DbId, MenuCb, esc, fit, show
from handlers.keyboard import InlineKeyboard
from handlers.subscriptions.texts import (
    BotChannel,
    BotStars,
    day,
    invite_text,
    plan_line,
    subscription_line,
)

router = Router(name=__name__)


class SubsCb(CallbackData, prefix="sbs"):
    """l = the list, b = subscribe to plan `id`, x = cancel subscription `id`, r = re-enable,
    j = a new invite link to the channel of subscription `id`."""

    a: str
    id: DbId = 0


def subscribe_button(plan_id: int) -> SubsCb:
    return SubsCb(a="b", id=plan_id)


def plan_button(plan: Plan) -> InlineKeyboardButton:
    """The product card's Subscribe button: it makes the invoice link (subscribe below)."""
    text = _("⭐ Subscribe: {stars} ⭐ a month").format(stars=plan.price)
    return InlineKeyboardButton(text=text, callback_data=subscribe_button(plan.id).pack())


def view_screen(view: ShopperView, locale: str, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    lines = [_("⭐ <b>Subscriptions</b>"), ""]
    kb = InlineKeyboard()
    for mine in view.subscriptions:
        sub = mine.subscription
        lines.append("• " + subscription_line(sub, mine.plan, locale, now))
        if mine.link:
            lines.append("  " + _("Members' link: {link}").format(link=esc(mine.link)))
        if mine.live and mine.plan.benefit is Benefit.CHANNEL:
            label = _("🔗 Invite link: {title}").format(title=mine.plan.title.get(locale))
            kb.button(text=label[:60], callback_data=SubsCb(a="j", id=sub.id))
        if mine.live and not sub.canceled:
            label = _("✖️ Cancel {title}").format(title=mine.plan.title.get(locale))
            kb.button(text=label[:60], callback_data=SubsCb(a="x", id=sub.id))
        elif mine.live and now < sub.expires_at:
            label = _("🔁 Re-enable {title}").format(title=mine.plan.title.get(locale))
            kb.button(text=label[:60], callback_data=SubsCb(a="r", id=sub.id))
    if not view.subscriptions:
        lines.append(_("You have no subscriptions yet."))
    offered = [c for c in view.plans if c.mine is None or not c.mine.live(now)]
    if offered:
        lines += ["", _("<b>Memberships</b>")]
    for choice in offered:
        lines.append("• " + plan_line(choice.plan, locale))
        label = _("⭐ Subscribe: {title}").format(title=choice.plan.title.get(locale))
        kb.button(text=label[:60], callback_data=subscribe_button(choice.plan.id))
    kb.button(text=_("👤 Profile"), callback_data=MenuCb(to="profile"))
    kb.adjust(1)
    return fit("\n".join(lines)), kb.as_markup()


async def render(
    target: Message | CallbackQuery,
    user: User,
    subscriptions: SubscriptionService,
    notice: str | None = None,
) -> None:
    now = datetime.now(UTC)
    view = await subscriptions.shopper_view(user.id, now)
    await show(target, *view_screen(view, user.locale, now), notice)


@router.message(Command("subscriptions"))
@router.callback_query(SubsCb.filter(F.a == "l"))
async def subscriptions_screen(
    event: Message | CallbackQuery, user: User, subscriptions: SubscriptionService
) -> None:
    await render(event, user, subscriptions)


@router.callback_query(SubsCb.filter(F.a == "b"))
async def subscribe(
    query: CallbackQuery,
    callback_data: SubsCb,
    bot: Bot,
    user: User,
    subscriptions: SubscriptionService,
) -> None:
    """A Stars invoice link with the 30-day period; its button opens Telegram's payment form."""
    invoice = await subscriptions.invoice(user.id, callback_data.id, datetime.now(UTC))
    plan = invoice.plan
    title = plan.title.get(user.locale)
    link = await bot.create_invoice_link(
        title=title[:32],
        description=_(
            "{title}: {stars} ⭐ every 30 days, cancel any time in /subscriptions."
        ).format(title=title, stars=plan.price)[:255],
        payload=invoice.payload,
        currency=invoice.currency,
        prices=[LabeledPrice(label=title[:64], amount=plan.price)],
        subscription_period=invoice.period,
    )
    kb = InlineKeyboard()
    kb.button(text=_("⭐ Subscribe for {stars} ⭐ a month").format(stars=plan.price), url=link)
    kb.button(text=_("⬅️ Subscriptions"), callback_data=SubsCb(a="l"))
    kb.adjust(1)
    text = _("⭐ <b>{title}</b>\n{line}\n\nRenews every 30 days until you cancel.").format(
        title=esc(title), line=plan_line(plan, user.locale)
    )
    await show(query, text, kb.as_markup())


@router.callback_query(SubsCb.filter(F.a.in_({"x", "r"})))
async def change_renewal(
    query: CallbackQuery,
    callback_data: SubsCb,
    bot: Bot,
    user: User,
    subscriptions: SubscriptionService,
) -> None:
    cancel = callback_data.a == "x"
    sub = await subscriptions.set_renewal(
        user.id, callback_data.id, cancel, datetime.now(UTC), BotStars(bot)
    )
    notice = (
        _("Cancelled. Your benefits stay until {day}.").format(day=day(sub.expires_at))
        if cancel
        else _("Re-enabled. It renews on {day}.").format(day=day(sub.expires_at))
    )
    await render(query, user, subscriptions, notice)


@router.callback_query(SubsCb.filter(F.a == "j"))
async def invite(
    query: CallbackQuery,
    callback_data: SubsCb,
    bot: Bot,
    user: User,
    subscriptions: SubscriptionService,
) -> None:
    """A new single-use invite to the members' channel (the last one was used or lost)."""
    link = await subscriptions.invite_link(
        user.id, callback_data.id, datetime.now(UTC), BotChannel(bot)
    )
    await bot.send_message(user.telegram_id, invite_text(link))
    await query.answer()
