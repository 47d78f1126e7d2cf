"""Recommendation screens: ✨ For you, 🔁 Buy again, 🧺 Complete your order, 🔥 Trending,
🆕 New arrivals, and the owners' /rebuild_recs with the self-tuning's verdict."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.cart.service import CartService
from domain.recommend import RecommendationService
from domain.recommend.scorers import Blend
from domain.recommend.service import RecsQuality
from domain.recommend.shelves import Shelf, ShelfService
from domain.users.service import User
from handlers.admin.security import IsStaff
from handlers.cart.callbacks import CartCb
from handlers.catalog.screens import present
from handlers.common import MenuCb, catalog_button
from handlers.keyboard import InlineKeyboard
from handlers.recommend.keyboards import (
    RecCb,
    add_buy_again,
    add_shelf,
    discover_row,
    shelf_button,
    shelf_pager,
)

router = Router(name=__name__)
PREVIEW_SIZE = 4  # goods in the compact list after /start


Screen = tuple[str, InlineKeyboardMarkup, str | None]  # text, buttons, photo


def shelf_photo(shelf: Shelf) -> str | None:
    """The first photo among the listed goods: a list with goods that have photos is shown as
    that photo with the list as its caption, so shoppers see what they are offered."""
    return next((p.photos[0] for p in shelf.products if p.photos), None)


async def show_screen(target: Message | CallbackQuery, screen: Screen) -> None:
    text, markup, photo = screen
    await present(target, text, markup, photo=photo)


def _menu_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("🏠 Menu"), callback_data=MenuCb(to="home").pack())


async def for_you_screen(shelves: ShelfService, user: User, locale: str, page: int = 0) -> Screen:
    shelf = await shelves.for_you(user.id, page)
    kb = InlineKeyboard()
    add_shelf(kb, shelf, locale)
    kb.row(*shelf_pager(shelf, lambda n: RecCb(k="y", n=n).pack()))
    if shelf.empty:
        text = _("✨ Nothing to recommend yet. Browse the catalogue and I'll learn what you like.")
        kb.row(catalog_button())
    else:
        text = _("✨ <b>Picked for you</b> · page {page}").format(page=shelf.page + 1)
    kb.row(*discover_row())
    kb.row(_menu_button())
    return text, kb.as_markup(), shelf_photo(shelf)


async def buy_again_screen(
    shelves: ShelfService, user: User, locale: str, page: int = 0, back_to_cart: bool = False
) -> Screen:
    """What the shopper bought before, the most due first, each with a one-tap add."""
    shelf = await shelves.buy_again(user.id, page)
    kb = InlineKeyboard()
    add_buy_again(kb, shelf, locale)
    kb.row(*shelf_pager(shelf, lambda n: RecCb(k="b", n=n).pack()))
    if shelf.empty:
        text = _("🔁 Nothing to buy again yet: goods you order show up here.")
        kb.row(catalog_button())
    else:
        text = _("🔁 <b>Buy again</b> · page {page}").format(page=shelf.page + 1)
    if back_to_cart:
        back = CartCb(action="show").pack()
        kb.row(InlineKeyboardButton(text=_("⬅️ Back to cart"), callback_data=back))
    kb.row(shelf_button(_("✨ For you"), "y"), _menu_button())
    return text, kb.as_markup(), shelf_photo(shelf)


async def discover_screen(
    shelves: ShelfService, user: User, locale: str, kind: str, page: int = 0
) -> Screen:
    """Trending ("t") or new arrivals ("n")."""
    if kind == "n":
        shelf = await shelves.new_arrivals(user.id, page)
        title = _("🆕 <b>New arrivals</b> · page {page}")
        other = shelf_button(_("🔥 Trending"), "t")
    else:
        shelf = await shelves.trending(user.id, page)
        title = _("🔥 <b>Trending now</b> · page {page}")
        other = shelf_button(_("🆕 New arrivals"), "n")
    kb = InlineKeyboard()
    add_shelf(kb, shelf, locale)
    kb.row(*shelf_pager(shelf, lambda n: RecCb(k=kind, n=n).pack()))
    if shelf.empty:
        text = _("Nothing to show here yet.")
        kb.row(catalog_button())
    else:
        text = title.format(page=shelf.page + 1)
    kb.row(other, shelf_button(_("✨ For you"), "y"))
    kb.row(_menu_button())
    return text, kb.as_markup(), shelf_photo(shelf)


async def complete_order_screen(
    shelves: ShelfService, carts: CartService, user: User, locale: str
) -> Screen:
    """Goods that go with what is in the cart (one page: the cart is the context)."""
    cart = await carts.view(user.id, now=datetime.now(UTC))
    ids = list(dict.fromkeys(line.item.product_id for line in cart.lines))
    shelf = await shelves.complete_your_order(ids, user.id)
    kb = InlineKeyboard()
    add_shelf(kb, shelf, locale)
    text = (
        _("🧺 <b>Complete your order</b> — goes well with your cart:")
        if not shelf.empty
        else _("🧺 Nothing to suggest for your cart right now.")
    )
    back = CartCb(action="show").pack()
    kb.row(InlineKeyboardButton(text=_("⬅️ Back to cart"), callback_data=back))
    return text, kb.as_markup(), shelf_photo(shelf)


async def for_you_preview(
    shelves: ShelfService, user: User, locale: str
) -> tuple[str, InlineKeyboardMarkup] | None:
    """The compact list after /start: "Buy again" for people who ordered before (one tap
    puts a good back in the cart), else picks when their history drives them."""
    again = await shelves.buy_again(user.id, 0, PREVIEW_SIZE)
    if not again.empty:
        kb = InlineKeyboard()
        add_buy_again(kb, again, locale)
        kb.row(shelf_button(_("🔁 More to buy again"), "b"), shelf_button(_("✨ For you"), "y"))
        return _("🔁 <b>Buy again</b>"), kb.as_markup()
    shelf = await shelves.for_you(user.id, 0, PREVIEW_SIZE)
    if shelf.empty or not shelf.personal:
        return None
    kb = InlineKeyboard()
    add_shelf(kb, shelf, locale)
    kb.row(shelf_button(_("✨ More for you"), "y", 0))
    return _("✨ <b>Picked for you</b>"), kb.as_markup()


@router.callback_query(MenuCb.filter(F.to == "foryou"))
async def for_you_button(
    query: CallbackQuery, shelves: ShelfService, user: User, locale: str
) -> None:
    await show_screen(query, await for_you_screen(shelves, user, locale))


@router.message(Command("foryou"))
async def for_you_command(
    message: Message, shelves: ShelfService, user: User, locale: str
) -> None:
    await show_screen(message, await for_you_screen(shelves, user, locale))


@router.message(Command("buyagain"))
async def buy_again_command(
    message: Message, shelves: ShelfService, user: User, locale: str
) -> None:
    await show_screen(message, await buy_again_screen(shelves, user, locale))


@router.callback_query(RecCb.filter(F.k == "bc"))
async def buy_again_from_cart(
    query: CallbackQuery, shelves: ShelfService, user: User, locale: str
) -> None:
    await show_screen(query, await buy_again_screen(shelves, user, locale, back_to_cart=True))


@router.callback_query(RecCb.filter(F.k.in_({"y", "t", "n", "b"})))
async def shelf_page(
    query: CallbackQuery, callback_data: RecCb, shelves: ShelfService, user: User, locale: str
) -> None:
    cb = callback_data
    if cb.k == "y":
        screen = await for_you_screen(shelves, user, locale, cb.n)
    elif cb.k == "b":
        screen = await buy_again_screen(shelves, user, locale, cb.n)
    else:
        screen = await discover_screen(shelves, user, locale, cb.k, cb.n)
    await show_screen(query, screen)


@router.callback_query(RecCb.filter(F.k == "c"))
async def complete_order(
    query: CallbackQuery, shelves: ShelfService, carts: CartService, user: User, locale: str
) -> None:
    await show_screen(query, await complete_order_screen(shelves, carts, user, locale))


def blend_label(blend: Blend) -> str:
    """The served blend in the merchant's words (the parts that carry weight)."""
    parts = []
    if blend.repeat > 0:
        parts.append(_("buy again"))
    if blend.discovery > 0:
        scorers = {
            "knn": _("bought by the same people (item-kNN)"),
            "ease": _("shoppers' whole baskets (EASE)"),
            "content": _("similar descriptions"),
            "similar": _("similar goods"),
        }
        parts.append(scorers.get(blend.scorer, blend.scorer))
    if blend.popular > 0 and (
        not parts or blend.popular >= 0.05 * max(blend.repeat, blend.discovery)
    ):
        parts.append(_("bestsellers"))
    return " + ".join(parts)


def quality_lines(quality: RecsQuality | None) -> list[str]:
    """The self-tuning's verdict for merchants: the blend served and its hit rate against
    bestsellers on the shop's own held-out orders (or why it could not be judged)."""
    if quality is None:
        return [_("Recommendations: no model built yet.")]
    v = quality.validation
    lines = [_("Serving: <b>{blend}</b>").format(blend=blend_label(quality.blend))]
    if v.users == 0:
        lines.append(
            _(
                "Too few repeat customers to test it yet; bestsellers and similar "
                "goods are served until there are more."
            )
        )
        return lines
    lines.append(
        _(
            "Hit rate on {users} customers' latest orders: {rate}% (bestsellers {base}%), "
            "{lift}× bestsellers."
        ).format(
            users=v.users,
            rate=f"{v.hit_rate * 100:.1f}",
            base=f"{v.bestsellers * 100:.1f}",
            lift=f"{v.lift:.2f}",
        )
    )
    return lines


@router.message(Command("rebuild_recs"), IsStaff("owner"))
async def rebuild_recs(message: Message, recs: RecommendationService) -> None:
    """Owners: fold the latest events into the model now (a full rebuild with "full")."""
    full = (message.text or "").split(maxsplit=1)[1:] == ["full"]
    report = await recs.rebuild(full=full)
    await recs.reload()
    built = _(
        "✅ Recommendations rebuilt: {events} new events read, {items} goods in the model, "
        "built in {seconds} s."
    ).format(events=report.events_read, items=report.items, seconds=f"{report.seconds:.2f}")
    await message.answer("\n".join([built, *quality_lines(recs.quality())]))
