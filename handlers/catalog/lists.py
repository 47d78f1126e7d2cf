"""The shopper's own lists: /favorites and "recently viewed" (both reachable from /profile)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.catalog.service import PAGE_SIZE, CatalogService, Page, clamp_page
from domain.recommend import RecommendationService
from domain.users.service import User
from handlers.catalog.callbacks import ListCb, origin
from handlers.catalog.keyboards import pager_row, product_rows
from handlers.catalog.screens import present
from handlers.common import MenuCb, catalog_button
from handlers.keyboard import InlineKeyboard

router = Router(name=__name__)


def _back_to_profile() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅️ Profile"), callback_data=MenuCb(to="profile").pack())


async def favourites_screen(
    catalog: CatalogService, user: User, locale: str, page: int = 1
) -> tuple[str, InlineKeyboardMarkup]:
    favourites = await catalog.favourites(user.id, page)
    kb = InlineKeyboard()
    for row in product_rows(favourites.items, locale, origin("favourites", page=favourites.page)):
        kb.row(*row)
    kb.row(*pager_row(favourites, lambda n: ListCb(a="f", p=n)))
    if not favourites.total:
        kb.row(catalog_button())
        text = _("♥ You have no favourites yet. Tap ♡ on a product to keep it here.")
    else:
        text = _("♥ <b>Your favourites</b> ({total}) · page {page}/{pages}").format(
            total=favourites.total, page=favourites.page, pages=favourites.pages
        )
    kb.row(_back_to_profile())
    return text, kb.as_markup()


async def history_screen(
    catalog: CatalogService, user: User, locale: str, page: int = 1
) -> tuple[str, InlineKeyboardMarkup]:
    """The last 50 products viewed, newest first, a page at a time."""
    viewed = await catalog.history(user.id)
    page = clamp_page(page, PAGE_SIZE, len(viewed))
    shown = Page(viewed[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, PAGE_SIZE, len(viewed))
    kb = InlineKeyboard()
    for row in product_rows(shown.items, locale, origin("history", page=page)):
        kb.row(*row)
    kb.row(*pager_row(shown, lambda n: ListCb(a="h", p=n)))
    if viewed:
        clear = ListCb(a="hc").pack()
        kb.row(InlineKeyboardButton(text=_("🧹 Clear history"), callback_data=clear))
        text = _("🕘 <b>Recently viewed</b> ({total}) · page {page}/{pages}").format(
            total=shown.total, page=shown.page, pages=shown.pages
        )
    else:
        kb.row(catalog_button())
        text = _("🕘 You haven't viewed any products yet.")
    kb.row(_back_to_profile())
    return text, kb.as_markup()


@router.message(Command("favorites", "favourites"))
async def favourites_command(
    message: Message, catalog: CatalogService, user: User, locale: str
) -> None:
    await present(message, *await favourites_screen(catalog, user, locale))


@router.callback_query(MenuCb.filter(F.to == "favourites"))
async def favourites_button(
    query: CallbackQuery, catalog: CatalogService, user: User, locale: str
) -> None:
    await present(query, *await favourites_screen(catalog, user, locale))


@router.callback_query(MenuCb.filter(F.to == "history"))
async def history_button(
    query: CallbackQuery, catalog: CatalogService, user: User, locale: str
) -> None:
    await present(query, *await history_screen(catalog, user, locale))


@router.callback_query(ListCb.filter(F.a.in_({"f", "h"})))
async def list_page(
    query: CallbackQuery, callback_data: ListCb, catalog: CatalogService, user: User, locale: str
) -> None:
    make = favourites_screen if callback_data.a == "f" else history_screen
    await present(query, *await make(catalog, user, locale, callback_data.p))


@router.callback_query(ListCb.filter(F.a == "hc"))
async def clear_history(
    query: CallbackQuery,
    catalog: CatalogService,
    recs: RecommendationService,
    user: User,
    locale: str,
) -> None:
    await catalog.clear_history(user.id)
    await recs.forget(user.id)  # the recommender forgets them too (gone from the next model)
    screen = await history_screen(catalog, user, locale)
    await present(query, *screen, notice=_("History cleared."))
