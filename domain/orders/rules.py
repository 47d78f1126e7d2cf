"""Payment rules by kind of goods: which lines of a cart are paid how, and in how many orders.

Telegram's rule: digital goods and services are paid in Telegram Stars (XTR) only; physical
goods through a payment provider in the shop's currency. So a cart is split into at most two
parts, each placed as its own order with its own invoice:

- GOODS: physical goods, paid by the methods the shop configured (the provider token's card
  payments, and Stars too for shops that kept the old `PAYMENTS__USE_STARS` switch); shipped.
- STARS: digital goods and services, paid in Stars only, at each product's Stars price (the
  merchant's, or derived from the shop's rate); nothing to ship, fulfilled at once.

Chat and Mini App checkouts both ask `split_cart` (one rule); OrderService places the parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.cart.service import CartLine
from domain.catalog.types import ProductKind
from domain.orders.pricing import stars_amount
from domain.orders.types import CheckoutConfig, PayMethod


class PayRule(StrEnum):
    GOODS = "goods"  # physical goods: the shop's configured methods, in its currency
    STARS = "stars"  # digital goods and services: Telegram Stars only


def rule_for(kind: ProductKind) -> PayRule:
    """How goods of `kind` are paid (Telegram's rule)."""
    return PayRule.GOODS if kind is ProductKind.PHYSICAL else PayRule.STARS


def unit_stars(
    price: int, currency: str, stars_price: int | None, minor_units_per_star: int
) -> int:
    """The Stars price of one unit: the merchant's own, else derived from the shop's rate
    (pricing.stars_amount: rounded up, at least 1)."""
    if stars_price is not None and stars_price > 0:
        return stars_price
    return stars_amount(price, currency, minor_units_per_star)


@dataclass(frozen=True, slots=True)
class CartPart:
    """The lines of a cart that one order takes, and how it is paid."""

    rule: PayRule
    lines: tuple[CartLine, ...]
    methods: tuple[PayMethod, ...]  # what the shopper may pay this part with
    stars: int  # STARS part: the Stars it costs (GOODS part: 0, priced by the order)

    @property
    def ships(self) -> bool:
        return self.rule is PayRule.GOODS

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)


def line_stars(line: CartLine, config: CheckoutConfig) -> int:
    unit = unit_stars(
        line.unit_price, line.currency, line.stars_price, config.minor_units_per_star
    )
    return unit * line.quantity


def split_cart(lines: Sequence[CartLine], config: CheckoutConfig) -> list[CartPart]:
    """The cart's lines as orders to place, physical goods first; empty parts are left out.

    The GOODS part may be paid with `config.methods` (empty: the shop takes no payments for
    goods that ship); the STARS part with Stars only, always available (Stars need no
    provider token)."""
    goods = tuple(ln for ln in lines if rule_for(ln.kind) is PayRule.GOODS)
    stars = tuple(ln for ln in lines if rule_for(ln.kind) is PayRule.STARS)
    parts: list[CartPart] = []
    if goods:
        parts.append(CartPart(PayRule.GOODS, goods, tuple(config.methods), 0))
    if stars:
        total = sum(line_stars(ln, config) for ln in stars)
        parts.append(CartPart(PayRule.STARS, stars, (PayMethod.STARS,), total))
    return parts


def needs_shipping(lines: Sequence[CartLine]) -> bool:
    """Whether any line ships (then checkout asks for an address and a shipping option)."""
    return any(line.kind.ships for line in lines)
