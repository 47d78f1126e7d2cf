"""Checkout: address -> shipping option -> review -> confirm (order + reservation) -> invoice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, LabeledPrice
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from domain.cart.service import CartEmpty, CartNeedsReview, CartService
from domain.kernel.money import money
from domain.kernel.shop import ShopProfile
from domain.orders.payments import Invoice, InvoiceForm, PaymentService, invoice_form
from domain.orders.pricing import stars_amount
from domain.orders.service import OrderService, PayMethod
from domain.orders.types import CheckoutTotals
from domain.users.service import User, UserService
from handlers.cart.callbacks import CartCb
from handlers.common import DbId, esc, fit, show
from handlers.keyboard import InlineKeyboard
from handlers.orders.texts import OrdersCb, when
from handlers.profile.addresses import AddrCb

router = Router(name=__name__)

OptionId = Annotated[str, Field(max_length=32)]
Points = Annotated[int, Field(ge=0, le=10**9)]


class CheckoutCb(CallbackData, prefix="co"):
    """a=address list, s=shipping for address `ad`, r=review, p=place with method `m`;
    `pt` loyalty points to redeem (checked against balance and cap when used)."""

    a: str
    ad: DbId = 0
    o: OptionId = ""
    m: str = ""
    pt: Points = 0


@router.callback_query(CartCb.filter(F.action == "checkout"))
@router.callback_query(CheckoutCb.filter(F.a == "a"))
async def choose_address(
    query: CallbackQuery,
    user: User,
    users: UserService,
    carts: CartService,
    orders: OrderService,
) -> None:
    cart = await carts.view(user.id, now=datetime.now(UTC))
    if cart.empty:
        raise CartEmpty()
    if cart.needs_review or cart.coupon_error is not None:
        raise CartNeedsReview()
    addresses = await users.addresses(user.id)
    kb = InlineKeyboard()
    # A flexible invoice asks for the shipping option in Telegram's payment form instead.
    next_step = "r" if orders.config.flexible else "s"
    for address in addresses:
        star = "⭐ " if address.is_default else ""
        kb.button(
            text=f"{star}{address.recipient}, {address.one_line()}"[:60],
            callback_data=CheckoutCb(a=next_step, ad=address.id),
        )
    kb.button(text=_("➕ Add address"), callback_data=AddrCb(action="add"))
    kb.button(text=_("⬅️ Cart"), callback_data=CartCb(action="show"))
    kb.adjust(1)
    text = _("📍 <b>Checkout, step 1 of 3</b>\nWhere should we deliver?")
    if not addresses:
        text += "\n\n" + _("You have no address yet. Add one, then open /cart again.")
    await show(query, text, kb.as_markup())


@router.callback_query(CheckoutCb.filter(F.a == "s"))
async def choose_shipping(
    query: CallbackQuery,
    callback_data: CheckoutCb,
    user: User,
    users: UserService,
    orders: OrderService,
) -> None:
    address = await users.address(user.id, callback_data.ad)  # someone else's id: NotFound
    config = orders.config
    kb = InlineKeyboard()
    for option in config.shipping:
        price = money(option.price, config.currency, user.locale)
        kb.button(
            text=f"{option.title.get(user.locale)} — {price}",
            callback_data=CheckoutCb(a="r", ad=address.id, o=option.id),
        )
    kb.button(text=_("⬅️ Address"), callback_data=CheckoutCb(a="a"))
    kb.adjust(1)
    text = _("🚚 <b>Checkout, step 2 of 3</b>\nHow should we ship to {address}?").format(
        address=esc(address.one_line())
    )
    await show(query, text, kb.as_markup())


@router.callback_query(CheckoutCb.filter(F.a == "r"))
async def review(
    query: CallbackQuery,
    callback_data: CheckoutCb,
    user: User,
    users: UserService,
    carts: CartService,
    orders: OrderService,
) -> None:
    address = await users.address(user.id, callback_data.ad)
    option = orders.config.option(callback_data.o)
    cart = await carts.view(user.id, now=datetime.now(UTC), shipping=option)
    if cart.empty:
        raise CartEmpty()
    loc = user.locale
    lines = [_("🧾 <b>Checkout, step 3 of 3: review</b>"), ""]
    for line in cart.lines:
        label = esc(line.title.get(loc)) + (
            f" ({esc(line.variant_label)})" if line.variant_label else ""
        )
        lines.append(f"• {label} × {line.quantity} — {money(line.amount, cart.currency, loc)}")
    t = await orders.checkout_totals(user.id, cart, callback_data.pt, datetime.now(UTC))
    lines += ["", _("Subtotal: {amount}").format(amount=money(t.subtotal, cart.currency, loc))]
    if t.coupon_discount and cart.coupon is not None:
        coupon = money(t.coupon_discount, cart.currency, loc)
        lines.append(
            _("Discount ({code}): −{amount}").format(code=esc(cart.coupon.code), amount=coupon)
        )
    lines += benefit_lines(t, loc)
    if t.held_at_minimum:
        least = money(orders.config.min_charge, cart.currency, loc)
        lines.append(
            _("Discounts stop at {amount}, the smallest payment we can take.").format(amount=least)
        )
    if option is None:
        lines.append(_("Shipping: chosen in the payment form"))
    else:
        shipping = money(t.shipping, cart.currency, loc)
        lines.append(
            _("Shipping ({option}): {amount}").format(
                option=esc(option.title.get(loc)), amount=shipping
            )
        )
    lines.append(_("<b>Total: {amount}</b>").format(amount=money(t.total, cart.currency, loc)))
    lines.append(_("Deliver to: {address}").format(address=esc(address.one_line())))
    minutes = int(orders.config.reservation.total_seconds() // 60)
    lines += [
        "",
        _("Your items are reserved for {minutes} minutes once you confirm.").format(
            minutes=minutes
        ),
    ]
    kb = InlineKeyboard()
    methods = orders.config.methods
    if option is None:  # Stars invoices can't be flexible: shipping must be known up front
        methods = [m for m in methods if m is PayMethod.CARD]
    for method in methods:
        if method is PayMethod.CARD:
            label = _("💳 Confirm and pay by card")
        else:
            stars = stars_amount(t.total, cart.currency, orders.config.minor_units_per_star)
            label = _("⭐ Confirm and pay {stars} Stars").format(stars=stars)
        kb.button(
            text=label,
            callback_data=CheckoutCb(
                a="p", ad=address.id, o=callback_data.o, m=method, pt=callback_data.pt
            ),
        )
    points_button(kb, t, CheckoutCb(a="r", ad=address.id, o=callback_data.o), loc)
    if not methods:
        lines += ["", _("Payments are not available right now. Please try again later.")]
    back = CheckoutCb(a="a") if orders.config.flexible else CheckoutCb(a="s", ad=address.id)
    kb.button(text=_("⬅️ Shipping"), callback_data=back)
    kb.adjust(1)
    await show(query, fit("\n".join(lines)), kb.as_markup())


@router.callback_query(CheckoutCb.filter(F.a == "p"))
async def place_order(
    query: CallbackQuery,
    callback_data: CheckoutCb,
    bot: Bot,
    user: User,
    users: UserService,
    orders: OrderService,
    payments: PaymentService,
    shop: ShopProfile,
) -> None:
    if callback_data.m not in {m.value for m in orders.config.methods}:
        await query.answer(_("This button is no longer active."), show_alert=True)
        return
    address = await users.address(user.id, callback_data.ad)
    now = datetime.now(UTC)
    order = await orders.place(
        user.id,
        address,
        callback_data.o or None,
        PayMethod(callback_data.m),
        now,
        points=callback_data.pt,
    )
    invoice = await payments.invoice(user.id, order.id, now)
    await show(
        query,
        _(
            "🧾 Order #{id} is placed and your items are reserved until {time}. "
            "Pay with the invoice below."
        ).format(id=order.id, time=when(order.expires_at)),
        notice=_("Order placed."),
    )
    await send_invoice(bot, user, invoice, shop)


def benefit_lines(t: CheckoutTotals, loc: str) -> list[str]:
    """The tier's discount and free shipping, and the points used, at review."""
    b, out = t.benefits, []
    if b.tier_discount:
        amount = money(b.tier_discount, t.currency, loc)
        out.append(
            _("Member discount ({tier}): −{amount}").format(
                tier=esc(b.tier_name or ""), amount=amount
            )
        )
    if b.free_shipping:
        out.append(_("Free shipping ({tier})").format(tier=esc(b.tier_name or "")))
    if b.points:
        out.append(
            _("Points used ({points}): −{amount}").format(
                points=b.points, amount=money(b.points_discount, t.currency, loc)
            )
        )
    return out


def points_button(kb: InlineKeyboard, t: CheckoutTotals, back: CheckoutCb, loc: str) -> None:
    """Use as many points as allowed (balance and cap), or stop using them."""
    b = t.benefits
    if b.points:
        kb.button(text=_("✖️ Don't use points"), callback_data=back)
    elif b.points_max > 0 and b.balance > 0:
        usable = min(b.points_max, b.balance)
        kb.button(
            text=_("🎁 Use {points} points").format(points=usable),
            callback_data=back.model_copy(update={"pt": usable}),
        )


def invoice_labels(form: InvoiceForm) -> list[LabeledPrice]:
    return [LabeledPrice(label=label, amount=amount) for label, amount in form.prices]


async def send_invoice(bot: Bot, user: User, invoice: Invoice, shop: ShopProfile) -> None:
    """sendInvoice: card through the provider token, or Stars with one price and no token
    (domain.orders.payments.invoice_form, shared with the Mini App's invoice links)."""
    form = invoice_form(invoice, user.locale, shop.provider_token, _)
    kb = InlineKeyboard()
    kb.button(
        text=_("Pay {amount}").format(amount=money(invoice.total, invoice.currency, user.locale)),
        pay=True,
    )
    kb.button(text=_("🧾 Order details"), callback_data=OrdersCb(a="v", id=invoice.order.id))
    kb.adjust(1)
    await bot.send_invoice(
        chat_id=user.telegram_id,
        title=form.title,
        description=form.description,
        payload=form.payload,
        currency=form.currency,
        prices=invoice_labels(form),
        provider_token=form.provider_token,
        is_flexible=form.flexible,
        need_shipping_address=form.flexible,
        reply_markup=kb.as_markup(),
    )
