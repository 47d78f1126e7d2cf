"""How offline payment (cash on delivery, bank transfer) reads at checkout and after placing:
the method's button and what the shopper must do next (domain/orders/offline.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from aiogram.utils.i18n import gettext as _
from babel.units import format_unit

from domain.kernel.money import money
from domain.orders.service import CheckoutConfig, Order, PayMethod
from handlers.common import esc
from handlers.orders.texts import when


def duration(span: timedelta, locale: str) -> str:
    """A reservation's length in words ("15 minutes", "3 days", "36 hours"), in the largest
    unit that states it exactly: never rounded up into a promise the shop doesn't keep."""
    total = max(1, int(span.total_seconds() // 60))
    for size, unit in ((24 * 60, "duration-day"), (60, "duration-hour")):
        if total % size == 0:
            return str(format_unit(total // size, unit, locale=locale.replace("-", "_")))
    return str(format_unit(total, "duration-minute", locale=locale.replace("-", "_")))


def reservation_text(config: CheckoutConfig, methods: Sequence[PayMethod], locale: str) -> str:
    """How long the items stay reserved once the shopper confirms, for the methods offered:
    minutes for an invoice, hours or days for cash on delivery and bank transfer."""
    online = duration(config.reservation, locale)
    offline = duration(config.offline_reservation, locale)
    away = [m for m in methods if m.offline]
    if not away:
        return _("Your items are reserved for {duration} once you confirm.").format(
            duration=online
        )
    if len(away) == len(methods):
        return _(
            "Once you confirm, your items are kept for {duration} while we wait for your payment."
        ).format(duration=offline)
    if len(away) > 1:
        names = _("cash on delivery or bank transfer")
    elif away[0] is PayMethod.COD:
        names = _("cash on delivery")
    else:
        names = _("bank transfer")
    return _(
        "Once you confirm, your items are reserved for {online} when you pay online, or kept "
        "for {offline} when you choose {methods}."
    ).format(online=online, offline=offline, methods=names)


def method_label(method: PayMethod) -> str:
    if method is PayMethod.COD:
        return _("💵 Confirm, pay cash on delivery")
    return _("🏦 Confirm, pay by bank transfer")


def placed_text(order: Order, config: CheckoutConfig, locale: str) -> str:
    """What to do after placing an offline order: pay the courier, or transfer the total
    with the order number as the reference (the merchant's instructions)."""
    total = money(order.pay_amount, order.pay_currency, locale)
    if order.pay_method is PayMethod.COD:
        head = _(
            "🧾 Order #{id} is placed: pay {total} in cash when it is delivered. We keep your "
            "items until {time}; we'll tell you when it ships."
        )
        return head.format(id=order.id, total=total, time=when(order.expires_at))
    head = _(
        "🧾 Order #{id} is placed. Please transfer {total} with the reference "
        "<code>#{id}</code> by {time}; your items are kept until then and we ship once the "
        "money arrives."
    )
    text = head.format(id=order.id, total=total, time=when(order.expires_at))
    if config.bank_instructions:
        text += "\n\n" + _("<b>How to pay</b>") + "\n" + esc(config.bank_instructions)
    return text
