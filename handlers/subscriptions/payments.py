"""Stars payments of subscriptions: pre_checkout_query and successful_payment whose payload is a
subscription's (`sub.`); tried before the orders' payment router, which takes the rest."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.types import Message, PreCheckoutQuery
from aiogram.utils.i18n import gettext as _

from domain.subscriptions.rules import Benefit
from domain.subscriptions.service import (
    PAYLOAD_PREFIX,
    ChannelUnavailable,
    PaidOutcome,
    SubscriptionService,
)
from domain.users.service import User
from handlers.common import esc
from handlers.keyboard import InlineKeyboard
from handlers.subscriptions.shopper import SubsCb
from handlers.subscriptions.texts import BotChannel, BotStars, benefit_text, day, invite_text

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.pre_checkout_query(F.invoice_payload.startswith(PAYLOAD_PREFIX))
async def subscription_pre_checkout(
    query: PreCheckoutQuery, user: User, subscriptions: SubscriptionService
) -> None:
    await subscriptions.pre_checkout(
        user.id, query.invoice_payload, query.currency, query.total_amount, datetime.now(UTC)
    )
    await query.answer(ok=True)


async def _channel_invite(
    bot: Bot, user: User, subscriptions: SubscriptionService, subscription_id: int
) -> str:
    """The new member's single-use invite, or why it must be fetched later."""
    try:
        link = await subscriptions.invite_link(
            user.id, subscription_id, datetime.now(UTC), BotChannel(bot)
        )
    except ChannelUnavailable as exc:
        return _(exc.message)
    return invite_text(link)


@router.message(F.successful_payment.invoice_payload.startswith(PAYLOAD_PREFIX))
async def subscription_paid(
    message: Message, bot: Bot, user: User, subscriptions: SubscriptionService
) -> None:
    paid = message.successful_payment
    assert paid is not None
    result = await subscriptions.paid(
        user.id,
        message.chat.id,
        paid.invoice_payload,
        paid.currency,
        paid.total_amount,
        paid.telegram_payment_charge_id,
        bool(paid.is_recurring),
        bool(paid.is_first_recurring),
        paid.subscription_expiration_date,
        datetime.now(UTC),
        BotStars(bot),
    )
    plan, sub = result.plan, result.subscription
    if result.outcome is PaidOutcome.DUPLICATE or plan is None:
        log.info("subscription charge %s delivered again", paid.telegram_payment_charge_id)
        return
    title = esc(plan.title.get(user.locale))
    if result.outcome is PaidOutcome.REFUNDED:
        text = _(
            "This payment of {stars} ⭐ for {plan} was not needed (the subscription is "
            "cancelled or already active), so it has been refunded."
        ).format(stars=result.amount, plan=title)
    elif result.outcome is PaidOutcome.STARTED and sub is not None:
        text = _("⭐ You're subscribed to {plan} until {day}: {benefit}.").format(
            plan=title, day=day(sub.expires_at), benefit=benefit_text(plan)
        )
        if plan.benefit is Benefit.LINK:
            text += "\n" + _("Members' link: {link}").format(link=esc(plan.benefit_value))
        elif plan.benefit is Benefit.CHANNEL:
            text += "\n" + await _channel_invite(bot, user, subscriptions, sub.id)
    else:
        expires = day(sub.expires_at) if sub is not None else ""
        text = _("⭐ {plan} renewed until {day}. Thank you!").format(plan=title, day=expires)
    kb = InlineKeyboard()
    kb.button(text=_("⭐ My subscriptions"), callback_data=SubsCb(a="l"))
    await message.answer(text, reply_markup=kb.as_markup())
