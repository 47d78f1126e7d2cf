"""Orders board: orders by status with counts, one order in full (lines, buyer, address,
payment, timeline) and buttons that move it along. Shipping asks for the carrier and the
tracking number, cancelling for a reason. Every move is `OrderBoard.act` (the checkout's
transition table, the order's event log, the audit log); the buyer is told here."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, F
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from domain.catalog.types import Page
from domain.kernel.money import money
from domain.orders.board import OrderBoard, OrderDetails, shipment
from domain.orders.service import Order, OrderChange
from domain.orders.states import Action, OrderStatus
from domain.users.service import UserService
from handlers.admin.callbacks import AdminCb
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.common import DbId, esc, fit, show
from handlers.fallback import STALE_BUTTON
from handlers.keyboard import InlineKeyboard
from handlers.orders.admin import mark_paid_button
from handlers.orders.texts import (
    PAYMENT_NAMES,
    notify_buyer,
    order_text,
    settle_stars_refund,
    status_name,
    when,
)

router = staff_router(__name__)


class BoardCb(CallbackData, prefix="ado"):
    act: str  # l = list a status, o = open, a = action, y = confirmed action
    id: DbId = 0
    s: str = ""  # status (list) or action (a/y)
    p: DbId = 1


class ShipForm(StatesGroup):
    carrier = State()
    number = State()


class CancelForm(StatesGroup):
    reason = State()


def action_label(action: Action) -> str:
    labels = {
        Action.PROCESS: _("🛠 Start preparing"),
        Action.SHIP: _("🚚 Ship"),
        Action.DELIVER: _("📬 Mark delivered"),
        Action.CANCEL: _("✖️ Cancel order"),
        Action.REFUND: _("💸 Confirm refund"),
        Action.RETURN: _("📦 Goods are back"),
    }
    return labels[action]


def board_view(counts: list[tuple[OrderStatus, int]]) -> tuple[str, InlineKeyboardMarkup]:
    total = sum(n for _status, n in counts)
    text = _("🧾 <b>Orders</b> ({total} in all)\n\nPick a status:").format(total=total)
    kb = InlineKeyboard()
    for status, n in counts:
        kb.button(text=f"{status_name(status)} ({n})", callback_data=BoardCb(act="l", s=status))
    kb.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    kb.adjust(2)
    return text, kb.as_markup()


def list_view(
    status: OrderStatus, page: Page[Order], locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    text = _("{status}: {total} orders (page {page}/{pages})").format(
        status=status_name(status), total=page.total, page=page.page, pages=page.pages
    )
    kb = InlineKeyboard()
    for order in page.items:
        label = f"#{order.id} · {money(order.pay_amount, order.pay_currency, locale)} · "
        label += order.created_at.astimezone(UTC).strftime("%m-%d %H:%M")
        kb.button(text=label, callback_data=BoardCb(act="o", id=order.id, s=status, p=page.page))
    kb.adjust(1)
    nav = InlineKeyboard()
    if page.has_prev:
        nav.button(text="⬅️", callback_data=BoardCb(act="l", s=status, p=page.page - 1))
    if page.has_next:
        nav.button(text="➡️", callback_data=BoardCb(act="l", s=status, p=page.page + 1))
    nav.button(text=_("⬅️ Orders"), callback_data=AdminCb(to="orders"))
    kb.attach(nav)
    return text, kb.as_markup()


def details_view(d: OrderDetails, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    order = d.order
    buyer = _("Buyer: {name} (id {tg}){phone}").format(
        name=esc(d.buyer.name),
        tg=d.buyer.telegram_id,
        phone=f" · {esc(d.buyer.phone)}" if d.buyer.phone else "",
    )
    payment = _("Payment: {method}, {status}").format(
        method=order.pay_method.value, status=_(PAYMENT_NAMES[order.payment_status])
    )
    if d.payment is not None:
        payment += " · " + _("charge {charge} on {time}").format(
            charge=esc(d.payment.charge_id[-12:]), time=when(d.payment.created_at)
        )
    text = fit(buyer + "\n" + payment + "\n\n" + order_text(order, locale, d.events))
    kb = InlineKeyboard()
    paid = mark_paid_button(order)  # cash on delivery / bank transfer (handlers/orders/admin)
    if paid is not None:
        kb.add(paid)
    for action in d.actions:
        kb.button(text=action_label(action), callback_data=BoardCb(act="a", id=order.id, s=action))
    kb.button(text=_("⬅️ Back to list"), callback_data=BoardCb(act="l", s=order.status))
    kb.adjust(2)
    return text, kb.as_markup()


async def _show_order(
    target: Message | CallbackQuery,
    board: OrderBoard,
    order_id: int,
    locale: str,
    notice: str | None = None,
) -> None:
    details = await board.details(order_id, datetime.now(UTC))
    text, markup = details_view(details, locale)
    if notice and isinstance(target, Message):
        text = fit(notice + "\n\n" + text)
    await show(target, text, markup, notice)


async def _tell(
    bot: Bot, board: OrderBoard, users: UserService, i18n_core: I18n, change: OrderChange
) -> Order:
    change = await settle_stars_refund(bot, board.orders, change, datetime.now(UTC))
    await notify_buyer(bot, users, i18n_core, change)
    return change.order


@router.callback_query(AdminCb.filter(F.to == "orders"))
async def orders_section(query: CallbackQuery, state: FSMContext, board: OrderBoard) -> None:
    await state.clear()
    await show(query, *board_view(await board.counts()))


@router.callback_query(BoardCb.filter(F.act == "l"))
async def status_list(
    query: CallbackQuery, callback_data: BoardCb, state: FSMContext, board: OrderBoard, locale: str
) -> None:
    await state.clear()
    try:
        status = OrderStatus(callback_data.s)
    except ValueError:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    await show(query, *list_view(status, await board.page(status, callback_data.p), locale))


@router.callback_query(BoardCb.filter(F.act == "o"))
async def open_order(
    query: CallbackQuery, callback_data: BoardCb, state: FSMContext, board: OrderBoard, locale: str
) -> None:
    await state.clear()
    await _show_order(query, board, callback_data.id, locale)


@router.callback_query(BoardCb.filter(F.act.in_({"a", "y"})))
async def order_action(
    query: CallbackQuery,
    callback_data: BoardCb,
    state: FSMContext,
    board: OrderBoard,
    users: UserService,
    bot: Bot,
    i18n_core: I18n,
    locale: str,
) -> None:
    try:
        action = Action(callback_data.s)
    except ValueError:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    details = await board.details(callback_data.id, datetime.now(UTC))  # OrderNotFound if forged
    if action not in details.actions:
        await query.answer(
            _("This can't be done with the order in its current state."), show_alert=True
        )
        return
    back = InlineKeyboard()
    back.button(text=_("✖️ Cancel"), callback_data=BoardCb(act="o", id=details.order.id))
    if action is Action.SHIP:
        await state.set_state(ShipForm.carrier)
        await state.update_data(order_id=details.order.id)
        await show(
            query,
            _("Order #{id}: which carrier ships it? (e.g. DHL, UPS, SF Express)").format(
                id=details.order.id
            ),
            back.as_markup(),
        )
        return
    if action is Action.CANCEL:
        await state.set_state(CancelForm.reason)
        await state.update_data(order_id=details.order.id)
        await show(
            query,
            _(
                "Order #{id}: why is it cancelled? The buyer sees the reason in the "
                "order's timeline."
            ).format(id=details.order.id),
            back.as_markup(),
        )
        return
    if action in (Action.REFUND, Action.RETURN) and callback_data.act == "a":
        ask = (
            _("Confirm that order #{id} has been refunded ({amount})?")
            if action is Action.REFUND
            else _("Confirm that the goods of order #{id} are back in stock?")
        )
        kb = InlineKeyboard()
        kb.button(text=_("✅ Yes"), callback_data=BoardCb(act="y", id=details.order.id, s=action))
        kb.button(text=_("✖️ No"), callback_data=BoardCb(act="o", id=details.order.id))
        amount = money(details.refundable, details.order.pay_currency, locale)
        await show(query, ask.format(id=details.order.id, amount=amount), kb.as_markup())
        return
    change = await board.act(query.from_user.id, details.order.id, action, datetime.now(UTC))
    order = await _tell(bot, board, users, i18n_core, change)
    await _show_order(
        query,
        board,
        order.id,
        locale,
        _("Order #{id} is now: {status}").format(id=order.id, status=status_name(order.status)),
    )


@router.message(ShipForm.carrier, F.text, NOT_COMMAND)
async def got_carrier(message: Message, state: FSMContext) -> None:
    carrier = (message.text or "").strip()
    shipment(carrier, "000")  # validates the carrier now, with its own message
    await state.update_data(carrier=carrier)
    await state.set_state(ShipForm.number)
    await message.answer(_("And the tracking number?"))


@router.message(ShipForm.number, F.text, NOT_COMMAND)
async def got_tracking(
    message: Message,
    state: FSMContext,
    board: OrderBoard,
    users: UserService,
    bot: Bot,
    i18n_core: I18n,
    locale: str,
) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    tracking = shipment(str(data.get("carrier", "")), message.text or "")
    change = await board.act(
        message.from_user.id,
        int(data["order_id"]),
        Action.SHIP,
        datetime.now(UTC),
        tracking=tracking,
    )
    await state.clear()
    order = await _tell(bot, board, users, i18n_core, change)
    await _show_order(
        message,
        board,
        order.id,
        locale,
        _("🚚 Order #{id} shipped; the buyer has been told.").format(id=order.id),
    )


@router.message(CancelForm.reason, F.text, NOT_COMMAND)
async def got_reason(
    message: Message,
    state: FSMContext,
    board: OrderBoard,
    users: UserService,
    bot: Bot,
    i18n_core: I18n,
    locale: str,
) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    change = await board.act(
        message.from_user.id,
        int(data["order_id"]),
        Action.CANCEL,
        datetime.now(UTC),
        reason=message.text or "",
    )
    await state.clear()
    order = await _tell(bot, board, users, i18n_core, change)
    await _show_order(
        message,
        board,
        order.id,
        locale,
        _("Order #{id} is now: {status}").format(id=order.id, status=status_name(order.status)),
    )


@router.message(ShipForm.carrier, NOT_COMMAND)
@router.message(ShipForm.number, NOT_COMMAND)
@router.message(CancelForm.reason, NOT_COMMAND)
async def not_text(message: Message) -> None:
    await message.answer(_("Please send this as text."))
