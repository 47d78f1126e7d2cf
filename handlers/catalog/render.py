"""Texts of the shopping screens: prices, stars, product lines and the product card caption."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from domain.catalog.service import Product, ProductDetail, Variant
from domain.kernel.money import money
from handlers.catalog.screens import CAPTION_LIMIT, visible_len
from handlers.common import esc, fit

BUTTON_CHARS = 60  # long titles make unreadable buttons


def stars(rating: float) -> str:
    full = max(0, min(5, round(rating)))
    return "★" * full + "☆" * (5 - full)


def rating_line(product: Product) -> str:
    if product.rating_count == 0:
        return _("No reviews yet")
    return _("⭐ {avg} · reviews: {count}").format(
        avg=f"{product.rating_avg:.1f}", count=product.rating_count
    )


def product_button(product: Product, locale: str) -> str:
    """ "Title — $19.99" for a list button (plain text: buttons are not HTML)."""
    price = money(product.price, product.currency, locale)
    if product.has_variants:
        price = _("from {price}").format(price=price)
    return fit(product.title.get(locale), BUTTON_CHARS - len(price) - 3) + " — " + price


def stock_line(status: str, available: int) -> str:
    if status == "out":
        return _("❌ Out of stock")
    if status == "low":
        return _("⚠️ Only {count} left").format(count=available)
    return _("✅ In stock")


def price_line(
    price: int, compare_at: int | None, currency: str, locale: str, from_: bool = False
) -> str:
    shown = f"<b>{esc(money(price, currency, locale))}</b>"
    if from_:
        shown = _("from {price}").format(price=shown)
    if compare_at is not None and compare_at > price:
        shown = f"<s>{esc(money(compare_at, currency, locale))}</s> " + shown
    return shown


def card_caption(
    detail: ProductDetail, variant: Variant | None, locale: str, photo_index: int = 0
) -> str:
    """The card: title, price (old one struck through), stock, rating, then as much of the
    description as still fits in a caption's 1,024 characters."""
    product = detail.product
    if variant is not None:
        price = price_line(variant.price, variant.compare_at, variant.currency, locale)
        status = (
            "out"
            if variant.available <= 0
            else ("low" if variant.available <= product.low_stock_threshold else "in")
        )
        available = variant.available
    else:
        price = price_line(
            product.price, product.compare_at, product.currency, locale, product.has_variants
        )
        status, available = detail.stock_status, detail.available
    lines = [f"<b>{esc(fit(product.title.get(locale), 200))}</b>", price]
    if variant is not None:
        lines.append(_("Option: {label}").format(label=esc(variant.label)))
    elif product.has_variants:
        lines.append(_("Choose an option below."))
    lines.append(stock_line(status, available))
    lines.append(rating_line(product))
    if product.brand:
        lines.append(_("Brand: {brand}").format(brand=esc(product.brand)))
    if detail.category_path:
        path = " › ".join(c.name.get(locale) for c in detail.category_path)
        lines.append("📂 " + esc(fit(path, 120)))
    if len(product.photos) > 1:
        lines.append(f"📷 {photo_index + 1}/{len(product.photos)}")
    head = "\n".join(lines)
    description = product.description.get(locale).strip()
    budget = CAPTION_LIMIT - visible_len(head) - 2
    if description and budget > 20:
        head += "\n\n" + esc(fit(description, budget))
    return head
