"""Categories: browse the tree, create (then "Add another" at the same level), rename
(English and Chinese), move, reorder."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.catalog.merchant import MerchantService, ancestry, category_label
from domain.catalog.service import Category, CategoryNotFound
from handlers.admin.callbacks import AdminCb, CatCb
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.admin.states import CategoryForm
from handlers.common import esc, show
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__)


def _children(categories: dict[int, Category], parent: int | None) -> list[Category]:
    return sorted(
        (c for c in categories.values() if c.parent_id == parent), key=lambda c: (c.position, c.id)
    )


async def show_level(
    target: Message | CallbackQuery,
    merchant: MerchantService,
    category_id: int | None,
    locale: str,
    notice: str | None = None,
    another_in: int | None = None,
) -> None:
    """A category (None: the top level) with its sub-categories and the actions on it.
    `another_in` (a parent id, 0 for the top level): offer "Add another" there first."""
    categories = {c.id: c for c in await merchant.categories()}
    if category_id is not None and category_id not in categories:
        raise CategoryNotFound()
    kb = InlineKeyboard()
    for child in _children(categories, category_id)[:80]:
        mark = "" if child.active else " ⚪️"
        kb.button(text=child.name.get(locale) + mark, callback_data=CatCb(act="open", id=child.id))
    kb.adjust(2)
    actions = InlineKeyboard()
    if another_in is not None:
        actions.button(text=_("➕ Add another"), callback_data=CatCb(act="new", id=another_in))
    actions.button(text=_("➕ New here"), callback_data=CatCb(act="new", id=category_id or 0))
    if category_id is None:
        text = _("🗂 <b>Categories</b> (top level)")
        actions.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    else:
        category = categories[category_id]
        text = _("🗂 <b>{path}</b>").format(
            path=esc(category_label(categories, category_id, locale))
        )
        if category.name.zh:
            text += "\n" + _("English: {en} · Chinese: {zh}").format(
                en=esc(category.name.en), zh=esc(category.name.zh)
            )
        for act, label in (
            ("rename", _("✏️ Rename")),
            ("move", _("↪️ Move")),
            ("up", _("🔼 Up")),
            ("down", _("🔽 Down")),
        ):
            actions.button(text=label, callback_data=CatCb(act=act, id=category_id))
        actions.button(
            text=_("⬅️ Back"), callback_data=CatCb(act="open", id=category.parent_id or 0)
        )
    actions.adjust(2)
    kb.attach(actions)
    if notice and isinstance(target, Message):
        text = f"{notice}\n\n{text}"
    await show(target, text, kb.as_markup(), notice)


def _cancel(category_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("✖️ Cancel"), callback_data=CatCb(act="open", id=category_id))
    return kb.as_markup()


@router.callback_query(AdminCb.filter(F.to == "categories"))
async def categories_section(
    query: CallbackQuery, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    await state.clear()
    await show_level(query, merchant, None, locale)


@router.callback_query(CatCb.filter(F.act == "open"))
async def open_category(
    query: CallbackQuery,
    callback_data: CatCb,
    state: FSMContext,
    merchant: MerchantService,
    locale: str,
) -> None:
    await state.clear()
    await show_level(query, merchant, callback_data.id or None, locale)


@router.callback_query(CatCb.filter(F.act.in_({"new", "rename"})))
async def ask_name(
    query: CallbackQuery, callback_data: CatCb, state: FSMContext, merchant: MerchantService
) -> None:
    categories = {c.id: c for c in await merchant.categories()}
    if callback_data.id and callback_data.id not in categories:
        raise CategoryNotFound()
    await state.set_state(CategoryForm.name if callback_data.act == "new" else CategoryForm.rename)
    await state.update_data(category_id=callback_data.id)
    text = _(
        "Send the name in English, optionally then ' | ' and the Chinese name, "
        "e.g. <code>Green tea | 绿茶</code>."
    )
    await show(query, text, _cancel(callback_data.id))


@router.message(CategoryForm.name, F.text, NOT_COMMAND)
@router.message(CategoryForm.rename, F.text, NOT_COMMAND)
async def got_name(
    message: Message, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    assert message.from_user is not None
    en, _sep, zh = (message.text or "").partition("|")
    data = await state.get_data()
    target = int(data["category_id"])
    if await state.get_state() == CategoryForm.name.state:
        created = await merchant.create_category(message.from_user.id, en, zh, target or None)
        await state.clear()
        await show_level(
            message,
            merchant,
            created.id,
            locale,
            _("Category created."),
            another_in=created.parent_id or 0,
        )
        return
    await merchant.rename_category(message.from_user.id, target, en, zh)
    await state.clear()
    await show_level(message, merchant, target, locale, _("Renamed."))


@router.message(CategoryForm.name, NOT_COMMAND)
@router.message(CategoryForm.rename, NOT_COMMAND)
async def name_not_text(message: Message) -> None:
    await message.answer(_("Please send this as text."))


@router.callback_query(CatCb.filter(F.act == "move"))
async def ask_parent(
    query: CallbackQuery, callback_data: CatCb, merchant: MerchantService, locale: str
) -> None:
    categories = {c.id: c for c in await merchant.categories()}
    if callback_data.id not in categories:
        raise CategoryNotFound()
    kb = InlineKeyboard()
    kb.button(text=_("⤴️ Top level"), callback_data=CatCb(act="to", id=callback_data.id, arg=0))
    for other in sorted(categories, key=lambda c: category_label(categories, c, locale))[:90]:
        if callback_data.id in ancestry(categories, other):
            continue  # itself and its own descendants: moving there would make a cycle
        kb.button(
            text=category_label(categories, other, locale)[:60],
            callback_data=CatCb(act="to", id=callback_data.id, arg=other),
        )
    kb.button(text=_("✖️ Cancel"), callback_data=CatCb(act="open", id=callback_data.id))
    kb.adjust(1)
    await show(query, _("Move it under which category?"), kb.as_markup())


@router.callback_query(CatCb.filter(F.act == "to"))
async def move(
    query: CallbackQuery, callback_data: CatCb, merchant: MerchantService, locale: str
) -> None:
    await merchant.move_category(query.from_user.id, callback_data.id, callback_data.arg or None)
    await show_level(query, merchant, callback_data.id, locale, _("Moved."))


@router.callback_query(CatCb.filter(F.act.in_({"up", "down"})))
async def reorder(
    query: CallbackQuery, callback_data: CatCb, merchant: MerchantService, locale: str
) -> None:
    step = -1 if callback_data.act == "up" else 1
    await merchant.reorder_category(query.from_user.id, callback_data.id, step)
    categories = {c.id: c for c in await merchant.categories()}
    parent = categories[callback_data.id].parent_id if callback_data.id in categories else None
    await show_level(query, merchant, parent, locale, _("Order changed."))
