"""How offline payment (cash on delivery, bank transfer) reads at checkout and after placing:
the method's button and what the shopper must do next (domain/orders/offline.py)."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from domain.kernel.money import money
from domain.orders.service import CheckoutConfig, Order, PayMethod
from handlers.common import esc
from handlers.orders.texts import when


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
