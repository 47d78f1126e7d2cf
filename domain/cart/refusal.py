"""Why a cart can't go on to checkout, in the shopper's words: the one sentence the chat's
checkout and the Mini App's both say when the order is refused (a coupon used up, an item gone,
sold out or short, a price changed), said on the cart it is about."""

from __future__ import annotations

from collections.abc import Callable

from domain.cart.service import CartView
from domain.kernel.i18n import N_
from domain.kernel.money import money

Translate = Callable[[str], str]  # a msgid in the reader's language


def refusal_text(cart: CartView, locale: str, translate: Translate) -> str | None:
    """The first reason this cart needs the shopper's eyes; None when it can go on."""
    if cart.coupon_error is not None and cart.coupon_code:
        error = cart.coupon_error
        return translate(N_("Coupon {code} can't be used: {reason}")).format(
            code=cart.coupon_code, reason=translate(error.message).format(**error.params)
        )
    for line in cart.lines:
        title = line.title.get(locale)
        if line.problem == "inactive":
            return translate(N_("{title} is no longer available.")).format(title=title)
        if line.problem == "price":
            return translate(N_("The price of {title} changed to {price}.")).format(
                title=title, price=money(line.unit_price, line.currency, locale)
            )
        if line.problem == "stock" and line.available <= 0:
            return translate(N_("{title} is sold out.")).format(title=title)
        if line.problem == "stock":
            return translate(N_("Only {count} of {title} left in stock.")).format(
                count=line.available, title=title
            )
    return None
