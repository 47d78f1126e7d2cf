"""/orders: the buyer's own orders (paged), one order with its timeline, and their actions:
pay again, cancel before shipping, confirm receipt, ask for a refund with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from domain.digital.service import DigitalService
from domain.kernel.i18n import N_
from domain.kernel.shop import ShopProfile
from domain.orders.payments import PaymentService
from domain.orders.service import Order, OrderService
from domain.orders.states import (
    BUYER_ACTIONS,
    RECEIVED_STATUSES,
    Action,
    OrderStatus,
    allowed_actions,
)
from domain.users.service import User, UserService
from handlers.common import MenuCb, cancel_keyboard, fit, show
from handlers.keyboard import InlineKeyboard
from handlers.orders.checkout import send_invoice
from handlers.orders.digital import send_units
from handlers.orders.texts import (
    OrdersCb,
    notice_line,
    notify_buyer,
    order_summary,
    order_text,
    send_notices,
    settle_stars_refund,
)
from handlers.support.callbacks import with_contact

router = Router(name=__name__)


class RefundForm(StatesGroup):
    reason = State()


BUTTONS = {
    Action.CANCEL: ("c", N_("✖️ Cancel order")),
    Action.COMPLETE: ("r", N_("📦 I received it")),
    Action.REQUEST_REFUND: ("f", N_("↩️ Ask for a refund")),
}


def order_keyboard(order: Order) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    if order.status is OrderStatus.PENDING_PAYMENT and not order.pay_method.offline:
        kb.button(text=_("💳 Pay"), callback_data=OrdersCb(a="pay", id=order.id))
    actions = allowed_actions(
        order.status, order.payment_status, order.fulfilment_status, BUYER_ACTIONS
    )
    for action in actions:
        code, label = BUTTONS[action]
        kb.button(text=_(label), callback_data=OrdersCb(a=code, id=order.id))
    if order.digital and order.status in RECEIVED_STATUSES:
        kb.button(text=_("🔑 Show what I bought"), callback_data=OrdersCb(a="k", id=order.id))
    kb.button(text=_("⬅️ Orders"), callback_data=OrdersCb(a="l"))
    kb.adjust(1)
    return with_contact(kb.as_markup(), "order", order.id)  # a question about it (support)


async def render_order(
    target: Message | CallbackQuery,
    user: User,
    orders: OrderService,
    order_id: int,
    notice: str | None = None,
    extra: list[str] | None = None,
) -> None:
    now = datetime.now(UTC)
    order = await orders.order(user.id, order_id, now)
    events = await orders.timeline(user.id, order_id, now)
    text = "\n\n".join([order_text(order, user.locale, events), *(extra or [])])
    await show(target, fit(text), order_keyboard(order), notice)


@router.message(Command("orders"))
@router.callback_query(MenuCb.filter(F.to == "orders"))
@router.callback_query(OrdersCb.filter(F.a == "l"))
async def list_orders(
    event: Message | CallbackQuery,
    user: User,
    orders: OrderService,
    callback_data: OrdersCb | MenuCb | None = None,
) -> None:
    # The main menu's "Orders" button arrives here with MenuCb data, which has no page.
    page_number = callback_data.p if isinstance(callback_data, OrdersCb) else 1
    page = await orders.orders(user.id, page_number, datetime.now(UTC))
    kb = InlineKeyboard()
    for order in page.items:
        kb.button(
            text=order_summary(order, user.locale), callback_data=OrdersCb(a="v", id=order.id)
        )
    nav = 0
    if page.has_prev:
        kb.button(text="◀️", callback_data=OrdersCb(a="l", p=page.page - 1))
        nav += 1
    if page.has_next:
        kb.button(text="▶️", callback_data=OrdersCb(a="l", p=page.page + 1))
        nav += 1
    kb.button(text=_("🏠 Menu"), callback_data=MenuCb(to="home"))
    kb.adjust(*([1] * len(page.items)), *([nav] if nav else []), 1)
    if not page.items:
        text = _("📦 You have no orders yet.")
    else:
        text = _("📦 <b>Your orders</b> (page {page} of {pages})").format(
            page=page.page, pages=page.pages
        )
    await show(event, text, kb.as_markup())


@router.callback_query(OrdersCb.filter(F.a == "v"))
async def view_order(
    query: CallbackQuery, callback_data: OrdersCb, user: User, orders: OrderService
) -> None:
    await render_order(query, user, orders, callback_data.id)


@router.callback_query(OrdersCb.filter(F.a == "k"))
async def show_units(
    query: CallbackQuery,
    callback_data: OrdersCb,
    bot: Bot,
    user: User,
    orders: OrderService,
    digital: DigitalService,
) -> None:
    """A digital order's codes and files again, to its buyer only (someone else's order id
    is "not found", like any order)."""
    order = await orders.order(user.id, callback_data.id, datetime.now(UTC))
    units = await digital.of_order(order)
    if not units:
        await query.answer(_("There is nothing to show for this order."), show_alert=True)
        return
    await query.answer()
    await send_units(bot, user.telegram_id, order, units, user.locale, again=True)


@router.callback_query(OrdersCb.filter(F.a == "pay"))
async def pay_again(
    query: CallbackQuery,
    callback_data: OrdersCb,
    bot: Bot,
    user: User,
    payments: PaymentService,
    shop: ShopProfile,
) -> None:
    invoice = await payments.invoice(user.id, callback_data.id, datetime.now(UTC))
    await query.answer()
    await send_invoice(bot, user, invoice, shop)


@router.callback_query(OrdersCb.filter(F.a == "c"))
async def ask_cancel(
    query: CallbackQuery, callback_data: OrdersCb, user: User, orders: OrderService
) -> None:
    order = await orders.order(user.id, callback_data.id, datetime.now(UTC))
    kb = InlineKeyboard()
    kb.button(text=_("Yes, cancel it"), callback_data=OrdersCb(a="cc", id=order.id))
    kb.button(text=_("No, keep it"), callback_data=OrdersCb(a="v", id=order.id))
    text = _("Cancel order #{id}?").format(id=order.id)
    if order.status is not OrderStatus.PENDING_PAYMENT:
        text += "\n" + _("It is paid: the money will be refunded.")
    await show(query, text, kb.as_markup())


async def _buyer_action(
    query: CallbackQuery | Message,
    order_id: int,
    action: Action,
    bot: Bot,
    user: User,
    users: UserService,
    orders: OrderService,
    i18n_core: I18n,
    reason: str = "",
) -> None:
    now = datetime.now(UTC)
    change = await orders.buyer_action(user.id, order_id, action, now, reason)
    # Points earned etc.: the buyer reads theirs on the screen they are looking at.
    mine = [n for n in change.notices if n.user_id == user.id]
    await send_notices(bot, users, i18n_core, [n for n in change.notices if n not in mine])
    if change.stars_refund is not None:
        refunded = await settle_stars_refund(bot, orders, change, now)
        await notify_buyer(
            bot, users, i18n_core, type(change)(refunded.order, refunded.events[1:])
        )
    await render_order(
        query, user, orders, order_id, notice=_("Done."), extra=[notice_line(n) for n in mine]
    )


@router.callback_query(OrdersCb.filter(F.a == "cc"))
async def cancel_order(
    query: CallbackQuery,
    callback_data: OrdersCb,
    bot: Bot,
    user: User,
    users: UserService,
    orders: OrderService,
    i18n_core: I18n,
) -> None:
    await _buyer_action(
        query, callback_data.id, Action.CANCEL, bot, user, users, orders, i18n_core
    )


@router.callback_query(OrdersCb.filter(F.a == "r"))
async def confirm_receipt(
    query: CallbackQuery,
    callback_data: OrdersCb,
    bot: Bot,
    user: User,
    users: UserService,
    orders: OrderService,
    i18n_core: I18n,
) -> None:
    await _buyer_action(
        query, callback_data.id, Action.COMPLETE, bot, user, users, orders, i18n_core
    )


@router.callback_query(OrdersCb.filter(F.a == "f"))
async def ask_refund_reason(
    query: CallbackQuery,
    callback_data: OrdersCb,
    state: FSMContext,
    user: User,
    orders: OrderService,
) -> None:
    order = await orders.order(user.id, callback_data.id, datetime.now(UTC))
    await state.set_state(RefundForm.reason)
    await state.set_data({"order_id": order.id})
    await show(
        query,
        _("Why do you want a refund for order #{id}? (a few words)").format(id=order.id),
        cancel_keyboard(),
    )


@router.message(RefundForm.reason, F.text, ~F.text.startswith("/"))
async def refund_reason_typed(
    message: Message,
    state: FSMContext,
    bot: Bot,
    user: User,
    users: UserService,
    orders: OrderService,
    i18n_core: I18n,
) -> None:
    order_id = int((await state.get_data()).get("order_id", 0))
    await _buyer_action(
        message,
        order_id,
        Action.REQUEST_REFUND,
        bot,
        user,
        users,
        orders,
        i18n_core,
        reason=message.text or "",
    )
    await state.clear()
