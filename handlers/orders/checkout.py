"""Checkout: address -> shipping option -> review -> confirm (order + reservation) -> invoice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aiogram import Bot, F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, LabeledPrice, Message
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from domain.cart.refusal import refusal_text
from domain.cart.service import CartEmpty, CartNeedsReview, CartService, CartView, OutOfStock
from domain.kernel.errors import DomainError
from domain.kernel.money import money
from domain.kernel.shop import ShopProfile
from domain.orders.payments import Invoice, InvoiceForm, PaymentService, invoice_form
from domain.orders.pricing import CouponInvalid, stars_amount
from domain.orders.rules import CartPart, needs_shipping, split_cart
from domain.orders.service import OrderService, PayMethod
from domain.orders.types import CheckoutTotals
from domain.users.service import User, UserService
from handlers.cart.callbacks import CartCb
from handlers.cart.view import cart_keyboard, cart_text
from handlers.common import DbId, edit_in_place, esc, fit, show
from handlers.keyboard import InlineKeyboard
from handlers.loyalty.shopper import tier_label
from handlers.orders import offline
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
    reason = refusal_reason(cart, user.locale)
    if reason is not None:
        await back_to_cart(query, user, carts, reason)
        return
    if not needs_shipping(cart.lines):  # digital goods and services: nothing to deliver
        await review(query, CheckoutCb(a="r"), user, users, carts, orders)
        return
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
    # The address dialog comes back here with the new address chosen (continue_with_address).
    kb.button(text=_("➕ Add address"), callback_data=AddrCb(action="addco"))
    kb.button(text=_("⬅️ Cart"), callback_data=CartCb(action="show"))
    kb.adjust(1)
    text = _("📍 <b>Checkout, step 1 of 3</b>\nWhere should we deliver?")
    if not addresses:
        text += "\n\n" + _("You have no address yet. Add one and you'll come straight back here.")
    await show(query, text, kb.as_markup())


async def continue_with_address(
    query: CallbackQuery,
    user: User,
    users: UserService,
    carts: CartService,
    orders: OrderService,
    address_id: int,
) -> None:
    """The checkout's next step with an address just added from it (the address detour)."""
    if orders.config.flexible:
        await review(query, CheckoutCb(a="r", ad=address_id), user, users, carts, orders)
    else:
        await choose_shipping(query, CheckoutCb(a="s", ad=address_id), user, users, orders)


def refusal_reason(cart: CartView, locale: str) -> str | None:
    """Why this cart can't go on to checkout, in the shopper's words; None when it can."""
    return refusal_text(cart, locale, _)


async def back_to_cart(query: CallbackQuery, user: User, carts: CartService, reason: str) -> None:
    """A refusal at checkout: the cart it is about, redrawn as it is now, and the reason."""
    cart = await carts.view(user.id, now=datetime.now(UTC))
    text, markup = cart_text(cart, user.locale), cart_keyboard(cart)
    shown = query.message
    if isinstance(shown, Message) and shown.text is not None:
        same = shown.reply_markup is not None and shown.reply_markup.model_dump(
            exclude_none=True
        ) == markup.model_dump(exclude_none=True)
        if not (same and shown.html_text == text):  # an edit changing nothing is refused
            await edit_in_place(shown, text, markup)
    elif query.bot is not None:
        await query.bot.send_message(user.telegram_id, text, reply_markup=markup)
    await query.answer(reason[:200], show_alert=True)


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
    option = orders.config.option(callback_data.o)
    now = datetime.now(UTC)
    whole = await carts.view(user.id, now=now, shipping=option)
    if whole.empty:
        raise CartEmpty()
    parts = split_cart(whole.lines, orders.config)
    goods = next((p for p in parts if p.ships), None)
    stars_part = next((p for p in parts if not p.ships), None)
    if goods is None:  # only digital goods and services: no address, no shipping
        await review_stars_only(query, user, parts[0], orders)
        return
    address = await users.address(user.id, callback_data.ad)
    cart = await orders.part_view(whole, goods, now)
    loc = user.locale
    lines = [_("🧾 <b>Checkout, step 3 of 3: review</b>"), ""]
    if stars_part is not None:
        lines += [_("🚚 <b>Goods we ship</b> (first invoice)"), ""]
    for line in cart.lines:
        label = esc(line.title.get(loc)) + (
            f" ({esc(line.variant_label)})" if line.variant_label else ""
        )
        lines.append(f"• {label} × {line.quantity} — {money(line.amount, cart.currency, loc)}")
    t = await orders.checkout_totals(user.id, cart, callback_data.pt, now)
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
    if stars_part is not None:
        lines += ["", *stars_part_lines(stars_part, loc, second=True)]
    kb = InlineKeyboard()
    methods = orders.config.methods
    if option is None:  # Stars invoices can't be flexible: shipping must be known up front
        methods = [m for m in methods if m is PayMethod.CARD]
    if methods:  # minutes for an invoice, hours or days for an offline method
        lines += ["", offline.reservation_text(orders.config, methods, loc)]
    for method in methods:
        if method is PayMethod.CARD:
            label = _("💳 Confirm and pay by card")
        elif method.offline:  # cash on delivery / bank transfer (handlers/orders/offline.py)
            label = offline.method_label(method)
        else:
            stars = stars_amount(t.total, cart.currency, orders.config.minor_units_per_star)
            label = _("⭐ Confirm and pay {stars} Stars").format(stars=stars)
        if stars_part is not None:
            label = _("{method} + {stars} ⭐ (two invoices)").format(
                method=label, stars=stars_part.stars
            )
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


def stars_part_lines(part: CartPart, loc: str, second: bool) -> list[str]:
    """The digital goods and services of a checkout, priced in Stars, and why."""
    head = _("⭐ <b>Digital goods and services</b> (second invoice, in Telegram Stars)")
    if not second:
        head = _("⭐ <b>Digital goods and services</b>, paid in Telegram Stars")
    out = [head, ""]
    for line in part.lines:
        out.append(f"• {esc(line.title.get(loc))} × {line.quantity}")
    out += [
        "",
        _("<b>Total: {stars} ⭐</b>").format(stars=part.stars),
        _(
            "Telegram has digital goods and services paid in Stars; we send them right "
            "after you pay."
        ),
    ]
    if second:
        out.append(_("You will get two invoices, one for each part. Please pay both."))
    return out


async def review_stars_only(
    query: CallbackQuery, user: User, part: CartPart, orders: OrderService
) -> None:
    lines = [
        _("🧾 <b>Checkout: review</b>"),
        "",
        *stars_part_lines(part, user.locale, second=False),
        "",
        offline.reservation_text(orders.config, [PayMethod.STARS], user.locale),
    ]
    kb = InlineKeyboard()
    kb.button(
        text=_("⭐ Confirm and pay {stars} Stars").format(stars=part.stars),
        callback_data=CheckoutCb(a="p", m=PayMethod.STARS),
    )
    kb.button(text=_("⬅️ Cart"), callback_data=CartCb(action="show"))
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
    carts: CartService,
) -> None:
    # Digital goods and services are paid in Stars whatever the shop's settings (the domain
    # checks the method against each part of the cart: domain.orders.rules).
    if callback_data.m not in {m.value for m in [*orders.config.methods, PayMethod.STARS]}:
        await query.answer(_("This button is no longer active."), show_alert=True)
        return
    address = await users.address(user.id, callback_data.ad) if callback_data.ad else None
    now = datetime.now(UTC)
    try:
        placed = await orders.place_parts(
            user.id,
            address,
            callback_data.o or None,
            PayMethod(callback_data.m),
            now,
            points=callback_data.pt,
        )
    except (CouponInvalid, OutOfStock, CartNeedsReview) as refused:
        # Say the real reason on the screen it is about: the cart, as it is now.
        cart = await carts.view(user.id, now=now)
        await back_to_cart(query, user, carts, refusal_reason(cart, user.locale) or _why(refused))
        return
    first = placed[0]
    if first.pay_method.offline:  # no invoice: staff mark it paid when the money arrives
        text = offline.placed_text(first, orders.config, user.locale)
        await show(query, text, notice=_("Order placed."))
        for order in placed[1:]:  # digital goods still have their Stars invoice
            await send_invoice(bot, user, await payments.invoice(user.id, order.id, now), shop)
        return
    invoices = [await payments.invoice(user.id, order.id, now) for order in placed]
    if len(placed) == 1:
        text = _(
            "🧾 Order #{id} is placed and your items are reserved until {time}. "
            "Pay with the invoice below."
        ).format(id=placed[0].id, time=when(placed[0].expires_at))
    else:
        text = _(
            "🧾 Orders #{first} (goods we ship) and #{second} (digital goods, in Stars) are "
            "placed and your items are reserved until {time}. Pay both invoices below."
        ).format(first=placed[0].id, second=placed[1].id, time=when(placed[0].expires_at))
    await show(query, text, notice=_("Order placed."))
    for invoice in invoices:
        await send_invoice(bot, user, invoice, shop)


def _why(error: DomainError) -> str:
    params = {k: _(v) if isinstance(v, str) else v for k, v in error.params.items()}
    return _(error.message).format(**params)


def benefit_lines(t: CheckoutTotals, loc: str) -> list[str]:
    """The tier's discount and free shipping, and the points used, at review."""
    b, out = t.benefits, []
    if b.tier_discount:
        amount = money(b.tier_discount, t.currency, loc)
        out.append(
            _("Member discount ({tier}): −{amount}").format(
                tier=tier_label(b.tier_name), amount=amount
            )
        )
    if b.free_shipping:
        out.append(_("Free shipping ({tier})").format(tier=tier_label(b.tier_name)))
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
