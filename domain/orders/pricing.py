"""Prices of a cart or an order: coupons, shipping options and totals, all in int minor units.

A coupon is checked against the goods it applies to (its category scope), the order minimum,
its validity window and whether it is still active; usage limits are not checked here but by
storage with a conditional increment when the order is placed, so a race can't overspend it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.catalog.types import Localized
from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_

STARS = "XTR"
_CODE_RE = re.compile(r"^[A-Z0-9_-]{3,32}$")


class CouponInvalid(DomainError):
    """A coupon can't be used for this cart (unknown, expired, minimum not met, ...)."""

    message = N_("This coupon can't be used.")


class CouponKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


@dataclass(frozen=True, slots=True)
class Coupon:
    id: int
    code: str
    kind: CouponKind
    value: int  # percent 1-100, or minor units for FIXED
    currency: str  # of a FIXED value and of min_order
    min_order: int = 0
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    usage_limit: int | None = None  # total uses; None = unlimited
    used: int = 0
    once_per_customer: bool = False
    category_id: int | None = None  # scope: this category and its sub-categories
    active: bool = True


@dataclass(frozen=True, slots=True)
class ShippingOption:
    id: str
    title: Localized
    price: int  # minor units of the shop currency


@dataclass(frozen=True, slots=True)
class PricedLine:
    """What pricing needs to know about one line: its amount and where it belongs."""

    amount: int
    category_id: int


def grand_total(subtotal: int, discount: int, shipping: int) -> int:
    """What the buyer pays: goods less the discount, plus shipping (one rule for the cart's
    Totals, an order draft and a placed order)."""
    return subtotal - discount + shipping


@dataclass(frozen=True, slots=True)
class Totals:
    currency: str
    subtotal: int
    discount: int
    shipping: int

    @property
    def total(self) -> int:
        return grand_total(self.subtotal, self.discount, self.shipping)


def normalise_code(raw: str) -> str:
    """Coupon codes are case-insensitive and typed by people: trim and upper-case them."""
    code = "".join((raw or "").split()).upper()
    if not _CODE_RE.fullmatch(code):
        raise ValidationError(N_("A coupon code is 3-32 letters, digits, - or _."))
    return code


def coupon_discount(
    coupon: Coupon,
    lines: Sequence[PricedLine],
    currency: str,
    now: datetime,
    scope: Iterable[int] | None = None,
) -> int:
    """The discount `coupon` gives on `lines`; raises CouponInvalid with the reason.

    `scope` is the set of category ids the coupon covers (its category and descendants),
    resolved by the caller; None means every line counts.
    """
    if not coupon.active:
        raise CouponInvalid()
    if coupon.starts_at is not None and now < coupon.starts_at:
        raise CouponInvalid(N_("This coupon isn't valid yet."))
    if coupon.ends_at is not None and now >= coupon.ends_at:
        raise CouponInvalid(N_("This coupon has expired."))
    if coupon.usage_limit is not None and coupon.used >= coupon.usage_limit:
        raise CouponInvalid(N_("This coupon has been used up."))
    if coupon.currency != currency and (coupon.kind is CouponKind.FIXED or coupon.min_order):
        raise CouponInvalid(N_("This coupon is for another currency."))
    covered = set(scope) if scope is not None else None
    eligible = sum(line.amount for line in lines if covered is None or line.category_id in covered)
    if eligible <= 0:
        raise CouponInvalid(N_("This coupon doesn't apply to anything in your cart."))
    if eligible < coupon.min_order:
        raise CouponInvalid(
            N_("This coupon needs an order of at least {amount}."),
            amount=plain_money(coupon.min_order, currency),
        )
    if coupon.kind is CouponKind.PERCENT:
        # Round down: a shop never gives away more than the advertised percentage.
        return eligible * min(max(coupon.value, 0), 100) // 100
    return min(max(coupon.value, 0), eligible)


def totals(currency: str, lines: Sequence[PricedLine], discount: int, shipping: int) -> Totals:
    subtotal = sum(line.amount for line in lines)
    return Totals(currency, subtotal, min(max(discount, 0), subtotal), max(shipping, 0))


def keep_minimum_charge(
    subtotal: int, shipping: int, coupon: int, tier: int, min_charge: int
) -> tuple[int, int]:
    """The coupon's and the tier's discounts, trimmed so that the goods left plus `shipping`
    still cost at least `min_charge` (the coupon, `tier`).

    A payment of 0 can't be sent as an invoice at all, and Telegram refuses tiny ones, so a
    100% coupon (or a fixed one covering everything) plus free shipping would make an order
    nobody can pay that holds its stock until it expires. The automatic tier discount gives
    way first, then the coupon; an order that costs less than the minimum anyway keeps none.
    Loyalty applies the same floor to points (domain.loyalty.rules.checkout_benefits).
    """
    room = max(subtotal + shipping - max(min_charge, 0), 0)
    kept_coupon = min(max(coupon, 0), room)
    kept_tier = min(max(tier, 0), room - kept_coupon)
    return kept_coupon, kept_tier


def stars_amount(amount: int, currency: str, minor_units_per_star: int) -> int:
    """The price in whole Telegram Stars of `amount` minor units (rounded up, at least 1).

    A catalogue priced in XTR is already in stars; otherwise the shop's rate converts.
    """
    if currency == STARS:
        return max(amount, 1)
    return max(math.ceil(amount / max(minor_units_per_star, 1)), 1)


_ZERO_DECIMALS = {"XTR", "JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD", "UGX"}


def exponent(currency: str) -> int:
    """Digits after the decimal point of a currency's minor unit (2 for most)."""
    return 0 if currency in _ZERO_DECIMALS else 2


def plain_money(amount: int, currency: str) -> str:
    """'12.50 USD' for messages raised by the domain (handlers format with Babel)."""
    digits = exponent(currency)
    if digits == 0:
        return f"{amount} {currency}"
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 10**digits)
    return f"{sign}{whole}.{cents:0{digits}d} {currency}"
