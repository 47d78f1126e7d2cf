"""/cart: add from a product card, change quantities, coupon, then on to checkout."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.cart.service import CartLine, CartService, CartView
from domain.kernel.money import money
from domain.recommend import EventLog
from domain.users.service import User
from handlers.cart.callbacks import CartCb
from handlers.common import MenuCb, cancel_keyboard, esc, fit, show
from handlers.keyboard import InlineKeyboard
from handlers.recommend.keyboards import shelf_button

router = Router(name=__name__)


class CartForm(StatesGroup):
    coupon = State()


def line_text(number: int, line: CartLine, locale: str) -> str:
    title = esc(line.title.get(locale))
    if line.variant_label:
        title += f" ({esc(line.variant_label)})"
    text = f"{number}. {title} × {line.quantity} — {money(line.amount, line.currency, locale)}"
    if line.problem == "inactive":
        text += "\n   " + _("⚠️ No longer available: please remove it.")
    elif line.problem == "price":
        text += "\n   " + _("⚠️ Price changed: was {old}, now {new}.").format(
            old=money(line.item.price_seen, line.currency, locale),
            new=money(line.unit_price, line.currency, locale),
        )
    elif line.problem == "stock" and line.available <= 0:
        text += "\n   " + _("⚠️ Sold out: accepting the changes removes it.")
    elif line.problem == "stock":
        text += "\n   " + _("⚠️ Only {count} left in stock.").format(count=line.available)
    return text


def cart_text(cart: CartView, locale: str) -> str:
    if cart.empty:
        return _("🛒 Your cart is empty. Browse the catalogue and add something you like.")
    lines = [_("🛒 <b>Your cart</b>"), ""]
    lines += [line_text(n, line, locale) for n, line in enumerate(cart.lines, start=1)]
    t = cart.totals
    lines += ["", _("Subtotal: {amount}").format(amount=money(t.subtotal, cart.currency, locale))]
    if cart.coupon is not None and t.discount:
        lines.append(
            _("Discount ({code}): −{amount}").format(
                code=esc(cart.coupon.code), amount=money(t.discount, cart.currency, locale)
            )
        )
    elif cart.coupon_error is not None and cart.coupon_code:
        lines.append(
            _("Coupon {code} doesn't apply: {reason}").format(
                code=esc(cart.coupon_code),
                reason=_(cart.coupon_error.message).format(**cart.coupon_error.params),
            )
        )
    lines.append(_("Shipping: chosen at checkout"))
    lines.append(_("<b>Total: {amount}</b>").format(amount=money(t.total, cart.currency, locale)))
    if cart.needs_review:
        lines += ["", _("Some items changed since you added them. Please check them.")]
    return fit("\n".join(lines))


def cart_keyboard(cart: CartView) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    sizes: list[int] = []
    for number, line in enumerate(cart.lines, start=1):
        kb.button(text="➖", callback_data=CartCb(action="dec", id=line.id))
        kb.button(text=_("🗑 {n}").format(n=number), callback_data=CartCb(action="del", id=line.id))
        kb.button(text="➕", callback_data=CartCb(action="inc", id=line.id))
        sizes.append(3)
    if not cart.empty:
        if cart.coupon_code:
            kb.button(
                text=_("✖️ Coupon {code}").format(code=cart.coupon_code),
                callback_data=CartCb(action="nocoupon"),
            )
        else:
            kb.button(text=_("🎟 Coupon"), callback_data=CartCb(action="coupon"))
        kb.button(text=_("🧹 Clear"), callback_data=CartCb(action="clear"))
        sizes.append(2)
        kb.add(shelf_button(_("🧺 Complete your order"), "c"))  # handlers/recs.py
        sizes.append(1)
        if cart.needs_review:
            kb.button(text=_("👌 Accept changes"), callback_data=CartCb(action="accept"))
        else:
            kb.button(text=_("✅ Checkout"), callback_data=CartCb(action="checkout"))
        sizes.append(1)
    kb.add(shelf_button(_("🔁 Buy again"), "bc"))  # handlers/recommend/shelves.py
    kb.button(text=_("🏠 Menu"), callback_data=MenuCb(to="home"))
    sizes.append(2)
    kb.adjust(*sizes)
    return kb.as_markup()


async def render_cart(
    target: Message | CallbackQuery, user: User, carts: CartService, notice: str | None = None
) -> None:
    cart = await carts.view(user.id, now=datetime.now(UTC))
    await show(target, cart_text(cart, user.locale), cart_keyboard(cart), notice=notice)


@router.message(Command("cart"))
@router.callback_query(MenuCb.filter(F.to == "cart"))
@router.callback_query(CartCb.filter(F.action == "show"))
async def open_cart(
    event: Message | CallbackQuery, state: FSMContext, user: User, carts: CartService
) -> None:
    await state.clear()
    await render_cart(event, user, carts)


@router.callback_query(CartCb.filter(F.action == "add"))
async def add_to_cart(
    query: CallbackQuery,
    callback_data: CartCb,
    user: User,
    carts: CartService,
    recs_events: EventLog,
) -> None:
    variant_id = callback_data.variant or None
    line = await carts.add(user.id, callback_data.id, variant_id)
    recs_events.added_to_cart(user.id, line.item.product_id)
    await query.answer(
        _("🛒 Added: {title} (now {count} in your cart). /cart").format(
            title=line.title.get(user.locale)[:60], count=line.quantity
        )
    )


@router.callback_query(CartCb.filter(F.action.in_({"inc", "dec"})))
async def change_quantity(
    query: CallbackQuery, callback_data: CartCb, user: User, carts: CartService
) -> None:
    delta = 1 if callback_data.action == "inc" else -1
    await carts.change(user.id, callback_data.id, delta)
    await render_cart(query, user, carts)


@router.callback_query(CartCb.filter(F.action == "del"))
async def remove_line(
    query: CallbackQuery, callback_data: CartCb, user: User, carts: CartService
) -> None:
    await carts.remove(user.id, callback_data.id)
    await render_cart(query, user, carts, notice=_("Removed."))


@router.callback_query(CartCb.filter(F.action == "clear"))
async def clear_cart(query: CallbackQuery, user: User, carts: CartService) -> None:
    await carts.clear(user.id)
    await render_cart(query, user, carts, notice=_("Cart cleared."))


@router.callback_query(CartCb.filter(F.action == "accept"))
async def accept_changes(query: CallbackQuery, user: User, carts: CartService) -> None:
    await carts.accept_changes(user.id)
    await render_cart(query, user, carts, notice=_("Cart updated."))


@router.callback_query(CartCb.filter(F.action == "nocoupon"))
async def remove_coupon(query: CallbackQuery, user: User, carts: CartService) -> None:
    await carts.remove_coupon(user.id)
    await render_cart(query, user, carts, notice=_("Coupon removed."))


@router.callback_query(CartCb.filter(F.action == "coupon"))
async def ask_coupon(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(CartForm.coupon)
    await show(query, _("Type your coupon code:"), cancel_keyboard())


@router.message(CartForm.coupon, F.text, ~F.text.startswith("/"))
async def coupon_typed(
    message: Message, state: FSMContext, user: User, carts: CartService
) -> None:
    # A refused code raises a translated CouponInvalid; the state stays for another try.
    await carts.apply_coupon(user.id, message.text or "", datetime.now(UTC))
    await state.clear()
    await message.answer(_("🎟 Coupon applied."))
    await render_cart(message, user, carts)
