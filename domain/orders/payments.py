"""Telegram payments for orders: signed invoice payloads, pre-checkout checks, payments.

The invoice payload is `<order id>.<expiry>.<nonce>.<mac>` (about 50 bytes, Telegram allows
128): an HMAC-SHA256 over the rest, compared in constant time, so a forged or altered payload
is refused before the database is asked anything. A successful payment is recorded under its
unique telegram_payment_charge_id in the same transaction that marks the order paid and sells
its stock, so a repeated update changes nothing; money for an order that expired meanwhile is
recorded and the order goes to "refund requested" instead of being lost.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from domain.catalog.types import Localized
from domain.kernel.errors import DomainError
from domain.kernel.i18n import N_
from domain.kernel.signing import PayloadMac
from domain.kernel.text import whole_number
from domain.orders.pricing import ShippingOption
from domain.orders.service import (
    CheckoutConfig,
    DuplicatePayment,
    Order,
    OrderChange,
    OrderNotFound,
    OrderService,
    PaymentRecord,
    PaymentsUnavailable,
    PayMethod,
)
from domain.orders.states import OrderStatus, TransitionRefused

MAX_PAYLOAD = 128


class PaymentRefused(DomainError):
    """Pre-checkout said no; the message is shown in Telegram's payment form."""

    message = N_("This order can't be paid. Please check it in /orders.")


@dataclass(frozen=True, slots=True)
class InvoiceClaim:
    order_id: int
    expires_at: int  # unix seconds: after this the invoice is stale
    nonce: str


class InvoiceSigner:
    """HMAC-signed invoice payloads."""

    def __init__(self, secret: bytes) -> None:
        self._mac = PayloadMac(b"kiosk-invoice:", secret)

    def sign(self, order_id: int, expires_at: datetime) -> str:
        expires = str(int(expires_at.timestamp()))
        payload = self._mac.sign(str(order_id), expires, secrets.token_hex(4))
        assert len(payload.encode()) <= MAX_PAYLOAD
        return payload

    def verify(self, payload: str) -> InvoiceClaim:
        """The claim inside a payload we signed; PaymentRefused for anything else."""
        fields = self._mac.open(payload, 3, MAX_PAYLOAD)
        if fields is None:
            raise PaymentRefused(N_("This invoice is not valid."))
        order_id, expires_at, nonce = fields
        order, expires = whole_number(order_id), whole_number(expires_at)
        if order is None or expires is None:
            raise PaymentRefused(N_("This invoice is not valid."))
        return InvoiceClaim(order, expires, nonce)


class PriceKind(StrEnum):
    ITEM = "item"  # one order line: title x quantity
    GOODS = "goods"  # all goods in one line, with the coupon already taken off
    SHIPPING = "shipping"
    STARS = "stars"  # the whole order in Stars (Telegram allows exactly one price)


@dataclass(frozen=True, slots=True)
class InvoicePrice:
    kind: PriceKind
    amount: int
    title: Localized | None = None
    quantity: int = 1
    note: str = ""  # the coupon code for GOODS


@dataclass(frozen=True, slots=True)
class Invoice:
    order: Order
    payload: str
    currency: str
    prices: tuple[InvoicePrice, ...]
    method: PayMethod
    flexible: bool

    @property
    def total(self) -> int:
        return sum(p.amount for p in self.prices)


class PaymentOutcome(StrEnum):
    PAID = "paid"  # the order is paid now: tell the buyer
    DUPLICATE = "duplicate"  # this payment was already recorded: say nothing
    LATE = "late"  # money for an order that expired or was cancelled: refund is due
    EXTRA = "extra"  # a second payment for an already paid order: flagged for refund
    # Not in the order's pay currency (a forged or mixed-up payload): kept, refund is due.
    MISMATCH = "mismatch"


@dataclass(frozen=True, slots=True)
class PaymentResult:
    outcome: PaymentOutcome
    change: OrderChange | None = None
    order: Order | None = None  # the order the payment was for (also for DUPLICATE)


class PaymentService:
    """Invoices for orders and the two payment updates Telegram sends back."""

    def __init__(
        self, orders: OrderService, signer: InvoiceSigner, config: CheckoutConfig
    ) -> None:
        self.orders = orders
        self.signer = signer
        self.config = config

    async def invoice(self, user_id: int, order_id: int, now: datetime) -> Invoice:
        """The invoice to send for an unpaid order of this user."""
        order = await self.orders.order(user_id, order_id, now)
        if order.status is not OrderStatus.PENDING_PAYMENT:
            raise PaymentRefused(N_("This order is no longer waiting for payment."))
        if order.pay_method.offline:  # cash on delivery / bank transfer: staff mark it paid
            raise PaymentRefused(N_("This order is paid on delivery or by bank transfer."))
        # Digital goods and services are always paid in Stars (domain.orders.rules); goods
        # that ship by the methods the shop configured.
        allowed = [PayMethod.STARS] if order.digital else self.config.methods
        if order.pay_method not in allowed:
            raise PaymentsUnavailable()
        flexible = order.pay_method is PayMethod.CARD and order.shipping_option_id is None
        return Invoice(
            order,
            self.signer.sign(order.id, order.expires_at),
            order.pay_currency,
            invoice_prices(order),
            order.pay_method,
            flexible,
        )

    async def _claimed_order(self, user_id: int, payload: str, now: datetime) -> Order:
        claim = self.signer.verify(payload)
        try:
            order = await self.orders.order(user_id, claim.order_id, now)
        except OrderNotFound:
            raise PaymentRefused(N_("This order doesn't exist.")) from None
        return order

    async def shipping_options(
        self, user_id: int, payload: str, now: datetime
    ) -> list[ShippingOption]:
        """Options for a flexible invoice's shipping_query, priced for this order (free when
        the buyer's tier ships it free)."""
        order = await self._claimed_order(user_id, payload, now)
        if order.status is not OrderStatus.PENDING_PAYMENT:
            raise PaymentRefused(N_("This order is no longer waiting for payment."))
        if not self.config.shipping:
            raise PaymentRefused(N_("We can't ship to this address."))
        return [replace(o, price=order.shipping_price(o)) for o in self.config.shipping]

    def expected_amount(self, order: Order, shipping_option_id: str | None) -> int:
        if order.shipping_option_id is not None or order.pay_method is PayMethod.STARS:
            return order.pay_amount
        option = self.config.option(shipping_option_id)
        if option is None:
            raise PaymentRefused(N_("Please choose a shipping option."))
        return order.pay_amount + order.shipping_price(option)

    async def pre_checkout(
        self,
        user_id: int,
        payload: str,
        currency: str,
        total_amount: int,
        shipping_option_id: str | None,
        now: datetime,
    ) -> Order:
        """Every check before Telegram takes the money; PaymentRefused says which failed."""
        order = await self._claimed_order(user_id, payload, now)
        if order.status is OrderStatus.EXPIRED:
            raise PaymentRefused(
                N_("The reservation for this order has expired. Please check out again.")
            )
        if order.status is not OrderStatus.PENDING_PAYMENT:
            raise PaymentRefused(N_("This order is no longer waiting for payment."))
        if currency != order.pay_currency:
            raise PaymentRefused(N_("The currency of this invoice doesn't match the order."))
        if total_amount != self.expected_amount(order, shipping_option_id):
            raise PaymentRefused(N_("The amount of this invoice doesn't match the order."))
        await self._check_prices(order, now)
        return order

    async def _check_prices(self, order: Order, now: datetime) -> None:
        """A price changed since checkout: cancel (releasing stock) rather than charge it."""
        current = await self.orders.current_prices(order)
        if all(current.get((ln.product_id, ln.variant_id)) == ln.unit_price for ln in order.lines):
            return
        try:
            await self.orders.cancel_unpaid(order.id, now, N_("prices changed"))
        except TransitionRefused:
            pass
        raise PaymentRefused(
            N_("Prices changed since you checked out. Please review your cart and try again.")
        )

    async def paid(
        self,
        user_id: int,
        telegram_user_id: int,
        payload: str,
        currency: str,
        total_amount: int,
        charge_id: str,
        provider_charge_id: str,
        now: datetime | None = None,
        shipping_option_id: str | None = None,
        address: str | None = None,
    ) -> PaymentResult:
        """Record a successful payment once, however often Telegram delivers it.

        For a flexible invoice the shipping option and address chosen in Telegram's form are
        stored on the order with the payment."""
        now = now or datetime.now(UTC)
        claim = self.signer.verify(payload)
        order = await self.orders.repo.get(claim.order_id)
        if order is None:  # signed by us, so this can't happen short of a deleted order
            raise PaymentRefused(N_("This order doesn't exist."))
        changes: dict[str, object] = {}
        option = self.config.option(shipping_option_id)
        if order.shipping_option_id is None and option is not None:
            price = order.shipping_price(option)
            changes = {
                "shipping_option_id": option.id,
                "shipping_title_en": option.title.en,
                "shipping_title_zh": option.title.zh,
                "shipping": price,
                "pay_amount": order.pay_amount + price,
            }
            if address:
                changes["address"] = address[:300]
        record = PaymentRecord(
            order.id,
            order.user_id,
            telegram_user_id,
            charge_id,
            provider_charge_id,
            currency,
            total_amount,
            False,
            now,
        )
        if currency != order.pay_currency:  # Telegram charged something this order isn't
            mismatch = replace(record, needs_refund=True)
            if not await self.orders.repo.record_extra_payment(mismatch):
                return PaymentResult(PaymentOutcome.DUPLICATE, order=order)
            return PaymentResult(PaymentOutcome.MISMATCH, OrderChange(order, ()), order)
        try:
            if order.status is OrderStatus.PENDING_PAYMENT:
                change = await self.orders.pay(order, record, now, changes)
                if change is not None:
                    return PaymentResult(PaymentOutcome.PAID, change, change.order)
                order = await self.orders.repo.get(order.id) or order
            if order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
                late = replace(record, needs_refund=True)
                change = await self.orders.pay_late(order, late, now)
                if change is not None:
                    return PaymentResult(PaymentOutcome.LATE, change, change.order)
        except DuplicatePayment:
            return PaymentResult(PaymentOutcome.DUPLICATE, order=order)
        extra = replace(record, needs_refund=True)
        if not await self.orders.repo.record_extra_payment(extra):
            return PaymentResult(PaymentOutcome.DUPLICATE, order=order)
        return PaymentResult(PaymentOutcome.EXTRA, OrderChange(order, ()), order)


def invoice_prices(order: Order) -> tuple[InvoicePrice, ...]:
    """Telegram's price breakdown: all amounts positive (no negative discount line needed).

    Stars: exactly one price. Card without a coupon: one price per line, plus shipping. With a
    coupon, the goods are one price with the discount already taken off (the coupon is named).
    """
    if order.pay_method is PayMethod.STARS:
        return (InvoicePrice(PriceKind.STARS, order.pay_amount),)
    prices: list[InvoicePrice] = []
    if order.discount:
        prices.append(
            InvoicePrice(
                PriceKind.GOODS, order.subtotal - order.discount, note=order.coupon_code or ""
            )
        )
    else:
        prices += [
            InvoicePrice(PriceKind.ITEM, line.amount, line.title, line.quantity)
            for line in order.lines
        ]
    if order.shipping > 0:
        prices.append(InvoicePrice(PriceKind.SHIPPING, order.shipping, order.shipping_title))
    return tuple(p for p in prices if p.amount > 0)


@dataclass(frozen=True, slots=True)
class InvoiceForm:
    """An invoice as Telegram's sendInvoice and createInvoiceLink take it, texts translated:
    the chat sends it as a message, the Mini App asks for a link to it (one rule for both)."""

    title: str  # 1-32 characters
    description: str  # 1-255 characters
    payload: str
    currency: str
    prices: tuple[tuple[str, int], ...]  # (label of at most 64 characters, amount)
    provider_token: str  # "" for Stars
    flexible: bool  # shipping chosen (and the address asked) in Telegram's payment form


def invoice_form(
    invoice: Invoice, locale: str, provider_token: str, translate: Callable[[str], str]
) -> InvoiceForm:
    """The invoice's title, description and price labels in `locale` (`translate` turns a
    msgid into that language); card invoices carry the provider token, Stars none."""
    order = invoice.order
    labels: list[tuple[str, int]] = []
    for price in invoice.prices:
        if price.kind is PriceKind.ITEM and price.title is not None:
            label = f"{price.title.get(locale)} × {price.quantity}"
        elif price.kind is PriceKind.GOODS and price.note:
            label = translate(N_("Goods (coupon {code})")).format(code=price.note)
        elif price.kind is PriceKind.GOODS:
            label = translate(N_("Goods (discounts applied)"))
        elif price.kind is PriceKind.SHIPPING and price.title is not None:
            label = translate(N_("Shipping: {option}")).format(option=price.title.get(locale))
        else:
            label = translate(N_("Order #{id}")).format(id=order.id)
        labels.append((label[:64], price.amount))
    description = ", ".join(f"{line.title.get(locale)} × {line.quantity}" for line in order.lines)
    return InvoiceForm(
        title=translate(N_("Order #{id}")).format(id=order.id)[:32],
        description=(description or translate(N_("Your order")))[:255],
        payload=invoice.payload,
        currency=invoice.currency,
        prices=tuple(labels),
        provider_token=provider_token if invoice.method is PayMethod.CARD else "",
        flexible=invoice.flexible,
    )
