"""How orders read to people, and telling a buyer about changes to their order.

Shared by the cart, checkout, orders and payment routers and by the scheduled order jobs; it
has no router of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters.callback_data import CallbackData
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from domain.kernel.i18n import N_
from domain.kernel.money import money
from domain.orders.labels import FULFILMENT_NAMES as FULFILMENT_NAMES  # re-exported
from domain.orders.labels import PAYMENT_NAMES as PAYMENT_NAMES
from domain.orders.labels import STATUS_NAMES as STATUS_NAMES
from domain.orders.service import Order, OrderChange, OrderEvent, OrderService
from domain.orders.states import Action, OrderStatus
from domain.orders.types import Notice
from domain.users.service import UserService
from handlers.common import DbId, esc, fit
from handlers.keyboard import InlineKeyboard

log = logging.getLogger(__name__)


class OrdersCb(CallbackData, prefix="ord"):
    """Orders screens: l=list page p, v=view id, c=cancel?, cc=cancel!, r=received, f=refund,
    pay=send the invoice again."""

    a: str
    id: DbId = 0
    p: int = 1


# What the buyer is told when something happens to their order.
NOTICES = {
    Action.PAY: N_(
        "✅ Payment received for order #{id}. Thank you! We'll tell you when it ships."
    ),
    Action.PAY_LATE: N_(
        "We received your payment for order #{id}, but the order had already closed. "
        "Your money will be refunded."
    ),
    Action.PROCESS: N_("🛠 Order #{id} is being prepared."),
    Action.SHIP: N_("🚚 Order #{id} has shipped. Tracking number: {tracking}"),
    Action.DELIVER: N_("📬 Order #{id} has been delivered. Please confirm you received it."),
    Action.COMPLETE: N_("✅ Order #{id} is completed. Enjoy!"),
    Action.CANCEL: N_("✖️ Order #{id} was cancelled."),
    Action.EXPIRE: N_("⌛ Order #{id} expired: it was not paid in time, the goods are released."),
    Action.REQUEST_REFUND: N_("↩️ We got your refund request for order #{id}."),
    Action.REFUND: N_("💸 Order #{id} has been refunded."),
    Action.PARTIAL_REFUND: N_("💸 Part of order #{id} has been refunded."),
    Action.RETURN: N_("📦 We received the goods of order #{id} back."),
    Action.EXTRA_PAYMENT: N_("Order #{id} was paid twice; the extra payment will be refunded."),
}


def status_name(status: OrderStatus) -> str:
    return _(STATUS_NAMES[status])


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def order_summary(order: Order, locale: str) -> str:
    """One line for the orders list."""
    return _("#{id} · {status} · {total}").format(
        id=order.id,
        status=status_name(order.status),
        total=money(order.pay_amount, order.pay_currency, locale),
    )


def event_line(event: OrderEvent) -> str:
    label = _("🧾 Order placed") if event.action is Action.PLACE else status_name(event.target)
    if event.action is Action.EXTRA_PAYMENT:
        label = _("💳 Paid twice: refund due")
    line = f"• {when(event.at)} — {label}"
    if event.note and event.action in (Action.SHIP, Action.REQUEST_REFUND):
        line += f" ({esc(event.note)})"
    return line


def order_text(order: Order, locale: str, events: list[OrderEvent] | None = None) -> str:
    """The full order: status, items, money, address, tracking and timeline."""
    lines = [
        _("🧾 <b>Order #{id}</b> — {status}").format(
            id=order.id, status=status_name(order.status)
        ),
        _("Payment: {payment} · Delivery: {fulfilment}").format(
            payment=_(PAYMENT_NAMES[order.payment_status]),
            fulfilment=_(FULFILMENT_NAMES[order.fulfilment_status]),
        ),
        "",
    ]
    for line in order.lines:
        label = esc(line.title.get(locale))
        if line.variant_label:
            label += f" ({esc(line.variant_label)})"
        lines.append(f"• {label} × {line.quantity} — {money(line.amount, order.currency, locale)}")
    lines.append("")
    lines.append(
        _("Subtotal: {amount}").format(amount=money(order.subtotal, order.currency, locale))
    )
    if order.discount and order.coupon_code:
        lines.append(
            _("Discount ({code}): −{amount}").format(
                code=esc(order.coupon_code or ""),
                amount=money(order.discount, order.currency, locale),
            )
        )
    elif order.discount:  # tier and points discounts (handlers/loyalty.py)
        lines.append(
            _("Discount: −{amount}").format(amount=money(order.discount, order.currency, locale))
        )
    if order.shipping_title is not None:
        lines.append(
            _("Shipping ({option}): {amount}").format(
                option=esc(order.shipping_title.get(locale)),
                amount=money(order.shipping, order.currency, locale),
            )
        )
    lines.append(
        _("<b>Total: {amount}</b>").format(
            amount=money(order.pay_amount, order.pay_currency, locale)
        )
    )
    if order.address:
        lines.append(_("Deliver to: {address}").format(address=esc(order.address)))
    if order.tracking_number:
        lines.append(
            _("Tracking number: <code>{tracking}</code>").format(
                tracking=esc(order.tracking_number)
            )
        )
    if order.status is OrderStatus.PENDING_PAYMENT:
        lines.append(_("Reserved for you until {time}.").format(time=when(order.expires_at)))
    if events:
        lines += ["", _("<b>Timeline</b>")] + [event_line(e) for e in events[-15:]]
    return fit("\n".join(lines))


def notice_text(order: Order, action: Action) -> str | None:
    template = NOTICES.get(action)
    if template is None:
        return None
    return _(template).format(id=order.id, tracking=esc(order.tracking_number or ""))


async def notify_buyer(
    bot: Bot, users: UserService, i18n: I18n, change: OrderChange, tell_actions: bool = True
) -> None:
    """Tell the buyer about each event of `change`, in their language, with a link to it;
    then the change's notices (points earned, a new tier, referral rewards) to their people."""
    await send_notices(bot, users, i18n, change.notices)
    if not change.events or not tell_actions:
        return
    buyer = await users.get(change.order.user_id)
    with i18n.context(), i18n.use_locale(buyer.locale):
        for event in change.events:
            text = notice_text(change.order, event.action)
            if text is None:
                continue
            kb = InlineKeyboard()
            kb.button(text=_("🧾 View order"), callback_data=OrdersCb(a="v", id=change.order.id))
            try:
                await bot.send_message(buyer.telegram_id, text, reply_markup=kb.as_markup())
            except (TelegramForbiddenError, TelegramBadRequest) as exc:
                log.info(
                    "could not tell user %s about order %s: %s", buyer.id, change.order.id, exc
                )


def notice_line(notice: Notice) -> str:
    """A notice in the current language, its parameters escaped."""
    return _(notice.text).format(**{k: esc(str(v)) for k, v in notice.params.items()})


async def send_notices(
    bot: Bot, users: UserService, i18n: I18n, notices: Sequence[Notice]
) -> None:
    """Each notice in its recipient's language; a blocked bot is logged, not raised."""
    for notice in notices:
        person = await users.get(notice.user_id)
        with i18n.context(), i18n.use_locale(person.locale):
            text = notice_line(notice)
        try:
            await bot.send_message(person.telegram_id, text)
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            log.info("could not tell user %s: %s", person.id, exc)


async def settle_stars_refund(
    bot: Bot, orders: OrderService, change: OrderChange, now: datetime
) -> OrderChange:
    """Give Stars back through Telegram when a change asks for it, then record the refund."""
    payment = change.stars_refund
    if payment is None:
        return change
    try:
        await bot.refund_star_payment(
            user_id=payment.telegram_user_id, telegram_payment_charge_id=payment.charge_id
        )
    except TelegramBadRequest as exc:
        if "ALREADY_REFUNDED" not in str(exc):
            log.error("Stars refund of order %s failed: %s", change.order.id, exc)
            return change  # stays "refund requested"; the merchant can retry
    refunded = await orders.stars_refunded(change.order.id, now)
    return OrderChange(refunded.order, change.events + refunded.events)


class ChatOrderNotifier:
    """The buyer told in the chat about a change to their order, Stars given back first when
    the change asks for it: `settle_stars_refund` then `notify_buyer` above, as one object
    built once in bot/wiring.py (`Services.order_notifier`). The web console receives it
    there (web/console/services.py: `OrderNotifier`), so both doors say the same without
    the web importing the chat adapter."""

    def __init__(self, users: UserService, orders: OrderService) -> None:
        self.users = users
        self.orders = orders

    async def settle_and_tell(
        self, bot: Bot, i18n: I18n, change: OrderChange, now: datetime
    ) -> OrderChange:
        """Settle a Stars refund the change asks for, then tell the buyer; the change as
        settled (still carrying `stars_refund` if Telegram kept the Stars). Telegram being
        out of reach raises aiogram's TelegramAPIError; a buyer who blocked the bot doesn't."""
        settled = await settle_stars_refund(bot, self.orders, change, now)
        await notify_buyer(bot, self.users, i18n, settled)
        return settled
