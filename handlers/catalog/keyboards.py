"""Inline keyboards of the shopping screens."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from domain.catalog.service import Page, Product, ProductDetail, Variant
from handlers.alerts.shopper import notify_button
from handlers.cart.callbacks import CartCb
from handlers.catalog.callbacks import CardCb, ReviewCb
from handlers.catalog.render import product_button
from handlers.common import fit
from handlers.keyboard import InlineKeyboard

MAX_VARIANT_BUTTONS = 24


def deep_link(bot_username: str, product_id: int) -> str:
    return f"https://t.me/{bot_username}?start=p_{product_id}"


def pager_row(
    page: Page[Any] | tuple[int, int], make: Callable[[int], CallbackData]
) -> list[InlineKeyboardButton]:
    """◀ n/m ▶ — only the arrows that lead somewhere; the counter itself is in the text."""
    current, pages = (page.page, page.pages) if isinstance(page, Page) else page
    row: list[InlineKeyboardButton] = []
    if current > 1:
        row.append(InlineKeyboardButton(text="◀️", callback_data=make(current - 1).pack()))
    if current < pages:
        row.append(InlineKeyboardButton(text="▶️", callback_data=make(current + 1).pack()))
    return row


def product_rows(
    products: Sequence[Product], locale: str, origin: str
) -> list[list[InlineKeyboardButton]]:
    return [
        [
            InlineKeyboardButton(
                text=product_button(p, locale),
                callback_data=CardCb(a="o", p=p.id, o=origin).pack(),
            )
        ]
        for p in products
    ]


def card_keyboard(
    detail: ProductDetail,
    variant: Variant | None,
    photo_index: int,
    is_favourite: bool,
    origin: str,
    bot_username: str,
    locale: str,
) -> InlineKeyboardMarkup:
    product = detail.product
    vid = variant.id if variant is not None else 0
    kb = InlineKeyboard()

    def card(action: str, **kw: int) -> str:
        values: dict[str, int] = {"v": vid, "i": photo_index} | kw
        return CardCb(a=action, p=product.id, o=origin, **values).pack()

    rows: list[list[InlineKeyboardButton]] = []
    if len(product.photos) > 1:
        count = len(product.photos)
        rows.append(
            [
                InlineKeyboardButton(
                    text="◀️", callback_data=card("g", i=(photo_index - 1) % count)
                ),
                InlineKeyboardButton(
                    text="▶️", callback_data=card("g", i=(photo_index + 1) % count)
                ),
            ]
        )
    options = [
        InlineKeyboardButton(
            text=("✓ " if vid == v.id else "") + fit(v.label or v.sku, 30),
            callback_data=card("v", v=v.id),
        )
        for v in detail.variants[:MAX_VARIANT_BUTTONS]
    ]
    rows.extend(options[i : i + 3] for i in range(0, len(options), 3))
    sellable = variant is not None or not product.has_variants
    in_stock = (variant.available if variant is not None else detail.available) > 0
    if sellable and in_stock:
        data = CartCb(action="add", id=product.id, variant=vid).pack()
        rows.append([InlineKeyboardButton(text=_("🛒 Add to cart"), callback_data=data)])
    elif not in_stock:  # sold out (this option, or every option when none is chosen)
        rows.append([notify_button(product.id, vid)])
    fav = _("♥ In favourites") if is_favourite else _("♡ Favourite")
    rows.append(
        [
            InlineKeyboardButton(text=fav, callback_data=card("f")),
            InlineKeyboardButton(
                text=_("⭐ Reviews"), callback_data=ReviewCb(a="l", p=product.id, o=origin).pack()
            ),
        ]
    )
    link = deep_link(bot_username, product.id)
    share = f"https://t.me/share/url?url={quote(link, safe='')}&text=" + quote(
        fit(product.title.get(locale), 100), safe=""
    )
    rows.append(
        [
            InlineKeyboardButton(text=_("🧩 Similar"), callback_data=card("s", i=0)),
            InlineKeyboardButton(text=_("🛍 Bought together"), callback_data=card("t", i=0)),
        ]
    )
    rows.append([InlineKeyboardButton(text=_("📤 Share"), url=share)])
    rows.append([InlineKeyboardButton(text=_("⬅️ Back"), callback_data=card("b"))])
    for row in rows:
        kb.row(*row)
    return kb.as_markup()
