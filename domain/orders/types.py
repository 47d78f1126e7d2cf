"""Order entities: what an order, its lines, events, payments and refunds are.

Re-exported by domain.orders.service, where the service and the repository Protocol live.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.catalog.types import Localized
from domain.kernel.errors import DomainError, NotFound
from domain.kernel.i18n import N_
from domain.orders.pricing import ShippingOption, grand_total
from domain.orders.states import Action, FulfilmentStatus, OrderStatus, PaymentStatus, Transition


class PayMethod(StrEnum):
    CARD = "card"
    STARS = "stars"
    COD = "cod"  # cash on delivery: staff mark it paid (domain.orders.offline)
    BANK = "bank"  # bank transfer to the merchant's account: staff mark it paid

    @property
    def offline(self) -> bool:
        """Paid outside Telegram; the order waits for staff to mark it paid."""
        return self in (PayMethod.COD, PayMethod.BANK)


class OrderNotFound(NotFound):
    message = N_("That order doesn't exist.")


class PaymentsUnavailable(DomainError):
    message = N_("Payments are not available right now. Please try again later.")


@dataclass(frozen=True, slots=True)
class CheckoutConfig:
    """Shop rules for checkout, built from settings by the composition root."""

    reservation: timedelta = timedelta(minutes=15)
    auto_complete: timedelta = timedelta(days=7)
    shipping: tuple[ShippingOption, ...] = ()
    currency: str = "USD"  # of card payments; must be the catalogue's currency
    card: bool = False
    stars: bool = False
    minor_units_per_star: int = 2
    flexible: bool = False  # the shipping option is chosen in Telegram's payment form
    # Discounts never bring a total below this (Telegram refuses a payment of 0 and tiny
    # ones; loyalty keeps the same floor for points): domain.orders.pricing.keep_minimum_charge
    min_charge: int = 100
    # Offline methods for goods that ship (domain.orders.offline): cash on delivery and bank
    # transfer (with the merchant's instructions); such orders hold their stock longer.
    cod: bool = False
    bank: bool = False
    bank_instructions: str = ""
    offline_reservation: timedelta = timedelta(hours=72)

    @property
    def methods(self) -> list[PayMethod]:
        switches = (
            (PayMethod.CARD, self.card),
            (PayMethod.STARS, self.stars),
            (PayMethod.COD, self.cod),
            (PayMethod.BANK, self.bank),
        )
        return [m for m, on in switches if on]

    def reservation_for(self, method: PayMethod) -> timedelta:
        """How long an unpaid order holds its stock: longer for offline payment."""
        return self.offline_reservation if method.offline else self.reservation

    def option(self, option_id: str | None) -> ShippingOption | None:
        return next((o for o in self.shipping if o.id == option_id), None)


@dataclass(frozen=True, slots=True)
class OrderLine:
    product_id: int
    variant_id: int | None
    sku: str
    title: Localized
    variant_label: str
    unit_price: int
    quantity: int

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """An order about to be placed; storage reserves its stock and claims its coupon."""

    user_id: int
    lines: tuple[OrderLine, ...]
    currency: str
    subtotal: int
    discount: int
    shipping: int
    pay_method: PayMethod
    pay_currency: str
    pay_amount: int
    address: str
    shipping_option_id: str | None
    shipping_title: Localized | None
    coupon_id: int | None
    coupon_code: str | None
    once_per_customer: bool
    created_at: datetime
    expires_at: datetime
    # Loyalty (domain.loyalty.service): points redeemed and the tier's part of `discount`; storage
    # writes the redeem ledger row in the transaction that places the order.
    points_redeemed: int = 0
    points_discount: int = 0
    tier_name: str | None = None
    tier_discount: int = 0
    # The shopper's tier ships this order free: whatever option is chosen later in Telegram's
    # payment form (a flexible invoice) costs nothing.
    free_shipping: bool = False
    # Digital goods and services (domain.orders.rules, PayRule.STARS): paid in Stars only,
    # nothing shipped, fulfilled the moment it is paid.
    digital: bool = False

    @property
    def total(self) -> int:
        return grand_total(self.subtotal, self.discount, self.shipping)


@dataclass(frozen=True, slots=True)
class Benefits:
    """What loyalty takes off one checkout (domain.loyalty.rules.checkout_benefits)."""

    tier_name: str | None = None
    tier_discount: int = 0
    free_shipping: bool = False
    points: int = 0  # points redeemed
    points_discount: int = 0
    points_max: int = 0  # most points this order could take
    balance: int = 0

    @property
    def discount(self) -> int:
        return self.tier_discount + self.points_discount


@dataclass(frozen=True, slots=True)
class CheckoutTotals:
    """The money of a checkout as reviewed and as placed: coupon, tier, points, shipping."""

    currency: str
    subtotal: int
    coupon_discount: int
    shipping: int  # after free shipping
    benefits: Benefits = field(default_factory=Benefits)
    # The coupon and tier discounts were trimmed to keep the total at `min_charge`
    # (pricing.keep_minimum_charge): the shopper is told why the discount is smaller.
    held_at_minimum: bool = False

    @property
    def discount(self) -> int:
        return self.coupon_discount + self.benefits.discount

    @property
    def total(self) -> int:
        return grand_total(self.subtotal, self.discount, self.shipping)


@dataclass(frozen=True, slots=True)
class Notice:
    """Something to tell a person about besides the order's own events (e.g. points earned):
    an English msgid with its {params}, translated into the recipient's language."""

    user_id: int
    text: str
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    user_id: int
    status: OrderStatus
    payment_status: PaymentStatus
    fulfilment_status: FulfilmentStatus
    lines: tuple[OrderLine, ...]
    currency: str
    subtotal: int
    discount: int
    shipping: int
    pay_method: PayMethod
    pay_currency: str
    pay_amount: int
    address: str
    shipping_option_id: str | None
    shipping_title: Localized | None
    coupon_id: int | None
    coupon_code: str | None
    tracking_number: str | None
    refund_reason: str | None
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None = None
    delivered_at: datetime | None = None
    free_shipping: bool = False  # see OrderDraft.free_shipping
    digital: bool = False  # see OrderDraft.digital

    @property
    def total(self) -> int:
        return grand_total(self.subtotal, self.discount, self.shipping)

    def shipping_price(self, option: ShippingOption) -> int:
        """What `option` costs this order when it is chosen in Telegram's payment form."""
        return 0 if self.free_shipping else option.price

    def is_overdue(self, now: datetime) -> bool:
        return self.status is OrderStatus.PENDING_PAYMENT and now >= self.expires_at


@dataclass(frozen=True, slots=True)
class OrderEvent:
    order_id: int
    action: Action
    source: OrderStatus
    target: OrderStatus
    actor: str  # "buyer", "system", "merchant:<telegram id>", "telegram"
    note: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    order_id: int
    user_id: int
    telegram_user_id: int
    charge_id: str  # telegram_payment_charge_id: unique
    provider_charge_id: str
    currency: str
    amount: int
    needs_refund: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RefundRecord:
    order_id: int
    amount: int
    currency: str
    method: PayMethod
    confirmed_by: str  # who confirmed it: "merchant:<id>" or "telegram" for Stars
    reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OrderChange:
    """An order after a change, with the events to tell its buyer about."""

    order: Order
    events: tuple[OrderEvent, ...] = ()
    stars_refund: PaymentRecord | None = None  # Stars to give back through Telegram
    notices: tuple[Notice, ...] = ()  # from change listeners (loyalty), for any user


@dataclass
class Apply:
    """One transition as storage applies it."""

    transition: Transition
    actor: str
    at: datetime
    note: str = ""
    changes: dict[str, Any] = field(default_factory=dict)  # extra order columns to set
    payment: PaymentRecord | None = None  # inserted first; unique on charge_id
    refund: RefundRecord | None = None


class DuplicatePayment(Exception):
    """This telegram_payment_charge_id is already recorded (not a DomainError: no message)."""
