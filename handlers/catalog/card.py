"""The product card: photo gallery, variants, favourite, similar items, share and Back."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.catalog.search import SearchService
from domain.catalog.service import CatalogService, CategoryNotFound, ProductNotFound
from domain.recommend import EventLog
from domain.recommend.shelves import ShelfService
from domain.subscriptions.service import SubscriptionService
from domain.users.service import User
from handlers.catalog.browse import category_screen, roots_screen
from handlers.catalog.callbacks import CardCb, parse_origin
from handlers.catalog.keyboards import card_keyboard, product_rows
from handlers.catalog.lists import favourites_screen, history_screen
from handlers.catalog.render import card_caption
from handlers.catalog.screens import present
from handlers.catalog.search import KEY as SEARCH_KEY
from handlers.catalog.search import search_screen
from handlers.common import esc, fit
from handlers.keyboard import InlineKeyboard
from handlers.recommend.keyboards import shelf_pager
from handlers.subscriptions.shopper import plan_button
from handlers.support.callbacks import with_contact

router = Router(name=__name__)
MAX_DB_ID = 2**31 - 1


async def bot_username(bot: Bot) -> str:
    """Asked once: aiogram keeps getMe's answer for the bot's lifetime."""
    return (await bot.me()).username or ""


async def card_view(
    catalog: CatalogService,
    bot: Bot,
    user: User,
    locale: str,
    product_id: int,
    variant_id: int = 0,
    photo_index: int = 0,
    origin: str = "",
    *,
    viewed: bool = False,
    events: EventLog | None = None,
    subscriptions: SubscriptionService | None = None,
) -> tuple[str, InlineKeyboardMarkup, str | None]:
    """Caption, keyboard and photo of a card; `viewed` counts a view and records history
    (and, with `events`, tells the recommender); a product sold as a Stars subscription gets
    a Subscribe button (handlers/subscriptions)."""
    detail = await catalog.detail(product_id, viewer_id=user.id if viewed else None)
    if viewed and events is not None:
        events.viewed(user.id, product_id)
    variant = detail.variant(variant_id) if variant_id else None
    photos = detail.product.photos
    index = photo_index % len(photos) if photos else 0
    favourite = await catalog.is_favourite(user.id, product_id)
    caption = card_caption(detail, variant, locale, index)
    markup = card_keyboard(
        detail, variant, index, favourite, origin, await bot_username(bot), locale
    )
    plan = await subscriptions.plan_for_product(product_id) if subscriptions else None
    if plan is not None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[plan_button(plan)], *markup.inline_keyboard]
        )
    markup = with_contact(markup, "product", product_id)  # a question about it (support)
    return caption, markup, photos[index] if photos else None


async def send_product_card(
    message: Message,
    catalog: CatalogService,
    bot: Bot,
    user: User,
    locale: str,
    product_id: int,
    events: EventLog | None = None,
    subscriptions: SubscriptionService | None = None,
) -> bool:
    """Open a card as a new message (deep links); False when the product isn't available."""
    if not 0 < product_id <= MAX_DB_ID:
        return False
    try:
        caption, markup, photo = await card_view(
            catalog,
            bot,
            user,
            locale,
            product_id,
            viewed=True,
            events=events,
            subscriptions=subscriptions,
        )
    except ProductNotFound:
        return False
    await present(message, caption, markup, photo=photo)
    return True


@router.callback_query(CardCb.filter(F.a.in_({"o", "v", "g", "f"})))
async def card_action(
    query: CallbackQuery,
    callback_data: CardCb,
    catalog: CatalogService,
    bot: Bot,
    user: User,
    locale: str,
    recs_events: EventLog,
    state: FSMContext,
    subscriptions: SubscriptionService,
) -> None:
    cb = callback_data
    notice = None
    if cb.a == "f":
        now = await catalog.toggle_favourite(user.id, cb.p)
        notice = _("Added to favourites.") if now else _("Removed from favourites.")
        if now:
            recs_events.favourited(user.id, cb.p)
    caption, markup, photo = await card_view(
        catalog,
        bot,
        user,
        locale,
        cb.p,
        cb.v,
        cb.i,
        cb.o,
        viewed=cb.a == "o",
        events=recs_events,
        subscriptions=subscriptions,
    )
    if cb.a == "o":
        await _record_search_click(state, recs_events, user, cb)
    # Only the gallery arrows and opening change the picture; the rest edits the caption.
    same_photo = cb.a in ("v", "f")
    await present(query, caption, markup, photo=photo, same_photo=same_photo, notice=notice)


async def _record_search_click(
    state: FSMContext, events: EventLog, user: User, cb: CardCb
) -> None:
    """A card opened from the current search's results: the query and the clicked product."""
    back = parse_origin(cb.o)
    if back.kind != "search":
        return
    current = (await state.get_data()).get(SEARCH_KEY)
    if current and current.get("k") == back.ref and current.get("q"):
        events.search_clicked(user.id, str(current["q"]), cb.p)


@router.callback_query(CardCb.filter(F.a.in_({"s", "t"})))
async def related_items(
    query: CallbackQuery,
    callback_data: CardCb,
    catalog: CatalogService,
    shelves: ShelfService,
    user: User,
    locale: str,
) -> None:
    """The "Similar" (s) and "Bought together" (t) lists, a page at a time (page in `i`)."""
    cb = callback_data
    product = await catalog.product(cb.p)
    if cb.a == "s":
        shelf = await shelves.similar(product.id, user.id, cb.i)
    else:
        shelf = await shelves.bought_together(product.id, user.id, cb.i)
    kb = InlineKeyboard()
    for row in product_rows(shelf.products, locale, ""):
        kb.row(*row)
    page = CardCb(a=cb.a, p=product.id, v=cb.v, o=cb.o, i=0)
    kb.row(*shelf_pager(shelf, lambda n: page.model_copy(update={"i": n}).pack()))
    back = CardCb(a="o", p=product.id, v=cb.v, o=cb.o)
    kb.row(InlineKeyboardButton(text=_("⬅️ Back"), callback_data=back.pack()))
    title = esc(fit(product.title.get(locale), 200))
    if cb.a == "s":
        text = (
            _("🧩 Similar to <b>{title}</b>:").format(title=title)
            if not shelf.empty
            else _("Nothing similar to <b>{title}</b> yet.").format(title=title)
        )
    else:
        text = (
            _("🛍 Often bought together with <b>{title}</b>:").format(title=title)
            if not shelf.empty
            else _("Nothing is bought together with <b>{title}</b> yet.").format(title=title)
        )
    await present(query, text, kb.as_markup())


@router.callback_query(CardCb.filter(F.a == "b"))
async def back_from_card(
    query: CallbackQuery,
    callback_data: CardCb,
    catalog: CatalogService,
    search: SearchService,
    state: FSMContext,
    user: User,
    locale: str,
) -> None:
    back = parse_origin(callback_data.o)
    screen = None
    if back.kind == "search":
        screen = await search_screen(state, search, catalog, locale, back.ref, back.page)
    elif back.kind == "favourites":
        screen = await favourites_screen(catalog, user, locale, back.page)
    elif back.kind == "history":
        screen = await history_screen(catalog, user, locale, back.page)
    elif back.kind == "category":
        screen = await _category_or_roots(catalog, locale, back.ref, back.page)
    if screen is None:  # no origin, or the search expired: the product's own category
        try:
            product = await catalog.product(callback_data.p)
            screen = await _category_or_roots(catalog, locale, product.category_id, 1)
        except ProductNotFound:
            screen = await roots_screen(catalog, locale)
    await present(query, *screen)


async def _category_or_roots(
    catalog: CatalogService, locale: str, category_id: int, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    try:
        return await category_screen(catalog, locale, category_id, page)
    except CategoryNotFound:
        return await roots_screen(catalog, locale)
