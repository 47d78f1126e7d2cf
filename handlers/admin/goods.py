"""Goods: find a product (id, SKU or words), its admin card, edit any field, activate,
deactivate, delete. Field edits carry the card's edit version (see domain.catalog.merchant)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import F
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.catalog.merchant import EDITABLE_FIELDS, EditConflict, MerchantService
from domain.catalog.merchant_input import MAX_PHOTOS, format_price_plain, specs_text
from domain.catalog.search import SearchQuery, SearchService
from domain.catalog.service import ProductNotFound
from domain.kernel.text import whole_number
from handlers.admin.callbacks import AdminCb, GoodsCb, NewGoodsCb
from handlers.admin.render import category_picker, field_label, product_keyboard, product_text
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.admin.states import EditProduct
from handlers.common import esc, fit, show
from handlers.fallback import STALE_BUTTON
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__)


def goods_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("➕ New product"), callback_data=NewGoodsCb(act="new"))
    kb.button(text=_("🔎 Find a product"), callback_data=GoodsCb(act="find"))
    kb.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    kb.adjust(2, 1)
    return kb.as_markup()


def _back_to_card(product_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("✖️ Cancel"), callback_data=GoodsCb(act="open", id=product_id))
    return kb.as_markup()


async def show_product(
    target: Message | CallbackQuery,
    merchant: MerchantService,
    product_id: int,
    locale: str,
    notice: str | None = None,
) -> None:
    editable = await merchant.editable(product_id)
    categories = {c.id: c for c in await merchant.categories()}
    text = product_text(editable.product, categories, locale, merchant.minor_units_per_star)
    if notice and isinstance(target, Message):
        text = f"{notice}\n\n{text}"
    await show(target, text, product_keyboard(editable.product, editable.version), notice)


@router.callback_query(AdminCb.filter(F.to == "goods"))
async def goods_section(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(query, _("📦 <b>Goods</b>"), goods_menu())


@router.callback_query(GoodsCb.filter(F.act == "find"))
async def find_button(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(EditProduct.find)
    kb = InlineKeyboard()
    kb.button(text=_("✖️ Cancel"), callback_data=AdminCb(to="goods"))
    await show(query, _("Send the product's id, its SKU or words from its title."), kb.as_markup())


@router.message(EditProduct.find, F.text, NOT_COMMAND)
async def find_product(
    message: Message,
    state: FSMContext,
    merchant: MerchantService,
    search: SearchService,
    locale: str,
) -> None:
    text = message.text or ""
    try:
        product = await merchant.find(text)
    except ProductNotFound:
        result = await search.search(SearchQuery.page_of(text, page_size=8))
        if not result.products or result.fallback:
            await message.answer(_("No product matches that. Try its id or SKU."))
            return
        kb = InlineKeyboard()
        for p in result.products:
            kb.button(
                text=fit(f"#{p.id} {p.title.get(locale)}", 60),
                callback_data=GoodsCb(act="open", id=p.id),
            )
        kb.adjust(1)
        await state.clear()
        await message.answer(_("Which one?"), reply_markup=kb.as_markup())
        return
    await state.clear()
    await show_product(message, merchant, product.id, locale)


@router.callback_query(GoodsCb.filter(F.act == "open"))
async def open_product(
    query: CallbackQuery,
    callback_data: GoodsCb,
    state: FSMContext,
    merchant: MerchantService,
    locale: str,
) -> None:
    await state.clear()
    await show_product(query, merchant, callback_data.id, locale)


@router.callback_query(GoodsCb.filter(F.act == "field"))
async def edit_field(
    query: CallbackQuery,
    callback_data: GoodsCb,
    state: FSMContext,
    merchant: MerchantService,
    locale: str,
) -> None:
    field = callback_data.field
    if field not in EDITABLE_FIELDS:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    product = (await merchant.editable(callback_data.id)).product
    await state.set_state(EditProduct.photos if field == "photos" else EditProduct.value)
    await state.update_data(pid=product.id, field=field, v=callback_data.v, photos=[])
    if field == "category":
        await _category_step(query, merchant, product.id, callback_data.v, None, locale)
        return
    current = {
        "title_en": product.title.en,
        "title_zh": product.title.zh,
        "description_en": product.description.en,
        "description_zh": product.description.zh,
        "price": format_price_plain(product.price, product.currency),
        "compare_at": format_price_plain(product.compare_at, product.currency)
        if product.compare_at is not None
        else "",
        "specs": specs_text(product.specs),
        "threshold": str(product.low_stock_threshold),
        "sku": product.sku,
        "brand": product.brand,
        "photos": str(len(product.photos)),
    }[field]
    text = _("<b>{field}</b> now: {value}").format(
        field=field_label(field), value=esc(current[:800]) or "—"
    )
    if field == "photos":
        text += "\n\n" + _("Send the new photos (they replace the old ones), then press Done.")
    elif field in ("title_zh", "description_zh", "compare_at", "specs", "brand"):
        text += "\n\n" + _("Send the new value, or '-' to clear it.")
    else:
        text += "\n\n" + _("Send the new value.")
    kb = InlineKeyboard()
    if field == "photos":
        kb.button(text=_("✅ Done"), callback_data=GoodsCb(act="photosdone", id=product.id))
    kb.button(text=_("✖️ Cancel"), callback_data=GoodsCb(act="open", id=product.id))
    await show(query, text, kb.as_markup())


async def _category_step(
    query: CallbackQuery,
    merchant: MerchantService,
    product_id: int,
    version: int,
    parent: int | None,
    locale: str,
) -> None:
    categories = {c.id: c for c in await merchant.categories()}
    kb = category_picker(
        categories,
        parent,
        lambda cid: GoodsCb(act="catopen", id=product_id, field=str(cid), v=version),
        lambda cid: GoodsCb(act="catpick", id=product_id, field=str(cid), v=version),
        locale,
    )
    kb.row(*_back_to_card(product_id).inline_keyboard[0])
    await show(query, _("Choose the new category."), kb.as_markup())


@router.callback_query(GoodsCb.filter(F.act.in_({"catopen", "catpick"})))
async def category_button(
    query: CallbackQuery,
    callback_data: GoodsCb,
    state: FSMContext,
    merchant: MerchantService,
    locale: str,
) -> None:
    category_id = whole_number(callback_data.field)
    if category_id is None or category_id >= 2**31:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    if callback_data.act == "catopen":
        await _category_step(
            query, merchant, callback_data.id, callback_data.v, category_id or None, locale
        )
        return
    await _store(
        query,
        state,
        merchant,
        callback_data.id,
        callback_data.v,
        {"category_id": category_id},
        locale,
    )


async def _store(
    target: Message | CallbackQuery,
    state: FSMContext,
    merchant: MerchantService,
    product_id: int,
    version: int,
    changes: dict[str, object],
    locale: str,
) -> None:
    actor = target.from_user.id if target.from_user else 0
    try:
        await merchant.edit(actor, product_id, version, changes)
    except EditConflict as conflict:
        await state.clear()
        await show_product(target, merchant, product_id, locale, notice=_(conflict.message))
        return
    await state.clear()
    await show_product(target, merchant, product_id, locale, notice=_("Saved."))


@router.message(EditProduct.value, F.text, NOT_COMMAND)
async def got_value(
    message: Message, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    data = await state.get_data()
    if data.get("field") == "category":
        await message.answer(_("Please choose the category with the buttons above."))
        return
    product = (await merchant.editable(int(data["pid"]))).product
    changes = merchant.parse_field(product, str(data["field"]), message.text or "")
    await _store(message, state, merchant, product.id, int(data["v"]), changes, locale)


@router.message(EditProduct.value, NOT_COMMAND)
async def value_not_text(message: Message) -> None:
    await message.answer(_("Please send this as text."))


async def collect_photo(
    message: Message, state: FSMContext, done: Callable[[dict[str, Any]], CallbackData]
) -> None:
    """Keep the message's photo in the dialog's "photos" (at most MAX_PHOTOS) and offer Done;
    `done` makes the Done button's callback from the dialog data (the edit and the new-product
    dialogs share this)."""
    assert message.photo
    photos = list((await state.get_data()).get("photos", []))
    if len(photos) >= MAX_PHOTOS:
        await message.answer(_("That's {max} photos already; press Done.").format(max=MAX_PHOTOS))
        return
    photos.append(message.photo[-1].file_id)
    await state.update_data(photos=photos)
    data = await state.get_data()
    kb = InlineKeyboard()
    kb.button(text=_("✅ Done"), callback_data=done(data))
    await message.answer(
        _("Photo {count} added. Send more, or press Done.").format(count=len(photos)),
        reply_markup=kb.as_markup(),
    )


@router.message(EditProduct.photos, F.photo, NOT_COMMAND)
async def got_edit_photo(message: Message, state: FSMContext) -> None:
    await collect_photo(
        message, state, lambda data: GoodsCb(act="photosdone", id=int(data["pid"]))
    )


@router.message(EditProduct.photos, NOT_COMMAND)
async def photo_expected(message: Message) -> None:
    await message.answer(_("Please send a photo (not a file or text), or press Done."))


@router.callback_query(EditProduct.photos, GoodsCb.filter(F.act == "photosdone"))
async def photos_done(
    query: CallbackQuery, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    data = await state.get_data()
    photos = tuple(data.get("photos", []))
    await _store(
        query, state, merchant, int(data["pid"]), int(data["v"]), {"photos": photos}, locale
    )


@router.callback_query(GoodsCb.filter(F.act.in_({"on", "off"})))
async def toggle_active(
    query: CallbackQuery, callback_data: GoodsCb, merchant: MerchantService, locale: str
) -> None:
    active = callback_data.act == "on"
    await merchant.set_active(query.from_user.id, callback_data.id, active)
    notice = _("Shoppers can see it again.") if active else _("Hidden from shoppers.")
    await show_product(query, merchant, callback_data.id, locale, notice=notice)


@router.callback_query(GoodsCb.filter(F.act == "del"))
async def delete_ask(
    query: CallbackQuery, callback_data: GoodsCb, merchant: MerchantService
) -> None:
    product = (await merchant.editable(callback_data.id)).product
    kb = InlineKeyboard()
    kb.button(text=_("🗑 Yes, delete"), callback_data=GoodsCb(act="delok", id=product.id))
    kb.button(text=_("✖️ Cancel"), callback_data=GoodsCb(act="open", id=product.id))
    text = _("Delete <b>{title}</b> for good? If an order refers to it, I will only hide it.")
    await show(query, text.format(title=esc(product.title.en)), kb.as_markup())


@router.callback_query(GoodsCb.filter(F.act == "delok"))
async def delete_confirmed(
    query: CallbackQuery, callback_data: GoodsCb, merchant: MerchantService, locale: str
) -> None:
    outcome = await merchant.delete(query.from_user.id, callback_data.id)
    if outcome == "deactivated":
        note = _(
            "Orders refer to this product, so it can't be deleted. I hid it from shoppers instead."
        )
        await show_product(query, merchant, callback_data.id, locale, notice=note[:200])
        return
    await show(query, _("Deleted.") + "\n\n" + _("📦 <b>Goods</b>"), goods_menu())
