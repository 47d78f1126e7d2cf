"""The "new product" dialog: one step per field, each validated, with Back, Skip and Cancel.

Steps live in STEPS; the answers so far are kept in the FSM data, so Back re-asks the previous
question and Save builds one ProductDraft for MerchantService.create_product.
"""

from __future__ import annotations

import secrets
from typing import Any

from aiogram import F
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.catalog.merchant import MerchantService, category_label
from domain.catalog.merchant_input import (
    MAX_PHOTOS,
    clean_description,
    clean_title,
    parse_count,
    parse_price,
    parse_specs,
)
from domain.catalog.service import Localized, ProductDraft
from domain.catalog.types import ProductKind, product_kind
from domain.kernel.i18n import N_
from domain.kernel.money import money
from domain.orders.rules import unit_stars
from domain.orders.service import OrderService
from handlers.admin.callbacks import NewGoodsCb
from handlers.admin.goods import collect_photo, goods_menu, show_product
from handlers.admin.render import category_picker
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.admin.states import NewProduct
from handlers.common import esc, show
from handlers.fallback import STALE_BUTTON
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__)

STEPS: list[State] = [
    NewProduct.title_en,
    NewProduct.title_zh,
    NewProduct.description,
    NewProduct.category,
    NewProduct.price,
    NewProduct.photos,
    NewProduct.specs,
    NewProduct.stock,
    NewProduct.threshold,
    NewProduct.confirm,
]
OPTIONAL = {
    NewProduct.title_zh,
    NewProduct.description,
    NewProduct.photos,
    NewProduct.specs,
    NewProduct.threshold,
}
QUESTIONS = {
    NewProduct.title_en: N_("Send the product title in English."),
    NewProduct.title_zh: N_("Send the title in Chinese, or press Skip."),
    NewProduct.description: N_("Send a description, or press Skip."),
    NewProduct.category: N_("Choose the category."),
    NewProduct.price: N_("Send the price in {currency}, e.g. 12.50."),
    NewProduct.photos: N_(
        "Send photos (as photos, up to {max}), then press Done. Photos so far: {count}."
    ),
    NewProduct.specs: N_(
        "Send specs, one 'key: value' per line (e.g. 'Weight: 250 g'), or press Skip."
    ),
    NewProduct.stock: N_("How many are in stock? Send a whole number, e.g. 25."),
    NewProduct.threshold: N_(
        "Warn me when stock falls to how many? Send a number, or Skip for 3."
    ),
}


KINDS = {
    ProductKind.PHYSICAL: N_("📦 Goods we ship"),
    ProductKind.DIGITAL: N_("🔑 Digital: codes, keys, links or files"),
    ProductKind.SERVICE: N_("🛠 A service (no stock, no shipping)"),
}
STARS_QUESTION = N_(
    "Digital goods and services are paid in Telegram Stars. Send its price in "
    "Stars (a whole number), or press Skip to use {stars} ⭐ from the shop's rate."
)


def _kind(data: dict[str, Any]) -> ProductKind:
    return product_kind(data.get("kind"))


def _steps(data: dict[str, Any]) -> list[State]:
    """A service has no stock to warn about; for digital goods and services the stock step
    asks for the Stars price instead (a digital good's stock is its codes, added later)."""
    if _kind(data) is ProductKind.SERVICE:
        return [s for s in STEPS if s != NewProduct.threshold]
    return STEPS


def _optional(data: dict[str, Any]) -> set[State]:
    return OPTIONAL | ({NewProduct.stock} if not _kind(data).ships else set())


def _keyboard(
    step: State, extra: InlineKeyboard | None = None, optional: set[State] = OPTIONAL
) -> InlineKeyboardMarkup:
    controls = InlineKeyboard()
    if step == NewProduct.photos:
        controls.button(text=_("✅ Done"), callback_data=NewGoodsCb(act="done"))
    elif step in optional:
        controls.button(text=_("⏭ Skip"), callback_data=NewGoodsCb(act="skip"))
    if step != STEPS[0]:
        controls.button(text=_("⬅️ Back"), callback_data=NewGoodsCb(act="back"))
    controls.button(text=_("✖️ Cancel"), callback_data=NewGoodsCb(act="cancel"))
    controls.adjust(3)
    kb = extra or InlineKeyboard()
    kb.attach(controls)
    return kb.as_markup()


async def ask(
    target: Message | CallbackQuery,
    state: FSMContext,
    step: State,
    merchant: MerchantService,
    locale: str,
    parent: int | None = None,
) -> None:
    await state.set_state(step)
    data = await state.get_data()
    if step == NewProduct.confirm:
        await show(target, summary(data, merchant.currency, locale), _confirm_keyboard())
        return
    text = _(QUESTIONS[step]).format(
        currency=merchant.currency, max=MAX_PHOTOS, count=len(data.get("photos", []))
    )
    if step == NewProduct.stock and not _kind(data).ships:
        rate = int(data.get("rate", 1))
        stars = unit_stars(int(data["price"]), merchant.currency, None, rate)
        text = _(STARS_QUESTION).format(stars=stars)
    questions = [s for s in _steps(data) if s != NewProduct.confirm]  # a service has fewer
    if step in questions:
        text = _("Step {n}/{total}. {question}").format(
            n=questions.index(step) + 1, total=len(questions), question=text
        )
    extra = None
    if step == NewProduct.category:
        categories = {c.id: c for c in await merchant.categories()}
        extra = category_picker(
            categories,
            parent,
            lambda cid: NewGoodsCb(act="cat", id=cid),
            lambda cid: NewGoodsCb(act="here", id=cid),
            locale,
        )
    await show(target, text, _keyboard(step, extra, _optional(data)))


def summary(data: dict[str, Any], currency: str, locale: str) -> str:
    kind = _kind(data)
    if kind.ships:
        stock = _("Stock: {stock}, low at {threshold}").format(
            stock=data["stock"], threshold=data.get("threshold", 3)
        )
    elif data.get("stars"):
        stock = _("Paid in Stars: {stars} ⭐").format(stars=data["stars"])
    else:  # what checkout will charge now; it follows the rate if the owner changes it
        stars = unit_stars(int(data["price"]), currency, None, int(data.get("rate", 1)))
        stock = _("Paid in Stars: {stars} ⭐ (from the shop's rate)").format(stars=stars)
    if kind is ProductKind.DIGITAL:
        stock += "\n" + _("Add its codes or files from the product card after saving.")
    lines = [
        _("<b>New product</b> — check and save:"),
        _("Title: {title}").format(title=esc(data["title_en"])),
        _("Chinese title: {title}").format(title=esc(data.get("title_zh") or "—")),
        _("Category: {category}").format(category=esc(data.get("category_label", ""))),
        _("Price: {price}").format(price=money(data["price"], currency, locale)),
        _("Photos: {count}").format(count=len(data.get("photos", []))),
        _("Specs: {count}").format(count=len(data.get("specs", []))),
        _("Kind: {kind}").format(kind=_(KINDS[kind])),
        stock,
    ]
    return "\n".join(lines)


def _confirm_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("💾 Save"), callback_data=NewGoodsCb(act="save"))
    kb.button(text=_("⬅️ Back"), callback_data=NewGoodsCb(act="back"))
    kb.button(text=_("✖️ Cancel"), callback_data=NewGoodsCb(act="cancel"))
    kb.adjust(1, 2)
    return kb.as_markup()


async def _next(
    message: Message, state: FSMContext, merchant: MerchantService, locale: str, **values: Any
) -> None:
    await state.update_data(**values)
    current = await state.get_state()
    steps = _steps(await state.get_data())
    index = [s.state for s in steps].index(current or "")
    await ask(message, state, steps[index + 1], merchant, locale)


@router.callback_query(NewGoodsCb.filter(F.act == "new"))
async def start(
    query: CallbackQuery, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    await state.clear()
    kb = InlineKeyboard()
    for number, (kind, label) in enumerate(KINDS.items()):
        kb.button(text=_(label), callback_data=NewGoodsCb(act="kind", id=number + 1))
        del kind
    kb.button(text=_("✖️ Cancel"), callback_data=NewGoodsCb(act="cancel"))
    kb.adjust(1)
    await show(query, _("What are you selling?"), kb.as_markup())


@router.callback_query(NewGoodsCb.filter(F.act == "kind"))
async def got_kind(
    query: CallbackQuery,
    callback_data: NewGoodsCb,
    state: FSMContext,
    merchant: MerchantService,
    orders: OrderService,
    locale: str,
) -> None:
    kinds = list(KINDS)
    if not 1 <= callback_data.id <= len(kinds):
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    await state.clear()
    rate = orders.config.minor_units_per_star  # to show the derived Stars price
    await state.update_data(kind=kinds[callback_data.id - 1].value, rate=rate)
    await ask(query, state, NewProduct.title_en, merchant, locale)


@router.message(NewProduct.title_en, F.text, NOT_COMMAND)
async def got_title(
    message: Message, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    await _next(message, state, merchant, locale, title_en=clean_title(message.text or ""))


@router.message(NewProduct.title_zh, F.text, NOT_COMMAND)
async def got_title_zh(
    message: Message, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    await _next(message, state, merchant, locale, title_zh=clean_title(message.text or ""))


@router.message(NewProduct.description, F.text, NOT_COMMAND)
async def got_description(
    message: Message, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    text = clean_description(message.text or "")
    await _next(message, state, merchant, locale, description=text)


@router.message(NewProduct.price, F.text, NOT_COMMAND)
async def got_price(
    message: Message, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    price = parse_price(message.text or "", merchant.currency)
    await _next(message, state, merchant, locale, price=price)


@router.message(NewProduct.photos, F.photo, NOT_COMMAND)
async def got_photo(message: Message, state: FSMContext) -> None:
    await collect_photo(message, state, lambda _data: NewGoodsCb(act="done"))


@router.message(NewProduct.specs, F.text, NOT_COMMAND)
async def got_specs(
    message: Message, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    specs = [list(s) for s in parse_specs(message.text or "")]
    await _next(message, state, merchant, locale, specs=specs)


@router.message(NewProduct.stock, F.text, NOT_COMMAND)
async def got_stock(
    message: Message, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    if not _kind(await state.get_data()).ships:  # the Stars price of a digital good/service
        stars = parse_count(message.text or "", N_("The price in Stars"))
        await _next(message, state, merchant, locale, stars=stars or None, stock=0)
        return
    await _next(message, state, merchant, locale, stock=parse_count(message.text or ""))


@router.message(NewProduct.threshold, F.text, NOT_COMMAND)
async def got_threshold(
    message: Message, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    value = parse_count(message.text or "", N_("The low-stock threshold"))
    await _next(message, state, merchant, locale, threshold=value)


@router.message(NewProduct.photos, NOT_COMMAND)
async def photos_expected(message: Message) -> None:
    await message.answer(_("Please send a photo (not a file or text), or press Done."))


@router.message(NewProduct.category, NOT_COMMAND)
async def category_expected(message: Message) -> None:
    await message.answer(_("Please choose the category with the buttons above."))


@router.message(NewProduct.confirm, NOT_COMMAND)
async def confirm_expected(message: Message) -> None:
    await message.answer(_("Press Save to create the product, or Back to change something."))


@router.message(
    StateFilter(*[s for s in STEPS if s not in (NewProduct.photos, NewProduct.category)]),
    NOT_COMMAND,
)
async def text_expected(message: Message) -> None:
    await message.answer(_("Please send this as text."))


@router.callback_query(NewProduct.category, NewGoodsCb.filter(F.act == "cat"))
async def open_category(
    query: CallbackQuery,
    callback_data: NewGoodsCb,
    state: FSMContext,
    merchant: MerchantService,
    locale: str,
) -> None:
    parent = callback_data.id or None
    await ask(query, state, NewProduct.category, merchant, locale, parent)


@router.callback_query(NewProduct.category, NewGoodsCb.filter(F.act == "here"))
async def pick_category(
    query: CallbackQuery,
    callback_data: NewGoodsCb,
    state: FSMContext,
    merchant: MerchantService,
    locale: str,
) -> None:
    categories = {c.id: c for c in await merchant.categories()}
    if callback_data.id not in categories:
        await query.answer(_("That category doesn't exist (any more)."), show_alert=True)
        return
    label = category_label(categories, callback_data.id, locale)
    await state.update_data(category_id=callback_data.id, category_label=label)
    await ask(query, state, NewProduct.price, merchant, locale)


@router.callback_query(NewGoodsCb.filter(F.act.in_({"skip", "done"})))
async def skip(
    query: CallbackQuery,
    callback_data: NewGoodsCb,
    state: FSMContext,
    merchant: MerchantService,
    locale: str,
) -> None:
    current = await state.get_state()
    data = await state.get_data()
    flow = _steps(data)
    steps = [s.state for s in flow]
    allowed = {s.state for s in _optional(data)}
    if current not in allowed:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    if current == NewProduct.stock.state:
        await state.update_data(stock=0, stars=None)
    await ask(query, state, flow[steps.index(current) + 1], merchant, locale)


@router.callback_query(NewGoodsCb.filter(F.act == "back"))
async def back(
    query: CallbackQuery, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    flow = _steps(await state.get_data())
    steps = [s.state for s in flow]
    current = await state.get_state()
    if current not in steps or current == steps[0]:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    await ask(query, state, flow[steps.index(current) - 1], merchant, locale)


@router.callback_query(NewGoodsCb.filter(F.act == "cancel"))
async def cancel(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(query, _("Cancelled.") + "\n\n" + _("📦 <b>Goods</b>"), goods_menu())


@router.callback_query(NewProduct.confirm, NewGoodsCb.filter(F.act == "save"))
async def save(
    query: CallbackQuery, state: FSMContext, merchant: MerchantService, locale: str
) -> None:
    data = await state.get_data()
    kind = _kind(data)
    draft = ProductDraft(
        sku="P" + secrets.token_hex(4).upper(),
        category_id=int(data["category_id"]),
        title=Localized(data["title_en"], data.get("title_zh", "")),
        price=int(data["price"]),
        currency=merchant.currency,
        description=Localized(data.get("description", "")),
        photos=tuple(data.get("photos", [])),
        specs=tuple((k, v) for k, v in data.get("specs", [])),
        on_hand=int(data["stock"]) if kind.ships else 0,  # digital: its units, added later
        low_stock_threshold=int(data.get("threshold", 0 if kind is ProductKind.SERVICE else 3)),
        kind=kind,
        stars_price=int(data["stars"]) if data.get("stars") else None,
    )
    product = await merchant.create_product(query.from_user.id, draft)
    await state.clear()
    await show_product(query, merchant, product.id, locale, notice=_("Product created."))
