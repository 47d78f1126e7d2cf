"""Checkout and orders: the chat's OrderService and PaymentService; the invoice is built on
the server from the server's cart and prices and handed to the page as a link
(`createInvoiceLink`), which the page opens with Telegram's `openInvoice`. The chat's
shipping / pre-checkout / successful-payment handlers then finish the payment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aiogram.types import LabeledPrice
from aiohttp import web

from domain.cart.refusal import refusal_text
from domain.cart.service import CartEmpty, CartNeedsReview, CartView, OutOfStock
from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.orders.payments import Invoice, invoice_form
from domain.orders.pricing import CouponInvalid, ShippingOption, stars_amount
from domain.orders.rules import CartPart, split_cart
from domain.orders.service import PayMethod
from domain.orders.types import CheckoutTotals
from domain.users.service import Address, AddressDraft, User
from web.keys import BOT, I18N
from web.render import error_text, translator
from web.routes.common import (
    MAX_ID,
    fragment,
    json_body,
    ok,
    opt_id,
    path_id,
    query_int,
    query_str,
    services_of,
    str_field,
    user_of,
)

routes = web.RouteTableDef()


@dataclass(frozen=True, slots=True)
class Checkout:
    """One checkout as the shopper reviews it and as it is placed: the same numbers."""

    cart: CartView
    addresses: list[Address]
    address: Address | None
    options: tuple[ShippingOption, ...]
    option: ShippingOption | None
    methods: list[PayMethod]
    method: PayMethod | None
    points: int
    totals: CheckoutTotals  # of the goods that ship (all of the cart when nothing is digital)
    # Payment rules by kind (domain.orders.rules): the goods that ship, and the digital goods
    # and services paid in Stars; a cart with both is placed as two orders, two invoices.
    goods: CartPart | None = None
    stars_part: CartPart | None = None

    @property
    def ready(self) -> bool:
        """Everything needed to place it: an address and a method for goods that ship."""
        if self.goods is None:
            return self.stars_part is not None
        return self.address is not None and self.method is not None


async def checkout_for(
    request: web.Request,
    user: User,
    address_id: int | None,
    option_id: str | None,
    method_raw: str | None,
    use_points: bool,
) -> Checkout:
    s = services_of(request)
    config = s.orders.config
    now = datetime.now(UTC)
    addresses = await s.users.addresses(user.id)
    if address_id is not None:
        address: Address | None = await s.users.address(user.id, address_id)  # others': 404
    else:
        address = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
    options = () if config.flexible else config.shipping
    option = config.option(option_id) if option_id else (options[0] if options else None)
    if option_id and option is None:
        raise ValidationError(N_("Please choose a shipping option."))
    whole = await s.carts.view(user.id, now=now, shipping=option)
    if whole.empty:
        raise CartEmpty()
    parts = split_cart(whole.lines, config)
    goods = next((p for p in parts if p.ships), None)
    stars_part = next((p for p in parts if not p.ships), None)
    cart = await s.orders.part_view(whole, goods, now) if goods is not None else whole
    if goods is None:  # digital goods and services only: no address, no shipping, Stars
        totals = await s.orders.checkout_totals(user.id, cart, 0, now)
        return Checkout(
            cart,
            addresses,
            None,
            (),
            None,
            [PayMethod.STARS],
            PayMethod.STARS,
            0,
            totals,
            None,
            stars_part,
        )
    # Cash on delivery and bank transfer are offered in the chat's checkout only: the page
    # always ends in an invoice (handlers/orders/offline.py says what to do instead).
    methods: list[PayMethod] = [
        m for m in config.methods if not m.offline and (option is not None or m is PayMethod.CARD)
    ]
    method = methods[0] if methods else None
    if method_raw:
        if method_raw not in {m.value for m in methods}:
            raise ValidationError(N_("That request isn't valid."))
        method = PayMethod(method_raw)
    totals = await s.orders.checkout_totals(user.id, cart, 0, now)
    points = 0
    if use_points:  # as many as allowed: the balance and the tier's cap decide, not the page
        points = min(totals.benefits.points_max, totals.benefits.balance)
        totals = await s.orders.checkout_totals(user.id, cart, points, now)
    return Checkout(
        cart,
        addresses,
        address,
        options,
        option,
        methods,
        method,
        points,
        totals,
        goods,
        stars_part,
    )


@routes.get("/api/view/checkout")
async def view(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    address_id = query_int(request, "address", 0, 0, MAX_ID) or None
    checkout = await checkout_for(
        request,
        user,
        address_id,
        query_str(request, "option", 32) or None,
        query_str(request, "method", 8) or None,
        request.query.get("points") == "1",
    )
    stars = stars_amount(
        checkout.totals.total, checkout.cart.currency, s.orders.config.minor_units_per_star
    )
    minutes = int(s.orders.config.reservation.total_seconds() // 60)
    return fragment(
        request,
        "checkout.html",
        c=checkout,
        t=checkout.totals,
        stars=stars,
        minutes=minutes,
        min_charge=s.orders.config.min_charge,
    )


async def invoice_link(request: web.Request, user: User, invoice: Invoice) -> str:
    shop = services_of(request).shop
    translate = translator(request.config_dict[I18N], user.locale)
    form = invoice_form(invoice, user.locale, shop.provider_token, translate)
    return await request.config_dict[BOT].create_invoice_link(
        title=form.title,
        description=form.description,
        payload=form.payload,
        currency=form.currency,
        prices=[LabeledPrice(label=label, amount=amount) for label, amount in form.prices],
        provider_token=form.provider_token,
        is_flexible=form.flexible,
        need_shipping_address=form.flexible,
    )


@routes.post("/api/checkout")
async def place(request: web.Request) -> web.Response:
    """Place the order from the server's cart (stock reserved) and return its invoice link.
    Read from the page: the address id (the shopper's own), the shipping option id, the
    method and whether to use points; never an amount."""
    s, user = services_of(request), user_of(request)
    body = await json_body(request)
    address_id = opt_id(body, "address_id")
    use_points = body.get("use_points", False)
    if not isinstance(use_points, bool):
        raise ValidationError(N_("That request isn't valid."))
    checkout = await checkout_for(
        request,
        user,
        address_id,
        str_field(body, "shipping_option", 32) or None,
        str_field(body, "method", 8) or None,
        use_points,
    )
    if checkout.goods is not None and address_id is None:  # goods that ship need one
        raise ValidationError(N_("Please add a delivery address first."))
    if not checkout.ready:
        raise ValidationError(N_("Payments are not available right now. Please try again later."))
    now = datetime.now(UTC)
    option_id = checkout.option.id if checkout.option is not None else None
    try:
        placed = await s.orders.place_parts(
            user.id, checkout.address, option_id, checkout.method, now, points=checkout.points
        )
    except (CouponInvalid, OutOfStock, CartNeedsReview) as refused:
        # The real reason, as the chat says it (domain/cart/refusal.py); the page then shows
        # it on the cart, redrawn as it is now (app.js: "cart_changed").
        cart = await s.carts.view(user.id, now=now)
        i18n, locale = request.config_dict[I18N], user.locale
        reason = refusal_text(cart, locale, lambda msgid: i18n.gettext(msgid, locale=locale))
        message = reason or error_text(i18n, locale, refused)
        return web.json_response({"error": "cart_changed", "message": message}, status=409)
    # One invoice per order: the page opens the next one when the first is closed.
    pay: dict[str, object] | None = None
    for order in reversed(placed):
        invoice = await s.payments.invoice(user.id, order.id, now)
        link = await invoice_link(request, user, invoice)
        pay = {
            "order_id": order.id,
            "invoice_link": link,
            "amount": invoice.total,
            "currency": invoice.currency,
            "then": pay,
        }
    assert pay is not None
    return ok(**pay)


@routes.post("/api/orders/{id}/invoice")
async def pay_again(request: web.Request) -> web.Response:
    """A new link for one's own order still waiting for payment."""
    s, user = services_of(request), user_of(request)
    invoice = await s.payments.invoice(user.id, path_id(request), datetime.now(UTC))
    link = await invoice_link(request, user, invoice)
    return ok(
        order_id=invoice.order.id,
        invoice_link=link,
        amount=invoice.total,
        currency=invoice.currency,
    )


@routes.post("/api/addresses")
async def add_address(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    body = await json_body(request)
    draft = AddressDraft(
        recipient=str_field(body, "recipient", 64),
        phone=str_field(body, "phone", 32),
        city=str_field(body, "city", 64),
        street=str_field(body, "street", 128),
        postcode=str_field(body, "postcode", 12) or None,
    )
    address = await s.users.add_address(user.id, draft)
    return ok(address_id=address.id)


@routes.get("/api/view/orders")
async def orders(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    page = await s.orders.orders(
        user.id, query_int(request, "page", 1, 1, 10_000), datetime.now(UTC), page_size=10
    )
    return fragment(request, "orders.html", orders=page)


@routes.get("/api/view/order/{id}")
async def order(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    now = datetime.now(UTC)
    found = await s.orders.order(user.id, path_id(request), now)  # someone else's: 404
    events = await s.orders.timeline(user.id, found.id, now)
    return fragment(request, "order.html", order=found, events=events)


@routes.get("/api/orders/{id}")
async def order_json(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    found = await s.orders.order(user.id, path_id(request), datetime.now(UTC))
    return ok(
        order={
            "id": found.id,
            "status": found.status.value,
            "payment": found.payment_status.value,
            "currency": found.currency,
            "subtotal": found.subtotal,
            "discount": found.discount,
            "shipping": found.shipping,
            "total": found.total,
            "pay_currency": found.pay_currency,
            "pay_amount": found.pay_amount,
        }
    )
