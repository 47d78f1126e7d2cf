"""Telegram's payment updates: shipping_query, pre_checkout_query, successful_payment.

ThrottleMiddleware never throttles these, and each is one service call: refusals are
PaymentRefused domain errors, which bot/errors.py answers (ok=False with the translated reason).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.types import LabeledPrice, Message, PreCheckoutQuery, ShippingOption, ShippingQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from domain.digital.service import DigitalService
from domain.orders.payments import PaymentOutcome, PaymentResult, PaymentService
from domain.orders.service import OrderChange, OrderService
from domain.orders.states import OrderStatus
from domain.users.service import User, UserService
from handlers.orders.digital import deliver
from handlers.orders.texts import notify_buyer, settle_stars_refund

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.shipping_query()
async def shipping_options(query: ShippingQuery, user: User, payments: PaymentService) -> None:
    options = await payments.shipping_options(user.id, query.invoice_payload, datetime.now(UTC))
    await query.answer(
        ok=True,
        shipping_options=[
            ShippingOption(
                id=o.id,
                title=o.title.get(user.locale),
                prices=[LabeledPrice(label=o.title.get(user.locale), amount=o.price)],
            )
            for o in options
        ],
    )


@router.pre_checkout_query()
async def pre_checkout(query: PreCheckoutQuery, user: User, payments: PaymentService) -> None:
    await payments.pre_checkout(
        user.id,
        query.invoice_payload,
        query.currency,
        query.total_amount,
        query.shipping_option_id,
        datetime.now(UTC),
    )
    await query.answer(ok=True)


@router.message(F.successful_payment)
async def successful_payment(
    message: Message,
    bot: Bot,
    user: User,
    users: UserService,
    orders: OrderService,
    payments: PaymentService,
    digital: DigitalService,
    i18n_core: I18n,
) -> None:
    paid = message.successful_payment
    assert paid is not None
    now = datetime.now(UTC)
    address = None
    if paid.order_info is not None and paid.order_info.shipping_address is not None:
        a = paid.order_info.shipping_address
        parts = (a.street_line1, a.street_line2, a.city, a.state, a.post_code, a.country_code)
        address = ", ".join(p for p in parts if p)
    result = await payments.paid(
        user.id,
        message.chat.id,
        paid.invoice_payload,
        paid.currency,
        paid.total_amount,
        paid.telegram_payment_charge_id,
        paid.provider_payment_charge_id,
        now,
        shipping_option_id=paid.shipping_option_id,
        address=address,
    )
    if result.outcome in (PaymentOutcome.PAID, PaymentOutcome.DUPLICATE) and result.order:
        # Digital goods: delivered at once (also when this update is handled again after a
        # crash: only what hadn't gone out is sent).
        await deliver_digital(message, bot, user, users, orders, digital, i18n_core, result, now)
    if result.outcome is PaymentOutcome.DUPLICATE or result.change is None:
        log.info("payment %s delivered again; nothing to do", paid.telegram_payment_charge_id)
        return
    change = result.change
    if result.outcome is PaymentOutcome.MISMATCH:
        await message.answer(
            _(
                "This payment doesn't match order #{id} (another currency). It will be refunded."
            ).format(id=change.order.id)
        )
        return
    if change.order.digital:
        return  # told with its units above
    if result.outcome is PaymentOutcome.EXTRA:
        await message.answer(
            _("Order #{id} was paid twice; the extra payment will be refunded.").format(
                id=change.order.id
            )
        )
        return
    await notify_buyer(bot, users, i18n_core, change)
    if change.stars_refund is not None:  # a late Stars payment goes straight back
        refunded = await settle_stars_refund(bot, orders, change, now)
        await notify_buyer(
            bot, users, i18n_core, type(change)(refunded.order, refunded.events[1:])
        )


async def deliver_digital(
    message: Message,
    bot: Bot,
    user: User,
    users: UserService,
    orders: OrderService,
    digital: DigitalService,
    i18n_core: I18n,
    result: PaymentResult,
    now: datetime,
) -> None:
    order = result.order
    if order is None or not order.digital:
        return
    settled = await digital.settle(order, orders, now)
    if settled is not None and settled.order.status is OrderStatus.DELIVERED:
        await notify_buyer(bot, users, i18n_core, settled, tell_actions=False)
    elif settled is not None:  # the pool ran short: cancelled, Stars given back
        await notify_buyer(bot, users, i18n_core, settled)
        if settled.stars_refund is not None:
            refunded = await settle_stars_refund(bot, orders, settled, now)
            await notify_buyer(
                bot, users, i18n_core, OrderChange(refunded.order, refunded.events[1:])
            )
        return
    await deliver(bot, message.chat.id, order, user.locale, digital)
