"""How subscriptions read to people, and Telegram as the subscriptions service reaches it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from domain.kernel.i18n import N_
from domain.subscriptions.rules import Benefit, Plan, Subscription
from domain.subscriptions.service import ChannelUnavailable
from domain.users.service import UserService
from handlers.common import esc

log = logging.getLogger(__name__)

LAPSED = N_(
    "⌛ Your subscription to {plan} has ended and its benefits are no longer active. "
    "You can subscribe again from /subscriptions."
)
REFUNDED = N_("💸 Your payment of {stars} ⭐ for {plan} was refunded; the subscription has ended.")


class BotStars:
    """StarsGateway over the chat's Bot: editUserStarSubscription and refundStarPayment."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def edit_subscription(self, telegram_user_id: int, charge_id: str, cancel: bool) -> None:
        await self.bot.edit_user_star_subscription(
            user_id=telegram_user_id, telegram_payment_charge_id=charge_id, is_canceled=cancel
        )

    async def refund(self, telegram_user_id: int, charge_id: str) -> None:
        try:
            await self.bot.refund_star_payment(
                user_id=telegram_user_id, telegram_payment_charge_id=charge_id
            )
        except TelegramBadRequest as exc:
            if "ALREADY_REFUNDED" not in str(exc):  # a retry after a crash: already done
                raise


class BotChannel:
    """ChannelGateway over the chat's Bot: a single-use createChatInviteLink per grant, and
    banChatMember + unbanChatMember to remove a member without banning them for good."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def invite(self, chat_id: int, telegram_user_id: int, until: datetime) -> str:
        try:
            link = await self.bot.create_chat_invite_link(
                chat_id=chat_id,
                name=f"member {telegram_user_id}"[:32],
                expire_date=until,
                member_limit=1,
            )
        except TelegramAPIError as exc:  # not (or no longer) its admin, or Telegram is away
            log.warning("no invite link to channel %s: %s", chat_id, exc)
            raise ChannelUnavailable() from exc
        return link.invite_link

    async def remove(self, chat_id: int, telegram_user_id: int) -> None:
        try:
            await self.bot.ban_chat_member(chat_id=chat_id, user_id=telegram_user_id)
            await self.bot.unban_chat_member(
                chat_id=chat_id, user_id=telegram_user_id, only_if_banned=True
            )
        except TelegramAPIError as exc:  # the lapse is recorded: one failure stops no other
            log.error("could not remove %s from channel %s: %s", telegram_user_id, chat_id, exc)


def invite_text(link: str) -> str:
    return _("🔗 Your invite link (it lets one person in: keep it to yourself): {link}").format(
        link=esc(link)
    )


def day(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d")


def benefit_text(plan: Plan) -> str:
    if plan.benefit is Benefit.TIER:
        return _("{tier} membership").format(tier=esc(plan.benefit_value))
    return _("access to the members' channel")


def plan_line(plan: Plan, locale: str) -> str:
    return _("{title}: {stars} ⭐ a month, {benefit}").format(
        title=esc(plan.title.get(locale)), stars=plan.price, benefit=benefit_text(plan)
    )


def subscription_line(sub: Subscription, plan: Plan, locale: str, now: datetime) -> str:
    title = esc(plan.title.get(locale))
    if not sub.live(now):
        return _("{title}: ended").format(title=title)
    if sub.canceled:
        return _("{title}: cancelled, active until {day}").format(
            title=title, day=day(sub.expires_at)
        )
    return _("{title}: active, renews on {day}").format(title=title, day=day(sub.expires_at))


async def tell(
    bot: Bot,
    users: UserService,
    i18n: I18n,
    user_id: int,
    msgid: str,
    plan: Plan,
    **params: object,
) -> None:
    """Send `msgid` about `plan` to a shopper in their language; a blocked bot is logged."""
    person = await users.get(user_id)
    with i18n.context(), i18n.use_locale(person.locale):
        text = _(msgid).format(plan=esc(plan.title.get(person.locale)), **params)
    try:
        await bot.send_message(person.telegram_id, text)
    except (TelegramForbiddenError, TelegramBadRequest) as exc:
        log.info("could not tell user %s about a subscription: %s", user_id, exc)
