"""/search and plain text outside any dialog: results with filter and sort buttons.

The query and the chosen filters live in FSM data under "cs" (with a random key `k`), so the
buttons carry only the key and a short action: callback data stays tiny whatever was typed,
and buttons of an older search say so instead of acting on the new one.
"""

from __future__ import annotations

import secrets
from collections import Counter
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.catalog.search import (
    SearchFilters,
    SearchQuery,
    SearchResult,
    SearchService,
    SearchSort,
)
from domain.catalog.service import CatalogService, CategoryNode
from domain.kernel.i18n import N_
from domain.kernel.money import money
from domain.kernel.text import whole_number
from domain.recommend.shelves import ShelfService
from domain.users.service import User
from handlers.catalog.callbacks import SearchCb, origin
from handlers.catalog.keyboards import pager_row, product_rows
from handlers.catalog.screens import present
from handlers.common import esc, fit
from handlers.keyboard import InlineKeyboard
from handlers.recommend.keyboards import add_shelf, discover_row

router = Router(name=__name__)
KEY = "cs"
PAGE_SIZE = 8
FACET_SAMPLE = 50
MAX_FACETS = 8
# Price presets in minor units: (min, max); None = open-ended.
PRICE_PRESETS: list[tuple[int | None, int | None]] = [
    (None, 2000),
    (2000, 5000),
    (5000, 10000),
    (10000, 50000),
    (50000, None),
]
SORT_LABELS = {
    SearchSort.RELEVANCE: N_("Relevance"),
    SearchSort.PRICE_ASC: N_("Price ↑"),
    SearchSort.PRICE_DESC: N_("Price ↓"),
    SearchSort.NEWEST: N_("Newest"),
    SearchSort.RATING: N_("Rating"),
    SearchSort.POPULARITY: N_("Popularity"),
}
NOTICES = {
    "empty": N_("Type a word or two to search, e.g. “phone”."),
    "too_short": N_("Type at least two letters to search."),
    "no_words": N_("There are no words to search for in that. Try letters or numbers."),
}


def _filters(s: dict[str, Any]) -> SearchFilters:
    low, high = PRICE_PRESETS[s["pr"]] if s.get("pr") is not None else (None, None)
    return SearchFilters(
        category_id=s.get("cat"),
        price_min=low,
        price_max=high,
        in_stock=bool(s.get("st")),
        brand=s.get("br"),
    )


def _price_label(index: int, currency: str, locale: str) -> str:
    low, high = PRICE_PRESETS[index]
    if low is None:
        return _("under {price}").format(price=money(high or 0, currency, locale))
    if high is None:
        return _("{price} and more").format(price=money(low, currency, locale))
    return f"{money(low, currency, locale)} – {money(high, currency, locale)}"


def _explain(result: SearchResult) -> list[str]:
    """One translated line per thing the search did differently from what was typed."""
    if result.notice:
        return [_(NOTICES[result.notice])]
    lines = []
    if result.corrected:
        lines.append(
            _("No exact matches for «{query}»; showing results for «{corrected}».").format(
                query=esc(result.query), corrected=esc(result.corrected)
            )
        )
    if result.partial:
        lines.append(_("No product has all of your words; these match some of them."))
    return lines


async def _category_names(catalog: CatalogService, locale: str) -> dict[int, str]:
    names: dict[int, str] = {}

    def walk(nodes: list[CategoryNode] | tuple[CategoryNode, ...]) -> None:
        for node in nodes:
            names[node.category.id] = node.category.name.get(locale)
            walk(node.children)

    walk(await catalog.tree())
    return names


def _filter_summary(s: dict[str, Any], names: dict[int, str], locale: str) -> str | None:
    parts = []
    if s.get("cat") is not None:
        parts.append("📂 " + esc(names.get(s["cat"], "?")))
    if s.get("pr") is not None:
        parts.append("💲 " + esc(_price_label(s["pr"], s.get("cur", "USD"), locale)))
    if s.get("st"):
        parts.append(_("in stock"))
    if s.get("br"):
        parts.append("🏷 " + esc(s["br"]))
    return _("Filters: {filters}").format(filters=" · ".join(parts)) if parts else None


def _button(text: str, k: int, action: str, value: object = "") -> InlineKeyboardButton:
    data = SearchCb(k=k, a=action, v=str(value)).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


async def _trending_instead(
    kb: InlineKeyboard, lines: list[str], shelves: ShelfService, viewer: int, locale: str
) -> bool:
    """An empty search (no words yet) shows what is trending and a way to new arrivals;
    False when the recommender has nothing yet."""
    shelf = await shelves.trending(viewer)
    if shelf.empty:
        return False
    lines.append(_("🔥 Trending now:"))
    add_shelf(kb, shelf, locale)
    kb.row(*discover_row())
    return True


async def search_screen(
    state: FSMContext,
    search: SearchService,
    catalog: CatalogService,
    locale: str,
    k: int,
    page: int | None = None,
) -> tuple[str, InlineKeyboardMarkup] | None:
    """The results page of search `k` (None when that search is no longer the current one)."""
    s = (await state.get_data()).get(KEY)
    if not s or s.get("k") != k:
        return None
    page = s.get("pg", 1) if page is None else page
    sort = SearchSort(s.get("so", SearchSort.RELEVANCE))
    result = await search.search(SearchQuery.page_of(s["q"], page, PAGE_SIZE, _filters(s), sort))
    if result.products and not s.get("cur"):
        s["cur"] = result.products[0].currency
    s["pg"] = result.page
    await state.update_data({KEY: s})
    names = await _category_names(catalog, locale) if s.get("cat") is not None else {}
    query = esc(fit(s["q"], 100))
    kb = InlineKeyboard()
    if result.fallback:
        nothing = _("🔎 Nothing found for «{query}».").format(query=query)
        lines = [nothing] if s["q"].strip() else []
    else:
        lines = [
            _("🔎 «{query}» — found {total} · page {page}/{pages}").format(
                query=query, total=result.total, page=result.page, pages=result.pages
            )
        ]
    lines.extend(_explain(result))
    summary = _filter_summary(s, names, locale)
    if summary:
        lines.append(summary)
    if result.suggestion:
        s["sug"] = result.suggestion
        await state.update_data({KEY: s})
        label = _("🔎 Did you mean «{suggestion}»?").format(suggestion=fit(result.suggestion, 40))
        kb.row(_button(label, k, "d"))
    if result.fallback and result.products:
        lines.append(_("🔥 Popular right now:"))
    for row in product_rows(result.products, locale, origin("search", k, result.page)):
        kb.row(*row)
    if not result.fallback:
        kb.row(*pager_row((result.page, result.pages), lambda n: SearchCb(k=k, a="p", v=str(n))))
    if not result.notice:
        in_stock = ("✓ " if s.get("st") else "") + _("📦 In stock")
        kb.row(
            _button(_("📂 Category"), k, "C"),
            _button(_("💲 Price"), k, "P"),
            _button(in_stock, k, "s"),
            _button(_("🏷 Brand"), k, "B"),
        )
        sort_label = _("↕️ Sort: {sort}").format(sort=_(SORT_LABELS[sort]))
        kb.row(_button(sort_label, k, "S"))
        if _filters(s).any:
            kb.row(_button(_("✖️ Clear filters"), k, "x"))
    return "\n".join(lines) or _("🔎 Search"), kb.as_markup()


async def _facets(
    s: dict[str, Any], search: SearchService, catalog: CatalogService, locale: str
) -> None:
    """Brands and categories found for the words (ignoring filters), for the filter menus."""
    sample = await search.search(SearchQuery(s["q"], limit=FACET_SAMPLE))
    brands = Counter(p.brand for p in sample.products if p.brand)
    categories = Counter(p.category_id for p in sample.products)
    s["brands"] = [b for b, _n in brands.most_common(MAX_FACETS)]
    s["cats"] = [c for c, _n in categories.most_common(MAX_FACETS)]
    if sample.products and not s.get("cur"):
        s["cur"] = sample.products[0].currency


async def _menu(
    s: dict[str, Any], action: str, search: SearchService, catalog: CatalogService, locale: str
) -> tuple[str, InlineKeyboardMarkup]:
    k = s["k"]
    kb = InlineKeyboard()
    if action == "S":
        current = s.get("so", SearchSort.RELEVANCE)
        for sort, label in SORT_LABELS.items():
            kb.row(_button(("✓ " if sort == current else "") + _(label), k, "o", sort.value))
        title = _("Sort results by:")
    elif action == "P":
        cur = s.get("cur", "USD")
        for index in range(len(PRICE_PRESETS)):
            mark = "✓ " if s.get("pr") == index else ""
            kb.row(_button(mark + _price_label(index, cur, locale), k, "r", index))
        kb.row(_button(_("Any price"), k, "r"))
        title = _("Price range:")
    else:
        await _facets(s, search, catalog, locale)
        if action == "B":
            for index, brand in enumerate(s["brands"]):
                kb.row(_button(("✓ " if s.get("br") == brand else "") + brand, k, "b", index))
            kb.row(_button(_("Any brand"), k, "b"))
            title = _("Brand:")
        else:
            names = await _category_names(catalog, locale)
            for index, cid in enumerate(s["cats"]):
                label = ("✓ " if s.get("cat") == cid else "") + fit(names.get(cid, "?"), 40)
                kb.row(_button(label, k, "c", index))
            kb.row(_button(_("Any category"), k, "c"))
            title = _("Category:")
    kb.row(_button(_("⬅️ Back to results"), k, "m"))
    return title, kb.as_markup()


def _pick(options: list[Any] | None, raw: str) -> Any:
    """The option a button points at; a forged or stale index means "any"."""
    index = whole_number(raw)
    if index is not None and options is not None and index < len(options):
        return options[index]
    return None


def _apply(s: dict[str, Any], action: str, value: str) -> None:
    if action == "p":
        page = whole_number(value)
        s["pg"] = page if page is not None and page < 10**7 else 1
        return
    s["pg"] = 1
    if action == "o":
        s["so"] = value if value in set(SearchSort) else SearchSort.RELEVANCE.value
    elif action == "s":
        s["st"] = not s.get("st")
    elif action == "r":
        preset = whole_number(value)
        s["pr"] = preset if preset is not None and preset < len(PRICE_PRESETS) else None
    elif action == "b":
        s["br"] = _pick(s.get("brands"), value)
    elif action == "c":
        s["cat"] = _pick(s.get("cats"), value)
    elif action == "x":
        s.update(cat=None, pr=None, st=False, br=None)
    elif action == "d" and s.get("sug"):
        s["q"], s["sug"] = s["sug"], None


async def start_search(
    message: Message,
    text: str,
    state: FSMContext,
    search: SearchService,
    catalog: CatalogService,
    locale: str,
) -> None:
    k = secrets.randbelow(10**6)
    await state.update_data({KEY: {"k": k, "q": text, "pg": 1}})
    screen = await search_screen(state, search, catalog, locale, k)
    if screen is None:  # a newer search by the same person, handled meanwhile, replaced it
        return
    await present(message, *screen)


@router.message(Command("search"))
async def search_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    search: SearchService,
    catalog: CatalogService,
    locale: str,
    shelves: ShelfService,
    user: User,
) -> None:
    if not (command.args or "").strip():
        lines = [
            _(
                "Send /search and what you're looking for, e.g. <code>/search phone</code>, "
                "or just type the words."
            )
        ]
        kb = InlineKeyboard()
        shown = await _trending_instead(kb, lines, shelves, user.id, locale)
        markup = kb.as_markup() if shown else None
        await message.answer("\n\n".join(lines), reply_markup=markup)
        return
    await start_search(message, command.args or "", state, search, catalog, locale)


@router.message(StateFilter(None), F.text, ~F.text.startswith("/"), F.chat.type == "private")
async def search_plain_text(
    message: Message,
    state: FSMContext,
    search: SearchService,
    catalog: CatalogService,
    locale: str,
) -> None:
    await start_search(message, message.text or "", state, search, catalog, locale)


@router.callback_query(SearchCb.filter())
async def search_button(
    query: CallbackQuery,
    callback_data: SearchCb,
    state: FSMContext,
    search: SearchService,
    catalog: CatalogService,
    locale: str,
) -> None:
    cb = callback_data
    s = (await state.get_data()).get(KEY)
    if not s or s.get("k") != cb.k:
        await query.answer(_("This search has expired. Send your words again."), show_alert=True)
        return
    if cb.a in ("S", "P", "B", "C"):
        title, markup = await _menu(s, cb.a, search, catalog, locale)
        await state.update_data({KEY: s})
        await present(query, title, markup)
        return
    _apply(s, cb.a, cb.v)
    await state.update_data({KEY: s})
    screen = await search_screen(state, search, catalog, locale, cb.k)
    if screen is None:  # superseded meanwhile by a newer search: that one is on screen
        await query.answer()
        return
    await present(query, *screen)
