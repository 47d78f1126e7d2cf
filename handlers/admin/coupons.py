"""Coupons: the list with usage, one coupon with disable/enable, and a step-by-step dialog to
create one (code, kind, value, minimum order, total uses, once per customer, validity window,
category scope). Each typed step is validated by domain.orders.coupons with a clear message."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.catalog.merchant import MerchantService
from domain.kernel.money import money
from domain.orders.coupons import (
    CouponAdmin,
    CouponDraft,
    CouponPage,
    parse_code,
    parse_limit,
    parse_min_order,
    parse_value,
    parse_window,
)
from domain.orders.pricing import Coupon, CouponKind
from handlers.admin.callbacks import AdminCb
from handlers.admin.render import page_nav
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.common import DbId, esc, fit, show
from handlers.fallback import STALE_BUTTON
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__)


class CouponCb(CallbackData, prefix="adcp"):
    act: str  # list, open, off, on, new, kind, once, scope, save
    id: DbId = 0
    v: str = ""
    p: DbId = 1


class CouponForm(StatesGroup):
    code = State()
    kind = State()
    value = State()
    min_order = State()
    limit = State()
    once = State()
    window = State()
    scope = State()
    confirm = State()


def _cancel() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("✖️ Cancel"), callback_data=CouponCb(act="list"))
    return kb.as_markup()


def coupon_line(c: Coupon, locale: str) -> str:
    value = f"{c.value}%" if c.kind is CouponKind.PERCENT else money(c.value, c.currency, locale)
    limit = str(c.usage_limit) if c.usage_limit is not None else "∞"
    state = "" if c.active else " · " + _("disabled")
    return f"{c.code} · −{value} · {c.used}/{limit}{state}"


def coupon_text(c: Coupon, locale: str) -> str:
    lines = [_("🎟 <b>Coupon {code}</b>").format(code=esc(c.code)), coupon_line(c, locale)]
    if c.min_order:
        lines.append(
            _("Minimum order: {amount}").format(amount=money(c.min_order, c.currency, locale))
        )
    if c.once_per_customer:
        lines.append(_("Once per customer"))
    if c.starts_at or c.ends_at:
        start = c.starts_at.strftime("%Y-%m-%d") if c.starts_at else "…"
        end = c.ends_at.strftime("%Y-%m-%d %H:%M UTC") if c.ends_at else "…"
        lines.append(_("Valid: {start} → {end}").format(start=start, end=end))
    if c.category_id:
        lines.append(_("Only goods of category #{id}").format(id=c.category_id))
    lines.append(_("Used {used} times").format(used=c.used))
    return "\n".join(lines)


def list_view(page: CouponPage, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("🎟 <b>Coupons</b> ({total}) — code · discount · used/limit").format(total=page.total)
    kb = InlineKeyboard()
    for c in page.items:
        data = CouponCb(act="open", id=c.id)
        kb.button(text=fit(coupon_line(c, locale), 60), callback_data=data)
    kb.adjust(1)
    nav = page_nav(page.page, page.pages, lambda n: CouponCb(act="list", p=n))
    nav.button(text=_("➕ New coupon"), callback_data=CouponCb(act="new"))
    nav.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    kb.attach(nav)
    return text, kb.as_markup()


def coupon_keyboard(c: Coupon) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    if c.active:
        kb.button(text=_("⛔️ Disable"), callback_data=CouponCb(act="off", id=c.id))
    else:
        kb.button(text=_("✅ Enable"), callback_data=CouponCb(act="on", id=c.id))
    kb.button(text=_("⬅️ Coupons"), callback_data=CouponCb(act="list"))
    return kb.as_markup()


@router.callback_query(AdminCb.filter(F.to == "coupons"))
@router.callback_query(CouponCb.filter(F.act == "list"))
async def coupons_list(
    query: CallbackQuery,
    state: FSMContext,
    coupon_admin: CouponAdmin,
    locale: str,
    callback_data: CouponCb | AdminCb,
) -> None:
    await state.clear()
    page = callback_data.p if isinstance(callback_data, CouponCb) else 1
    await show(query, *list_view(await coupon_admin.page(page), locale))


@router.callback_query(CouponCb.filter(F.act == "open"))
async def coupon_open(
    query: CallbackQuery, callback_data: CouponCb, coupon_admin: CouponAdmin, locale: str
) -> None:
    coupon = await coupon_admin.get(callback_data.id)
    await show(query, coupon_text(coupon, locale), coupon_keyboard(coupon))


@router.callback_query(CouponCb.filter(F.act.in_({"off", "on"})))
async def coupon_switch(
    query: CallbackQuery, callback_data: CouponCb, coupon_admin: CouponAdmin, locale: str
) -> None:
    coupon = await coupon_admin.set_active(
        query.from_user.id, callback_data.id, callback_data.act == "on"
    )
    notice = _("Coupon enabled.") if coupon.active else _("Coupon disabled.")
    await show(query, coupon_text(coupon, locale), coupon_keyboard(coupon), notice)


@router.callback_query(CouponCb.filter(F.act == "new"))
async def coupon_new(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(CouponForm.code)
    await show(
        query, _("New coupon, step 1/8: send its code (3-32 letters, digits, - or _)."), _cancel()
    )


@router.message(CouponForm.code, F.text, NOT_COMMAND)
async def got_code(message: Message, state: FSMContext) -> None:
    await state.update_data(code=parse_code(message.text or ""))
    await state.set_state(CouponForm.kind)
    kb = InlineKeyboard()
    kb.button(text=_("% Percent"), callback_data=CouponCb(act="kind", v=CouponKind.PERCENT))
    kb.button(text=_("💵 Fixed amount"), callback_data=CouponCb(act="kind", v=CouponKind.FIXED))
    kb.button(text=_("✖️ Cancel"), callback_data=CouponCb(act="list"))
    kb.adjust(2, 1)
    await message.answer(
        _("Step 2/8: a percentage off, or a fixed amount off?"), reply_markup=kb.as_markup()
    )


@router.callback_query(CouponForm.kind, CouponCb.filter(F.act == "kind"))
async def got_kind(query: CallbackQuery, callback_data: CouponCb, state: FSMContext) -> None:
    if callback_data.v not in {k.value for k in CouponKind}:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    await state.update_data(kind=callback_data.v)
    await state.set_state(CouponForm.value)
    ask = (
        _("Step 3/8: how many percent off? (1-100)")
        if callback_data.v == CouponKind.PERCENT
        else _("Step 3/8: how much off? e.g. 5.00")
    )
    await show(query, ask, _cancel())


@router.message(CouponForm.value, F.text, NOT_COMMAND)
async def got_value(message: Message, state: FSMContext, coupon_admin: CouponAdmin) -> None:
    data = await state.get_data()
    value = parse_value(message.text or "", CouponKind(data["kind"]), coupon_admin.currency)
    await state.update_data(value=value)
    await state.set_state(CouponForm.min_order)
    await message.answer(
        _("Step 4/8: minimum order amount? Send 0 for none."), reply_markup=_cancel()
    )


@router.message(CouponForm.min_order, F.text, NOT_COMMAND)
async def got_min_order(message: Message, state: FSMContext, coupon_admin: CouponAdmin) -> None:
    await state.update_data(min_order=parse_min_order(message.text or "", coupon_admin.currency))
    await state.set_state(CouponForm.limit)
    await message.answer(
        _("Step 5/8: how many times may it be used in all? Send - for no limit."),
        reply_markup=_cancel(),
    )


@router.message(CouponForm.limit, F.text, NOT_COMMAND)
async def got_limit(message: Message, state: FSMContext) -> None:
    await state.update_data(limit=parse_limit(message.text or ""))
    await state.set_state(CouponForm.once)
    kb = InlineKeyboard()
    kb.button(text=_("1️⃣ Once per customer"), callback_data=CouponCb(act="once", v="1"))
    kb.button(text=_("🔁 No per-customer limit"), callback_data=CouponCb(act="once", v="0"))
    kb.button(text=_("✖️ Cancel"), callback_data=CouponCb(act="list"))
    kb.adjust(1)
    await message.answer(
        _("Step 6/8: how often may one customer use it?"), reply_markup=kb.as_markup()
    )


@router.callback_query(CouponForm.once, CouponCb.filter(F.act == "once"))
async def got_once(query: CallbackQuery, callback_data: CouponCb, state: FSMContext) -> None:
    await state.update_data(once=callback_data.v == "1")
    await state.set_state(CouponForm.window)
    await show(
        query,
        _(
            "Step 7/8: when is it valid? Send two dates like 2025-06-01 2025-06-30, "
            "only an end date, or - for always (UTC)."
        ),
        _cancel(),
    )


@router.message(CouponForm.window, F.text, NOT_COMMAND)
async def got_window(
    message: Message, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    start, end = parse_window(message.text or "", datetime.now(UTC))
    await state.update_data(
        start=start.isoformat() if start else None, end=end.isoformat() if end else None
    )
    await state.set_state(CouponForm.scope)
    kb = InlineKeyboard()
    kb.button(text=_("🛍 All goods"), callback_data=CouponCb(act="scope", id=0))
    for category in (await merchant.categories())[:40]:
        kb.button(
            text=fit(category.name.get(locale), 40),
            callback_data=CouponCb(act="scope", id=category.id),
        )
    kb.button(text=_("✖️ Cancel"), callback_data=CouponCb(act="list"))
    kb.adjust(2)
    await message.answer(
        _("Step 8/8: which goods does it cover? (a category includes its sub-categories)"),
        reply_markup=kb.as_markup(),
    )


def _draft(data: dict[str, object], currency: str) -> CouponDraft:
    start, end = data.get("start"), data.get("end")
    limit = data.get("limit")
    return CouponDraft(
        code=str(data["code"]),
        kind=CouponKind(str(data["kind"])),
        value=int(str(data["value"])),
        currency=currency,
        min_order=int(str(data.get("min_order") or 0)),
        usage_limit=int(str(limit)) if limit is not None else None,
        once_per_customer=bool(data.get("once")),
        starts_at=datetime.fromisoformat(str(start)) if start else None,
        ends_at=datetime.fromisoformat(str(end)) if end else None,
        category_id=int(str(data["category"])) if data.get("category") else None,
    )


@router.callback_query(CouponForm.scope, CouponCb.filter(F.act == "scope"))
async def got_scope(
    query: CallbackQuery,
    callback_data: CouponCb,
    state: FSMContext,
    coupon_admin: CouponAdmin,
    locale: str,
) -> None:
    await state.update_data(category=callback_data.id or None)
    await state.set_state(CouponForm.confirm)
    draft = _draft(await state.get_data(), coupon_admin.currency)
    preview = Coupon(
        0,
        draft.code,
        draft.kind,
        draft.value,
        draft.currency,
        draft.min_order,
        draft.starts_at,
        draft.ends_at,
        draft.usage_limit,
        0,
        draft.once_per_customer,
        draft.category_id,
    )
    kb = InlineKeyboard()
    kb.button(text=_("💾 Save"), callback_data=CouponCb(act="save"))
    kb.button(text=_("✖️ Cancel"), callback_data=CouponCb(act="list"))
    await show(query, coupon_text(preview, locale), kb.as_markup())


@router.callback_query(CouponForm.confirm, CouponCb.filter(F.act == "save"))
async def save_coupon(
    query: CallbackQuery, state: FSMContext, coupon_admin: CouponAdmin, locale: str
) -> None:
    draft = _draft(await state.get_data(), coupon_admin.currency)
    coupon = await coupon_admin.create(query.from_user.id, draft)
    await state.clear()
    await show(
        query,
        _("✅ Coupon saved.") + "\n\n" + coupon_text(coupon, locale),
        coupon_keyboard(coupon),
    )


@router.callback_query(CouponCb.filter(F.act.in_({"kind", "once", "scope", "save"})))
async def step_gone(query: CallbackQuery) -> None:
    await query.answer(_(STALE_BUTTON), show_alert=True)


@router.message(CouponForm.code, NOT_COMMAND)
@router.message(CouponForm.value, NOT_COMMAND)
@router.message(CouponForm.min_order, NOT_COMMAND)
@router.message(CouponForm.limit, NOT_COMMAND)
@router.message(CouponForm.window, NOT_COMMAND)
async def not_text(message: Message) -> None:
    await message.answer(_("Please send this as text."))


@router.message(CouponForm.kind, NOT_COMMAND)
@router.message(CouponForm.once, NOT_COMMAND)
@router.message(CouponForm.scope, NOT_COMMAND)
@router.message(CouponForm.confirm, NOT_COMMAND)
async def use_buttons(message: Message) -> None:
    await message.answer(_("Please choose with the buttons above."))
