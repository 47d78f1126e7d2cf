"""Review moderation: the newest reviews (paged), one review with hide/unhide and a public
reply (shown under the review on the product card)."""

from __future__ import annotations

from aiogram import F
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.reviews.moderation import ReviewModeration, ReviewPage
from domain.reviews.service import Review
from handlers.admin.callbacks import AdminCb
from handlers.admin.render import page_nav
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.common import DbId, esc, fit, show
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__)


class ReviewModCb(CallbackData, prefix="adr"):
    act: str  # list, open, hide, show, reply
    id: DbId = 0
    p: DbId = 1


class ReplyForm(StatesGroup):
    text = State()


def _mark(review: Review) -> str:
    return ("🙈" if review.hidden else "") + ("💬" if review.reply else "")


def list_view(page: ReviewPage) -> tuple[str, InlineKeyboardMarkup]:
    if not page.items:
        text = _("💬 <b>Reviews</b>\n\nNo reviews yet.")
    else:
        text = _(
            "💬 <b>Reviews</b>, newest first (page {page}/{pages}). 🙈 hidden, 💬 answered."
        ).format(page=page.page, pages=page.pages)
    kb = InlineKeyboard()
    for r in page.items:
        label = f"{'★' * r.rating} #{r.product_id} {r.author}: {r.text or '—'} {_mark(r)}"
        kb.button(text=fit(label, 60), callback_data=ReviewModCb(act="open", id=r.id, p=page.page))
    kb.adjust(1)
    nav = page_nav(page.page, page.pages, lambda n: ReviewModCb(act="list", p=n))
    nav.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    kb.attach(nav)
    return text, kb.as_markup()


def review_view(review: Review, page: int) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        _("💬 <b>Review #{id}</b> of product #{product}").format(
            id=review.id, product=review.product_id
        ),
        f"{'★' * review.rating}{'☆' * (5 - review.rating)} — {esc(review.author)}",
        esc(review.text) if review.text else _("(rating only)"),
    ]
    if review.hidden:
        lines.append(_("🙈 Hidden from shoppers."))
    if review.reply:
        lines.append(_("💬 <i>Shop:</i> {reply}").format(reply=esc(review.reply)))
    kb = InlineKeyboard()
    if review.hidden:
        kb.button(text=_("👁 Show again"), callback_data=ReviewModCb(act="show", id=review.id))
    else:
        kb.button(text=_("🙈 Hide"), callback_data=ReviewModCb(act="hide", id=review.id))
    kb.button(text=_("✍️ Reply"), callback_data=ReviewModCb(act="reply", id=review.id))
    kb.button(text=_("⬅️ Reviews"), callback_data=ReviewModCb(act="list", p=page))
    kb.adjust(2, 1)
    return fit("\n".join(lines)), kb.as_markup()


@router.callback_query(AdminCb.filter(F.to == "reviews"))
@router.callback_query(ReviewModCb.filter(F.act == "list"))
async def reviews_list(
    query: CallbackQuery,
    state: FSMContext,
    moderation: ReviewModeration,
    callback_data: ReviewModCb | AdminCb,
) -> None:
    await state.clear()
    page = callback_data.p if isinstance(callback_data, ReviewModCb) else 1
    await show(query, *list_view(await moderation.page(page)))


@router.callback_query(ReviewModCb.filter(F.act == "open"))
async def review_open(
    query: CallbackQuery,
    callback_data: ReviewModCb,
    state: FSMContext,
    moderation: ReviewModeration,
) -> None:
    await state.clear()
    await show(query, *review_view(await moderation.get(callback_data.id), callback_data.p))


@router.callback_query(ReviewModCb.filter(F.act.in_({"hide", "show"})))
async def review_hide(
    query: CallbackQuery, callback_data: ReviewModCb, moderation: ReviewModeration
) -> None:
    hidden = callback_data.act == "hide"
    review = await moderation.set_hidden(query.from_user.id, callback_data.id, hidden)
    notice = _("Hidden from the product card.") if hidden else _("Shown on the product card.")
    await show(query, *review_view(review, 1), notice)


@router.callback_query(ReviewModCb.filter(F.act == "reply"))
async def review_reply(
    query: CallbackQuery,
    callback_data: ReviewModCb,
    state: FSMContext,
    moderation: ReviewModeration,
) -> None:
    review = await moderation.get(callback_data.id)
    await state.set_state(ReplyForm.text)
    await state.update_data(review_id=review.id)
    kb = InlineKeyboard()
    kb.button(text=_("✖️ Cancel"), callback_data=ReviewModCb(act="open", id=review.id))
    await show(
        query, _("Send the shop's answer to this review (- removes the answer)."), kb.as_markup()
    )


@router.message(ReplyForm.text, F.text, NOT_COMMAND)
async def got_reply(message: Message, state: FSMContext, moderation: ReviewModeration) -> None:
    assert message.from_user is not None
    data = await state.get_data()
    review = await moderation.reply(
        message.from_user.id, int(data["review_id"]), message.text or ""
    )
    await state.clear()
    text, markup = review_view(review, 1)
    await message.answer(_("✅ Reply saved.") + "\n\n" + text, reply_markup=markup)


@router.message(ReplyForm.text, NOT_COMMAND)
async def reply_not_text(message: Message) -> None:
    await message.answer(_("Please send this as text."))
