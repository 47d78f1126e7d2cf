"""Texts and keyboards shared by the admin screens."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from domain.catalog.merchant import EDITABLE_FIELDS, category_label
from domain.catalog.service import Category, Product
from domain.catalog.types import ProductKind
from domain.kernel.money import money
from domain.orders.rules import unit_stars
from handlers.admin.callbacks import AdminCb, GoodsCb, StockCb
from handlers.admin.digital import UnitsCb
from handlers.common import esc, fit
from handlers.keyboard import InlineKeyboard


def page_nav(page: int, pages: int, to_page: Callable[[int], CallbackData]) -> InlineKeyboard:
    """A row of ⬅️ / ➡️ to the neighbouring pages of a list (only those that exist); the caller
    adds its own buttons after them."""
    nav = InlineKeyboard()
    if page > 1:
        nav.button(text="⬅️", callback_data=to_page(page - 1))
    if page < pages:
        nav.button(text="➡️", callback_data=to_page(page + 1))
    return nav


def field_label(field: str) -> str:
    labels = {
        "title_en": _("Title (English)"),
        "title_zh": _("Title (Chinese)"),
        "description_en": _("Description (English)"),
        "description_zh": _("Description (Chinese)"),
        "price": _("Price"),
        "compare_at": _("Old price"),
        "category": _("Category"),
        "photos": _("Photos"),
        "specs": _("Specs"),
        "threshold": _("Low-stock threshold"),
        "sku": _("SKU"),
        "brand": _("Brand"),
    }
    return labels[field]


def kind_line(product: Product, minor_units_per_star: int | None = None) -> str:
    """A digital good or service: paid in Stars (its own price, or derived from the rate)."""
    kind = _("digital") if product.kind is ProductKind.DIGITAL else _("service")
    if product.stars_price:
        return _("Kind: {kind}, paid in Stars: {stars} ⭐").format(
            kind=kind, stars=product.stars_price
        )
    if minor_units_per_star:
        stars = unit_stars(product.price, product.currency, None, minor_units_per_star)
        return _("Kind: {kind}, paid in Stars: {stars} ⭐ (from the shop's rate)").format(
            kind=kind, stars=stars
        )
    return _("Kind: {kind}, paid in Stars (price from the shop's rate)").format(kind=kind)


def product_text(
    product: Product,
    categories: dict[int, Category],
    locale: str,
    minor_units_per_star: int | None = None,
) -> str:
    status = _("🟢 on sale") if product.active else _("⚪️ hidden from shoppers")
    lines = [
        f"<b>{esc(product.title.en)}</b>"
        + (f" / {esc(product.title.zh)}" if product.title.zh else ""),
        _("#{id} · SKU {sku} · {status}").format(
            id=product.id, sku=esc(product.sku), status=status
        ),
        _("Category: {category}").format(
            category=esc(category_label(categories, product.category_id, locale) or "?")
        ),
        _("Price: {price}").format(price=money(product.price, product.currency, locale)),
    ]
    if product.compare_at is not None:
        lines.append(
            _("Old price: {price}").format(
                price=money(product.compare_at, product.currency, locale)
            )
        )
    if product.brand:
        lines.append(_("Brand: {brand}").format(brand=esc(product.brand)))
    if product.kind is not ProductKind.PHYSICAL:
        lines.append(kind_line(product, minor_units_per_star))
    if not product.has_variants and product.kind is not ProductKind.SERVICE:  # no stock
        lines.append(
            _("Stock: {on_hand} on hand, {reserved} reserved (low at {threshold})").format(
                on_hand=product.on_hand,
                reserved=product.reserved,
                threshold=product.low_stock_threshold,
            )
        )
    lines.append(_("Photos: {count}").format(count=len(product.photos)))
    if product.specs:
        lines.append(_("Specs:"))
        lines += [f"• {esc(k)}: {esc(v)}" for k, v in product.specs]
    if product.description.en:
        lines += ["", esc(product.description.en[:600])]
    return fit("\n".join(lines))


def product_keyboard(product: Product, version: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    for field in EDITABLE_FIELDS:
        data = GoodsCb(act="field", id=product.id, field=field, v=version)
        kb.button(text="✏️ " + field_label(field), callback_data=data)
    if product.kind is ProductKind.DIGITAL:  # stock is its pool of codes/files
        kb.button(text=_("🔑 Codes and files"), callback_data=UnitsCb(act="open", id=product.id))
    elif not product.has_variants and product.kind is ProductKind.PHYSICAL:
        kb.button(text=_("📦 Adjust stock"), callback_data=StockCb(act="open", pid=product.id))
    if product.active:
        kb.button(text=_("⏸ Deactivate"), callback_data=GoodsCb(act="off", id=product.id))
    else:
        kb.button(text=_("▶️ Activate"), callback_data=GoodsCb(act="on", id=product.id))
    kb.button(text=_("🗑 Delete"), callback_data=GoodsCb(act="del", id=product.id))
    kb.button(text=_("⬅️ Goods"), callback_data=AdminCb(to="goods"))
    kb.adjust(2)
    return kb.as_markup()


def category_picker(
    categories: dict[int, Category],
    parent_id: int | None,
    open_cb: Callable[[int], CallbackData],
    pick_cb: Callable[[int], CallbackData],
    locale: str,
) -> InlineKeyboard:
    """Children of `parent_id` as buttons: a leaf is picked at once, a branch opens; inside a
    branch, "Put it here" picks the branch itself. The caller adds Back/Cancel rows."""
    kb = InlineKeyboard()
    kids = sorted(
        (c for c in categories.values() if c.parent_id == parent_id),
        key=lambda c: (c.position, c.id),
    )
    for child in kids[:90]:
        has_kids = any(c.parent_id == child.id for c in categories.values())
        label = child.name.get(locale) + (" ›" if has_kids else "")
        kb.button(text=label, callback_data=open_cb(child.id) if has_kids else pick_cb(child.id))
    if parent_id is not None:
        here = _("✅ Put it here: {name}").format(name=categories[parent_id].name.get(locale))
        kb.button(text=here, callback_data=pick_cb(parent_id))
        up = categories[parent_id].parent_id
        kb.button(text=_("⬆️ Up"), callback_data=open_cb(up or 0))
    kb.adjust(2)
    return kb
