"""Callback data and keyboards of the recommendation lists, shared by the card, the cart,
/start and the empty search (kept apart from handlers/recs.py so those can import it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton
from aiogram.utils.i18n import gettext as _
from pydantic import Field

from domain.recommend.shelves import MAX_PAGE, Shelf
from handlers.cart.callbacks import CartCb
from handlers.catalog.keyboards import product_rows
from handlers.keyboard import InlineKeyboard

ShelfPage = Annotated[int, Field(ge=0, le=MAX_PAGE)]
# for you, complete your order, trending, new arrivals, buy again
SHELF_KINDS = {"y", "c", "t", "n", "b"}


class RecCb(CallbackData, prefix="rx"):
    """A recommendation list: k = y (for you), c (complete your order), t (trending),
    n (new arrivals), b (buy again); n = 0-based page (a forged page out of range doesn't
    parse)."""

    k: str
    n: ShelfPage = 0


def shelf_button(text: str, kind: str, page: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=RecCb(k=kind, n=page).pack())


def shelf_pager(shelf: Shelf, make: Callable[[int], str]) -> list[InlineKeyboardButton]:
    """◀️ ▶️ for a 0-based shelf: only the arrows that lead somewhere."""
    row = []
    if shelf.page > 0:
        row.append(InlineKeyboardButton(text="◀️", callback_data=make(shelf.page - 1)))
    if shelf.has_more and shelf.page < MAX_PAGE:
        row.append(InlineKeyboardButton(text="▶️", callback_data=make(shelf.page + 1)))
    return row


def add_shelf(kb: InlineKeyboard, shelf: Shelf, locale: str, limit: int = 0) -> None:
    """The shelf's goods as card buttons (a card opened here goes Back to its category)."""
    products = shelf.products[:limit] if limit else shelf.products
    for row in product_rows(products, locale, ""):
        kb.row(*row)


def add_buy_again(kb: InlineKeyboard, shelf: Shelf, locale: str) -> None:
    """Each bought good as its card button beside a one-tap "➕ to cart"; goods with
    variants open their card instead (the shopper picks the variant there)."""
    for product, row in zip(shelf.products, product_rows(shelf.products, locale, ""), strict=True):
        if not product.has_variants:
            add = CartCb(action="add", id=product.id).pack()
            row.append(InlineKeyboardButton(text=_("➕ To cart"), callback_data=add))
        kb.row(*row)


def discover_row() -> list[InlineKeyboardButton]:
    return [shelf_button(_("🔥 Trending"), "t"), shelf_button(_("🆕 New arrivals"), "n")]
