"""The owner's setup checklist: n of m steps done, each a button that opens the flow that does
it; after the flow the checklist comes back by itself (handlers/onboarding/returns.py).

Shown when an owner opens the bot (/start, /admin) while the shop has no products yet, and
from /admin's "Setup checklist" any time. Steps tick themselves from the shop's real state
(domain/shop/service.py: ShopSettingsService.checklist).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from urllib.parse import quote

from aiogram import Bot, F
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.cart.service import CartService
from domain.kernel.i18n import N_
from domain.kernel.money import money
from domain.shop.service import Checklist, PaymentSetup, ShopDetails, ShopSettingsService, StepKey
from domain.staff.service import StaffService
from domain.users.service import User
from handlers.admin.callbacks import AdminCb, CatCb, NewGoodsCb
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.cart.view import render_cart
from handlers.common import esc, show
from handlers.keyboard import InlineKeyboard

log = logging.getLogger(__name__)

router = staff_router(__name__, "owner")

STEP_TITLES: dict[StepKey, str] = {
    "profile": N_("Shop name, description and photo"),
    "payments": N_("Currency and payments"),
    "category": N_("First category"),
    "product": N_("First product (or a CSV import)"),
    "test_order": N_("A test order"),
    "share": N_("Share your shop"),
}


class SetupCb(CallbackData, prefix="su"):
    """s: a step's screen ("list" = the checklist); a: an action on it."""

    s: str = "list"
    a: str = ""


class ShopForm(StatesGroup):
    name = State()
    description = State()
    photo = State()


def progress_bar(done: int, total: int) -> str:
    return "▰" * done + "▱" * (total - done)


def checklist_text(checklist: Checklist, shop_name: str) -> str:
    lines = [
        _("🧭 <b>Set up {shop}</b>: {done} of {total} done").format(
            shop=esc(shop_name), done=len(checklist.done), total=checklist.total
        ),
        progress_bar(len(checklist.done), checklist.total),
        "",
    ]
    for number, step in enumerate(STEP_TITLES, start=1):
        mark = "✅" if checklist.is_done(step) else "⬜"
        lines.append(f"{mark} {number}. {_(STEP_TITLES[step])}")
    lines.append("")
    if checklist.complete:
        lines.append(_("All done: your shop is ready. 🎉"))
    else:
        lines.append(_("Tap a step to do it; you'll come back here afterwards."))
    return "\n".join(lines)


def checklist_keyboard(checklist: Checklist) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    for number, step in enumerate(STEP_TITLES, start=1):
        mark = "✅" if checklist.is_done(step) else f"{number}."
        kb.button(text=f"{mark} {_(STEP_TITLES[step])}", callback_data=SetupCb(s=step))
    kb.button(text=_("🛠 Admin menu"), callback_data=AdminCb(to="home"))
    kb.adjust(1)
    return kb.as_markup()


async def show_checklist(
    target: Message | CallbackQuery,
    state: FSMContext,
    shop_settings: ShopSettingsService,
    notice: str | None = None,
) -> None:
    """The checklist, which stays open: a step done later brings it back (returns.py)."""
    checklist = await shop_settings.checklist()
    if target.from_user is not None:
        await shop_settings.shown(target.from_user.id, checklist)
    text = checklist_text(checklist, await shop_settings.name())
    await show(target, text, checklist_keyboard(checklist), notice=notice)


async def first_run(staff: StaffService, shop_settings: ShopSettingsService, who: int) -> bool:
    """An owner opening a shop with nothing to sell yet, its setup not finished."""
    if await staff.role_of(who) != "owner":
        return False
    checklist = await shop_settings.checklist()
    return checklist.facts.products == 0 and not checklist.complete


def back_button(kb: InlineKeyboard) -> None:
    kb.button(text=_("⬅️ Checklist"), callback_data=SetupCb(s="list"))


@router.callback_query(AdminCb.filter(F.to == "setup"))
@router.callback_query(SetupCb.filter(F.s == "list"))
async def open_checklist(
    query: CallbackQuery, state: FSMContext, shop_settings: ShopSettingsService
) -> None:
    await state.clear()
    await show_checklist(query, state, shop_settings)


# ---- 1. the shop's name, description and photo ----

PROMPTS = {
    "name": N_("What is your shop called? (up to 64 characters; shown as the bot's name)"),
    "description": N_(
        "Describe your shop in a sentence or two (up to 512 characters; people see it "
        "before they start the bot)."
    ),
    "photo": N_("Send a photo for your shop (a logo or your best product)."),
}


def details_text(details: ShopDetails, fallback_name: str) -> str:
    not_set = _("not set")
    return "\n".join(
        [
            _("🏷 <b>Your shop</b>"),
            _("Name: {name}").format(name=esc(details.name or fallback_name)),
            _("Description: {text}").format(text=esc(details.description) or not_set),
            _("Photo: {state}").format(state=_("set") if details.photo_file_id else not_set),
        ]
    )


async def ask_detail(
    target: Message | CallbackQuery, state: FSMContext, field: str, current: str, header: str = ""
) -> None:
    await state.set_state(getattr(ShopForm, field))
    kb = InlineKeyboard()
    if current:
        kb.button(text=_("Keep the current one"), callback_data=SetupCb(s="profile", a="keep"))
    elif field == "photo":
        kb.button(text=_("Skip"), callback_data=SetupCb(s="profile", a="keep"))
    back_button(kb)
    kb.adjust(1)
    await show(target, header + _(PROMPTS[field]), kb.as_markup())


@router.callback_query(SetupCb.filter(F.s == "profile"), SetupCb.filter(F.a == ""))
async def profile_step(
    query: CallbackQuery, state: FSMContext, shop_settings: ShopSettingsService
) -> None:
    details = await shop_settings.details()
    header = details_text(details, shop_settings.profile.name) + "\n\n"
    await ask_detail(query, state, "name", details.name, header)


async def next_detail(
    target: Message | CallbackQuery, state: FSMContext, shop_settings: ShopSettingsService
) -> None:
    """After the name the description, after that the photo, then back to the checklist."""
    details = await shop_settings.details()
    step = await state.get_state()
    if step == ShopForm.name.state:
        await ask_detail(target, state, "description", details.description)
    elif step == ShopForm.description.state:
        await ask_detail(target, state, "photo", details.photo_file_id)
    else:
        await state.clear()
        await show_checklist(target, state, shop_settings, notice=_("Saved."))


async def tell_telegram(bot: Bot, details: ShopDetails) -> None:
    """The bot's own name and descriptions follow the shop's (what people see in Telegram)."""
    try:
        if details.name:
            await bot.set_my_name(name=details.name)
        if details.description:
            await bot.set_my_description(description=details.description)
            await bot.set_my_short_description(short_description=details.short_description())
    except TelegramAPIError as exc:  # e.g. setMyName's rate limit: the shop keeps the text
        log.warning("bot name/description not updated: %s", exc)


@router.message(ShopForm.name, F.text, NOT_COMMAND)
async def got_name(
    message: Message, state: FSMContext, bot: Bot, shop_settings: ShopSettingsService
) -> None:
    assert message.from_user is not None
    details = await shop_settings.set_name(message.from_user.id, message.text or "")
    await tell_telegram(bot, replace(details, description=""))
    await next_detail(message, state, shop_settings)


@router.message(ShopForm.description, F.text, NOT_COMMAND)
async def got_description(
    message: Message, state: FSMContext, bot: Bot, shop_settings: ShopSettingsService
) -> None:
    assert message.from_user is not None
    details = await shop_settings.set_description(message.from_user.id, message.text or "")
    await tell_telegram(bot, replace(details, name=""))
    await next_detail(message, state, shop_settings)


@router.message(ShopForm.photo, F.photo)
async def got_photo(
    message: Message, state: FSMContext, shop_settings: ShopSettingsService
) -> None:
    assert message.from_user is not None and message.photo
    await shop_settings.set_photo(message.from_user.id, message.photo[-1].file_id)
    await next_detail(message, state, shop_settings)


@router.message(ShopForm.name, NOT_COMMAND)
@router.message(ShopForm.description, NOT_COMMAND)
async def text_expected(message: Message) -> None:
    await message.answer(_("Please send this as text."))


@router.message(ShopForm.photo, NOT_COMMAND)
async def photo_expected(message: Message) -> None:
    await message.answer(_("Please send a photo (not a file or text), or press Skip."))


@router.callback_query(SetupCb.filter(F.s == "profile"), SetupCb.filter(F.a == "keep"))
async def keep_detail(
    query: CallbackQuery, state: FSMContext, shop_settings: ShopSettingsService
) -> None:
    if await state.get_state() not in {s.state for s in ShopForm.__all_states__}:
        await query.answer(_("This button is no longer active."), show_alert=True)
        return
    await next_detail(query, state, shop_settings)


# ---- 2. currency and payments ----


def stars_lines(payments: PaymentSetup, locale: str) -> list[str]:
    """Where the Stars price comes from, with an example: shown in onboarding and previews."""
    example = 800 if payments.currency != "XTR" else 0
    lines = [
        _(
            "Stars rate: {rate} per Star (setting CHECKOUT__MINOR_UNITS_PER_STAR = {units}, "
            "in minor units of {currency})."
        ).format(
            rate=payments.rate_text(locale),
            units=payments.minor_units_per_star,
            currency=payments.currency,
        )
    ]
    if example:
        lines.append(
            _("So {price} costs {stars} ⭐ (rounded up).").format(
                price=money(example, payments.currency, locale),
                stars=payments.stars_for(example),
            )
        )
    lines.append(
        _(
            "Telegram sets what Stars cost buyers; this rate only turns your prices into Stars. "
            "To change it, set the variable in the bot's environment and restart it."
        )
    )
    return lines


def payments_text(payments: PaymentSetup, locale: str) -> str:
    cards = {
        "off": _("off (set PAYMENTS__PROVIDER_TOKEN from @BotFather → Payments)"),
        "test": _("on, TEST provider: no real money moves"),
        "live": _("on, LIVE provider: real cards are charged"),
    }[payments.card_mode]
    stars = _("on") if payments.stars else _("off (PAYMENTS__USE_STARS=true turns them on)")
    lines = [
        _("💳 <b>Currency and payments</b>"),
        "",
        _("Currency: {currency} (PAYMENTS__CURRENCY)").format(currency=payments.currency),
        _("Card payments: {state}").format(state=cards),
        _("Telegram Stars: {state}").format(state=stars),
    ]
    if payments.stars:
        lines += ["", *stars_lines(payments, locale)]
    if not payments.configured:
        lines += ["", _("No way to pay is configured yet: shoppers can't check out.")]
    elif payments.test_mode:
        lines += ["", _("Test mode: try a payment with the test order (step 5).")]
    return "\n".join(lines)


@router.callback_query(SetupCb.filter(F.s == "payments"))
async def payments_step(
    query: CallbackQuery, user: User, shop_settings: ShopSettingsService
) -> None:
    payments = shop_settings.payments
    kb = InlineKeyboard()
    if payments.configured:
        label = _("🧪 Test payment") if payments.test_mode else _("🧾 Place a test order")
        kb.button(text=label, callback_data=SetupCb(s="test_order"))
    back_button(kb)
    kb.adjust(1)
    await show(query, payments_text(payments, user.locale), kb.as_markup())


# ---- 3 and 4. the first category and product: the existing flows ----


@router.callback_query(SetupCb.filter(F.s == "category"))
async def category_step(query: CallbackQuery) -> None:
    kb = InlineKeyboard()
    kb.button(text=_("➕ New category"), callback_data=CatCb(act="new", id=0))
    kb.button(text=_("🗂 Categories"), callback_data=AdminCb(to="categories"))
    back_button(kb)
    kb.adjust(1)
    text = _(
        "🗂 <b>First category</b>\n\nGoods live in categories (Tea, Teaware...). Create one; "
        "sub-categories can come later. You'll come back here when it exists."
    )
    await show(query, text, kb.as_markup())


@router.callback_query(SetupCb.filter(F.s == "product"))
async def product_step(query: CallbackQuery, shop_settings: ShopSettingsService) -> None:
    checklist = await shop_settings.checklist()
    kb = InlineKeyboard()
    if checklist.facts.categories:
        kb.button(text=_("➕ New product"), callback_data=NewGoodsCb(act="new"))
    kb.button(text=_("📑 Import a CSV (template inside)"), callback_data=AdminCb(to="transfer"))
    back_button(kb)
    kb.adjust(1)
    text = _(
        "📦 <b>First product</b>\n\nAdd one step by step, or import many from a CSV file. "
        "The CSV's categories must exist first (or be created by the import)."
    )
    if not checklist.facts.categories:
        text += "\n\n" + _("A product needs a category: do step 3 first.")
    await show(query, text, kb.as_markup())


# ---- 5. a test order: the owner buys as a shopper would ----


@router.callback_query(SetupCb.filter(F.s == "test_order"), SetupCb.filter(F.a == ""))
async def test_order_step(
    query: CallbackQuery, user: User, shop_settings: ShopSettingsService
) -> None:
    checklist = await shop_settings.checklist()
    payments = shop_settings.payments
    kb = InlineKeyboard()
    lines = [_("🧾 <b>A test order</b>"), ""]
    if checklist.facts.first_product_id is None:
        lines.append(_("Add a product first (step 4): the test order buys it."))
    elif not payments.configured:
        lines.append(_("Set up a way to pay first (step 2)."))
    else:
        lines.append(
            _(
                "Buy your first product as a shopper would: cart, address, shipping, payment. "
                "You'll come back here once it is paid."
            )
        )
        if payments.test_mode:
            lines.append(_("Test mode: pay with the test card 4242 4242 4242 4242."))
        else:
            lines.append(
                _("Careful: this is a real payment. Refund it afterwards with /refunded.")
            )
        kb.button(text=_("🛒 Put it in my cart"), callback_data=SetupCb(s="test_order", a="cart"))
    back_button(kb)
    kb.adjust(1)
    await show(query, "\n".join(lines), kb.as_markup())


@router.callback_query(SetupCb.filter(F.s == "test_order"), SetupCb.filter(F.a == "cart"))
async def test_order_cart(
    query: CallbackQuery, user: User, carts: CartService, shop_settings: ShopSettingsService
) -> None:
    product_id = (await shop_settings.checklist()).facts.first_product_id
    if product_id is None:
        await query.answer(_("Add a product first (step 4): the test order buys it."))
        return
    await carts.add(user.id, product_id, None)
    await render_cart(query, user, carts, notice=_("Added to your cart."))


# ---- 6. the share links ----


def share_links(username: str, product_id: int | None) -> list[str]:
    links = [f"https://t.me/{username}"]
    if product_id is not None:
        links.append(f"https://t.me/{username}?start=p_{product_id}")
    return links


@router.callback_query(SetupCb.filter(F.s == "share"))
async def share_step(query: CallbackQuery, bot: Bot, shop_settings: ShopSettingsService) -> None:
    me = await bot.me()
    checklist = await shop_settings.checklist()
    links = share_links(me.username or "", checklist.facts.first_product_id)
    await shop_settings.mark_shared()
    lines = [_("📣 <b>Share your shop</b>"), "", _("Your shop: {link}").format(link=links[0])]
    if len(links) > 1:
        lines.append(_("Straight to your first product: {link}").format(link=links[1]))
    lines += [
        "",
        _(
            "Any product's link is the shop's link with ?start=p_ and the product's number. "
            "Put them in your channel, bio, website or on a QR code."
        ),
    ]
    kb = InlineKeyboard()
    share = f"https://t.me/share/url?url={quote(links[0], safe='')}"
    kb.button(text=_("📤 Send the link to a chat"), url=share)
    back_button(kb)
    kb.adjust(1)
    await show(query, "\n".join(lines), kb.as_markup())
