"""/stock: low and out-of-stock goods (paged) and stock adjustments with a reason.

Adjustments are deltas applied atomically through the ledger, so two admins adjusting the
same product at once both count; nothing is overwritten.
"""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.inventory.ledger import (
    MANUAL_REASONS,
    REASON_LABELS,
    StockLevel,
    StockPage,
    StockReason,
    StockService,
    parse_quantity,
)
from handlers.admin.callbacks import AdminCb, GoodsCb, StockCb
from handlers.admin.render import page_nav
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.admin.states import StockForm
from handlers.common import fit, show
from handlers.fallback import STALE_BUTTON
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__)


def low_stock_view(page: StockPage, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    if not page.items:
        text = _("📉 <b>Stock</b>\n\nNothing is low or out of stock.")
    else:
        text = _("📉 <b>Low and out of stock</b> (page {page}/{pages})").format(
            page=page.page, pages=page.pages
        )
    kb = InlineKeyboard()
    for row in page.items:
        title = row.title_zh if locale.startswith("zh") and row.title_zh else row.title
        mark = "⛔️" if row.available <= 0 else "⚠️"
        label = _("{mark} {title} — {available} left").format(
            mark=mark, title=title, available=row.available
        )
        data = StockCb(act="open", pid=row.product_id, vid=row.variant_id or 0, page=page.page)
        kb.button(text=fit(label, 60), callback_data=data)
    kb.adjust(1)
    nav = page_nav(page.page, page.pages, lambda n: StockCb(act="list", page=n))
    nav.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    kb.attach(nav)
    return text, kb.as_markup()


def unit_view(level: StockLevel, page: int) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "Product #{pid}{variant}: {on_hand} on hand, {reserved} reserved, {available} "
        "available.\n\nWhy is the stock changing?"
    ).format(
        pid=level.product_id,
        variant=f" / {level.variant_id}" if level.variant_id else "",
        on_hand=level.on_hand,
        reserved=level.reserved,
        available=level.available,
    )
    kb = InlineKeyboard()
    for reason in MANUAL_REASONS:
        data = StockCb(
            act="reason", pid=level.product_id, vid=level.variant_id or 0, reason=reason.value
        )
        kb.button(text=_(REASON_LABELS[reason]), callback_data=data)
    kb.button(text=_("📦 Product"), callback_data=GoodsCb(act="open", id=level.product_id))
    kb.button(text=_("⬅️ Stock"), callback_data=StockCb(act="list", page=page))
    kb.adjust(2)
    return text, kb.as_markup()


@router.message(Command("stock"))
async def stock_command(
    message: Message, state: FSMContext, stock: StockService, locale: str
) -> None:
    await state.clear()
    await show(message, *low_stock_view(await stock.low_stock(1), locale))


@router.callback_query(AdminCb.filter(F.to == "stock"))
@router.callback_query(StockCb.filter(F.act == "list"))
async def stock_list(
    query: CallbackQuery,
    state: FSMContext,
    stock: StockService,
    locale: str,
    callback_data: StockCb | AdminCb,
) -> None:
    await state.clear()
    page = callback_data.page if isinstance(callback_data, StockCb) else 1
    await show(query, *low_stock_view(await stock.low_stock(page), locale))


@router.callback_query(StockCb.filter(F.act == "open"))
async def open_unit(
    query: CallbackQuery, callback_data: StockCb, state: FSMContext, stock: StockService
) -> None:
    await state.clear()
    level = await stock.level(callback_data.pid, callback_data.vid or None)
    await show(query, *unit_view(level, callback_data.page))


@router.callback_query(StockCb.filter(F.act == "reason"))
async def pick_reason(
    query: CallbackQuery, callback_data: StockCb, state: FSMContext, stock: StockService
) -> None:
    if callback_data.reason not in {r.value for r in MANUAL_REASONS}:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    level = await stock.level(callback_data.pid, callback_data.vid or None)
    await state.set_state(StockForm.quantity)
    await state.update_data(
        pid=level.product_id, vid=level.variant_id, reason=callback_data.reason
    )
    if callback_data.reason == StockReason.CORRECTION:
        text = _("How much does on-hand stock change? Send e.g. +5 or -3.")
    else:
        text = _("How many units? Send a whole number, e.g. 10.")
    kb = InlineKeyboard()
    back = StockCb(act="open", pid=level.product_id, vid=level.variant_id or 0)
    kb.button(text=_("✖️ Cancel"), callback_data=back)
    await show(query, text, kb.as_markup())


@router.message(StockForm.quantity, F.text, NOT_COMMAND)
async def got_quantity(message: Message, state: FSMContext, stock: StockService) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    reason = StockReason(data["reason"])
    quantity = parse_quantity(message.text or "", reason)
    level = await stock.adjust(
        message.from_user.id, int(data["pid"]), data.get("vid"), reason, quantity
    )
    await state.clear()
    text, markup = unit_view(level, 1)
    await message.answer(_("✅ Stock updated.") + "\n\n" + text, reply_markup=markup)


@router.message(StockForm.quantity, NOT_COMMAND)
async def quantity_not_text(message: Message) -> None:
    await message.answer(_("Please send this as text."))
