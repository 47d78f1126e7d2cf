"""Product reviews on the card: a paged list with merchant replies, and writing one
(stars, then optional words, then an optional photo) for people who received the product."""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from babel.dates import format_date

from domain.catalog.service import CatalogService
from domain.reviews.service import Review, ReviewService, clean_review_text, validate_rating
from domain.users.service import User
from handlers.catalog.callbacks import CardCb, ReviewCb
from handlers.catalog.keyboards import pager_row
from handlers.catalog.render import rating_line, stars
from handlers.catalog.screens import present
from handlers.common import esc, fit
from handlers.keyboard import InlineKeyboard

router = Router(name=__name__)
KEY = "rv"
TEXT_SHOWN = 400  # per review in the list; five of them stay well inside a message
REPLY_SHOWN = 250


class ReviewForm(StatesGroup):
    rating = State()
    text = State()
    photo = State()


def _review_block(review: Review, locale: str) -> str:
    when = format_date(review.updated_at, format="medium", locale=locale)
    lines = [f"{stars(review.rating)} <b>{esc(fit(review.author, 40))}</b> · {when}"]
    if review.text:
        lines.append(esc(fit(review.text, TEXT_SHOWN)))
    if review.photo:
        lines.append(_("📷 with a photo"))
    if review.reply:
        lines.append(
            _("💬 <i>Shop:</i> {reply}").format(reply=esc(fit(review.reply, REPLY_SHOWN)))
        )
    return "\n".join(lines)


async def reviews_screen(
    reviews: ReviewService,
    catalog: CatalogService,
    locale: str,
    product_id: int,
    page: int = 1,
    origin: str = "",
) -> tuple[str, InlineKeyboardMarkup]:
    product = await catalog.product(product_id)
    found = await reviews.reviews(product_id, page)
    title = esc(fit(product.title.get(locale), 150))
    lines = [_("⭐ <b>Reviews of {title}</b>").format(title=title), rating_line(product)]
    if found.total:
        lines.append(_("Page {page}/{pages}").format(page=found.page, pages=found.pages))
        lines.extend("\n" + _review_block(r, locale) for r in found.items)
    kb = InlineKeyboard()
    kb.row(*pager_row(found, lambda n: ReviewCb(a="l", p=product_id, n=n, o=origin)))
    photos = [
        InlineKeyboardButton(
            text="📷 " + fit(r.author, 20), callback_data=ReviewCb(a="ph", p=r.id).pack()
        )
        for r in found.items
        if r.photo
    ]
    if photos:
        kb.row(*photos)
    write = ReviewCb(a="w", p=product_id, o=origin).pack()
    kb.row(InlineKeyboardButton(text=_("✍️ Write a review"), callback_data=write))
    back = CardCb(a="v", p=product_id, o=origin).pack()
    kb.row(InlineKeyboardButton(text=_("⬅️ Back to product"), callback_data=back))
    return "\n".join(lines), kb.as_markup()


def _step_keyboard(product_id: int, skip: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    if skip:
        kb.button(text=_("⏭ Skip"), callback_data=ReviewCb(a="k", p=product_id))
    kb.button(text=_("✖️ Cancel"), callback_data=ReviewCb(a="x", p=product_id))
    return kb.as_markup()


async def _form(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get(KEY) or {})


async def _leave_form(state: FSMContext) -> dict[str, Any]:
    """End the dialog but keep other features' data (e.g. the current search)."""
    data = await state.get_data()
    form = dict(data.pop(KEY, None) or {})
    await state.set_state(None)
    await state.set_data(data)
    return form


@router.callback_query(ReviewCb.filter(F.a == "l"))
async def list_reviews(
    query: CallbackQuery,
    callback_data: ReviewCb,
    reviews: ReviewService,
    catalog: CatalogService,
    locale: str,
) -> None:
    cb = callback_data
    await present(query, *await reviews_screen(reviews, catalog, locale, cb.p, cb.n, cb.o))


@router.callback_query(ReviewCb.filter(F.a == "ph"))
async def review_photo(
    query: CallbackQuery, callback_data: ReviewCb, reviews: ReviewService
) -> None:
    review = await reviews.visible(callback_data.p)
    await query.answer()
    if review.photo and isinstance(query.message, Message):
        caption = f"{stars(review.rating)} {esc(fit(review.author, 40))}"
        await query.message.answer_photo(review.photo, caption=caption)


@router.callback_query(ReviewCb.filter(F.a == "w"))
async def start_review(
    query: CallbackQuery,
    callback_data: ReviewCb,
    state: FSMContext,
    reviews: ReviewService,
    catalog: CatalogService,
    user: User,
    locale: str,
) -> None:
    product = await catalog.product(callback_data.p)
    await reviews.ensure_can_review(user.id, product.id)
    mine = await reviews.mine(user.id, product.id)
    await state.set_state(ReviewForm.rating)
    await state.update_data({KEY: {"p": product.id, "o": callback_data.o}})
    lines = [
        _("How many stars would you give <b>{title}</b>?").format(
            title=esc(fit(product.title.get(locale), 150))
        )
    ]
    if mine is not None:
        lines.append(
            _("You reviewed it before ({stars}); a new review replaces it.").format(
                stars=stars(mine.rating)
            )
        )
    kb = InlineKeyboard()
    for n in range(1, 6):
        kb.button(text="⭐" * n, callback_data=ReviewCb(a="r", p=product.id, n=n))
    kb.button(text=_("✖️ Cancel"), callback_data=ReviewCb(a="x", p=product.id))
    kb.adjust(1)
    await present(query, "\n".join(lines), kb.as_markup())


@router.callback_query(ReviewForm.rating, ReviewCb.filter(F.a == "r"))
async def got_rating(query: CallbackQuery, callback_data: ReviewCb, state: FSMContext) -> None:
    form = await _form(state)
    if form.get("p") != callback_data.p:
        await query.answer(_("This button is no longer active."), show_alert=True)
        return
    form["r"] = validate_rating(callback_data.n)
    await state.set_state(ReviewForm.text)
    await state.update_data({KEY: form})
    text = _("{stars}\nNow a few words about it (up to 1000 characters), or skip.")
    await present(query, text.format(stars=stars(form["r"])), _step_keyboard(form["p"], True))


@router.message(ReviewForm.text, F.text, ~F.text.startswith("/"))
async def got_text(message: Message, state: FSMContext) -> None:
    form = await _form(state)
    form["t"] = clean_review_text(message.text)  # too long: explained, and we stay here
    await state.set_state(ReviewForm.photo)
    await state.update_data({KEY: form})
    await message.answer(
        _("Add a photo of the product, or skip."), reply_markup=_step_keyboard(form["p"], True)
    )


@router.callback_query(ReviewForm.text, ReviewCb.filter(F.a == "k"))
async def skip_text(query: CallbackQuery, state: FSMContext) -> None:
    form = await _form(state)
    form["t"] = ""
    await state.set_state(ReviewForm.photo)
    await state.update_data({KEY: form})
    text = _("Add a photo of the product, or skip.")
    await present(query, text, _step_keyboard(form["p"], True))


@router.message(ReviewForm.photo, F.photo)
async def got_photo(
    message: Message,
    state: FSMContext,
    reviews: ReviewService,
    catalog: CatalogService,
    user: User,
    locale: str,
) -> None:
    assert message.photo
    await _publish(message, state, reviews, catalog, user, locale, message.photo[-1].file_id)


@router.message(ReviewForm.photo)
async def not_a_photo(message: Message, state: FSMContext) -> None:
    form = await _form(state)
    await message.answer(
        _("Please send a photo, or press Skip."), reply_markup=_step_keyboard(form["p"], True)
    )


@router.callback_query(ReviewForm.photo, ReviewCb.filter(F.a == "k"))
async def skip_photo(
    query: CallbackQuery,
    state: FSMContext,
    reviews: ReviewService,
    catalog: CatalogService,
    user: User,
    locale: str,
) -> None:
    assert isinstance(query.message, Message)
    await _publish(query.message, state, reviews, catalog, user, locale, None)
    await query.answer()


async def _publish(
    message: Message,
    state: FSMContext,
    reviews: ReviewService,
    catalog: CatalogService,
    user: User,
    locale: str,
    photo: str | None,
) -> None:
    form = await _form(state)
    await reviews.write(user.id, form["p"], form["r"], form.get("t"), photo)
    await _leave_form(state)
    await message.answer(_("Thank you! Your review is published."))
    screen = await reviews_screen(reviews, catalog, locale, form["p"], 1, form.get("o", ""))
    await message.answer(screen[0], reply_markup=screen[1])


@router.callback_query(
    StateFilter(ReviewForm.rating, ReviewForm.text, ReviewForm.photo),
    ReviewCb.filter(F.a == "x"),
)
async def cancel_review(
    query: CallbackQuery,
    state: FSMContext,
    reviews: ReviewService,
    catalog: CatalogService,
    locale: str,
) -> None:
    form = await _leave_form(state)
    screen = await reviews_screen(reviews, catalog, locale, form["p"], 1, form.get("o", ""))
    await present(query, *screen, notice=_("Cancelled."))
