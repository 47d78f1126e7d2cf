"""/catalog: the category tree and paginated product lists, edited in place."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.catalog.service import CatalogService, CategoryNotFound
from handlers.catalog.callbacks import CatCb, origin
from handlers.catalog.keyboards import pager_row, product_rows
from handlers.catalog.screens import present
from handlers.common import MenuCb, esc, fit
from handlers.keyboard import InlineKeyboard

router = Router(name=__name__)


async def roots_screen(catalog: CatalogService, locale: str) -> tuple[str, InlineKeyboardMarkup]:
    roots = await catalog.children(None)
    kb = InlineKeyboard()
    for category in roots:
        kb.button(text=fit(category.name.get(locale), 40), callback_data=CatCb(c=category.id))
    kb.adjust(2)
    kb.row(InlineKeyboardButton(text=_("⬅️ Main menu"), callback_data=MenuCb(to="home").pack()))
    if not roots:
        return _("The shop has no goods yet. Please come back soon."), kb.as_markup()
    return _("🛍 <b>Catalog</b>\nChoose a category:"), kb.as_markup()


async def category_screen(
    catalog: CatalogService, locale: str, category_id: int, page: int = 1
) -> tuple[str, InlineKeyboardMarkup]:
    """Sub-categories first, then one page of the goods in this category and below it."""
    if category_id == 0:
        return await roots_screen(catalog, locale)
    listing = await catalog.listing(category_id, page)
    category, path, goods = listing.category, listing.path, listing.goods
    kb = InlineKeyboard()
    for kid in listing.children:
        kb.button(text="📂 " + fit(kid.name.get(locale), 40), callback_data=CatCb(c=kid.id))
    kb.adjust(2)
    for row in product_rows(goods.items, locale, origin("category", category_id, goods.page)):
        kb.row(*row)
    kb.row(*pager_row(goods, lambda n: CatCb(c=category_id, p=n)))
    up = CatCb(c=category.parent_id or 0)
    kb.row(InlineKeyboardButton(text=_("⬅️ Back"), callback_data=up.pack()))
    title = " › ".join(c.name.get(locale) for c in path)
    lines = [f"📂 <b>{esc(fit(title, 200))}</b>"]
    if goods.total:
        lines.append(
            _("Items: {total} · page {page}/{pages}").format(
                total=goods.total, page=goods.page, pages=goods.pages
            )
        )
    else:
        lines.append(_("No goods here yet."))
    return "\n".join(lines), kb.as_markup()


@router.message(Command("catalog"))
async def catalog_command(message: Message, catalog: CatalogService, locale: str) -> None:
    text, markup = await roots_screen(catalog, locale)
    await present(message, text, markup)


@router.callback_query(MenuCb.filter(F.to == "catalog"))
async def catalog_button(query: CallbackQuery, catalog: CatalogService, locale: str) -> None:
    text, markup = await roots_screen(catalog, locale)
    await present(query, text, markup)


@router.callback_query(CatCb.filter())
async def open_category(
    query: CallbackQuery, callback_data: CatCb, catalog: CatalogService, locale: str
) -> None:
    try:
        text, markup = await category_screen(catalog, locale, callback_data.c, callback_data.p)
    except CategoryNotFound as gone:
        # A removed (or forged) category: say so and show the tree from the top.
        text, markup = await roots_screen(catalog, locale)
        await present(query, text, markup, notice=_(gone.message))
        return
    await present(query, text, markup)
