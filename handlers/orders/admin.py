"""Merchant commands on orders (admins only): /process, /ship, /deliver, /refunded, /returned,
and /paid (or the "Mark paid" button) for cash-on-delivery and bank-transfer orders.

`/ship 12 TRACK123` ships order 12 with a tracking number; `/refunded 12` confirms a card
refund (recording who and when) or gives Stars back through Telegram; `/refunded 12 500`
refunds part of it; `/returned 12` puts the goods back in stock. The buyer is told each time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, F
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from domain.kernel.text import whole_number
from domain.orders.offline import can_mark_paid, mark_paid
from domain.orders.service import Order, OrderService
from domain.orders.states import Action
from domain.staff.audit import AuditService
from domain.users.service import User, UserService
from handlers.admin.security import staff_router
from handlers.common import DbId, esc, fit, show
from handlers.orders.texts import notify_buyer, order_text, settle_stars_refund, status_name

router = staff_router(__name__)

COMMANDS = {
    "process": Action.PROCESS,
    "ship": Action.SHIP,
    "deliver": Action.DELIVER,
    "refunded": Action.REFUND,
    "returned": Action.RETURN,
}


@router.message(Command(*COMMANDS))
async def merchant_action(
    message: Message,
    command: CommandObject,
    bot: Bot,
    user: User,
    users: UserService,
    orders: OrderService,
    i18n_core: I18n,
) -> None:
    args = (command.args or "").split()
    order_id = whole_number(args[0]) if args else None
    if order_id is None or order_id >= 2**31:
        # The placeholders look like HTML tags: escape them, the message is parsed as HTML.
        await message.answer(
            esc(
                _("Usage: /{command} <order number> [tracking number or amount]").format(
                    command=command.command
                )
            )
        )
        return
    rest = " ".join(args[1:])
    action = COMMANDS[command.command]
    amount = whole_number(rest) if action is Action.REFUND else None
    if amount is not None:
        action = Action.PARTIAL_REFUND
    now = datetime.now(UTC)
    change = await orders.merchant_action(
        order_id, action, message.chat.id, now, tracking=rest or None, amount=amount
    )
    change = await settle_stars_refund(bot, orders, change, now)
    await notify_buyer(bot, users, i18n_core, change)
    status = status_name(change.order.status)
    await message.answer(
        _("Order #{id} is now: {status}").format(id=order_id, status=status)
        + "\n\n"
        + order_text(change.order, user.locale)
    )


# ---- offline payment: /paid 12, or the board's "Mark paid" button ----


class PaidCb(CallbackData, prefix="opd"):
    id: DbId


def mark_paid_button(order: Order) -> InlineKeyboardButton | None:
    """For the staff order view: shown while an offline order waits for its money."""
    if not can_mark_paid(order):
        return None
    return InlineKeyboardButton(text=_("💵 Mark paid"), callback_data=PaidCb(id=order.id).pack())


async def _mark_paid(
    bot: Bot,
    users: UserService,
    orders: OrderService,
    audit: AuditService,
    i18n_core: I18n,
    actor: int,
    order_id: int,
) -> Order:
    change = await mark_paid(orders, audit, actor, order_id, datetime.now(UTC))
    await notify_buyer(bot, users, i18n_core, change)  # the receipt, as for a card payment
    return change.order


@router.message(Command("paid"))
async def paid_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    user: User,
    users: UserService,
    orders: OrderService,
    audit: AuditService,
    i18n_core: I18n,
) -> None:
    order_id = whole_number((command.args or "").strip())
    if order_id is None or not 0 < order_id < 2**31:
        await message.answer(esc(_("Usage: /paid <order number>")))
        return
    order = await _mark_paid(bot, users, orders, audit, i18n_core, message.chat.id, order_id)
    await message.answer(
        _("Order #{id} is now: {status}").format(id=order.id, status=status_name(order.status))
        + "\n\n"
        + order_text(order, user.locale)
    )


@router.callback_query(PaidCb.filter(F.id > 0))
async def paid_button(
    query: CallbackQuery,
    callback_data: PaidCb,
    bot: Bot,
    users: UserService,
    orders: OrderService,
    audit: AuditService,
    i18n_core: I18n,
    locale: str,
) -> None:
    order = await _mark_paid(
        bot, users, orders, audit, i18n_core, query.from_user.id, callback_data.id
    )
    status = _("Order #{id} is now: {status}").format(
        id=order.id, status=status_name(order.status)
    )
    # The view without its buttons: the next steps are on the board again (/admin).
    await show(query, fit(status + "\n\n" + order_text(order, locale)), notice=status)
