"""The shopper's side: "Contact the shop" opens the line (about a product or an order), what
they write then (text, photo, file) reaches the staff; a reply to a staff answer, or its
"Reply" button, continues the conversation."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, Filter, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.types import User as TgUser
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from domain.catalog.service import CatalogService
from domain.kernel.shop import ShopProfile
from domain.orders.service import OrderService
from domain.staff.service import StaffService
from domain.support.service import SupportService
from domain.support.types import About, Conversation, Shopper
from domain.users.service import User
from handlers.common import show
from handlers.keyboard import InlineKeyboard
from handlers.support.callbacks import SupportCb
from handlers.support.relay import kind_of, to_staff
from handlers.support.texts import about_line, header_text

router = Router(name=__name__)
RECENT_ORDERS = 3


class SupportChat(StatesGroup):
    talking = State()


def shopper_of(tg_user: TgUser) -> Shopper:
    name = " ".join(p for p in (tg_user.first_name, tg_user.last_name) if p)
    return Shopper(tg_user.id, name, tg_user.username, tg_user.language_code)


def done_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("✅ Done"), callback_data=SupportCb(a="x"))
    return kb.as_markup()


async def start_line(
    target: Message, tg_user: TgUser, about: About, state: FSMContext, support: SupportService
) -> None:
    """Open the shopper's line (about a product or an order) and ask for their message."""
    await support.open(shopper_of(tg_user), about, datetime.now(UTC))
    await state.set_state(SupportChat.talking)
    await state.update_data(support_intro=True)
    text = _(
        "💬 <b>Contact the shop</b>\n\nWrite your question: text, a photo or a file. "
        "The shop's staff will answer here. Press Done when you have finished."
    )
    await target.answer(text, reply_markup=done_keyboard())


@router.message(Command("contact"), F.chat.type == "private")
async def contact_command(message: Message, state: FSMContext, support: SupportService) -> None:
    assert message.from_user is not None
    await start_line(message, message.from_user, About(), state, support)


@router.callback_query(SupportCb.filter(F.a == "o"))
async def open_line(
    query: CallbackQuery,
    callback_data: SupportCb,
    state: FSMContext,
    user: User,
    support: SupportService,
    orders: OrderService,
) -> None:
    about = About()
    if callback_data.k == "order" and callback_data.id:
        # Someone else's order looks like a missing one (NotFound, answered by the error router).
        await orders.order(user.id, callback_data.id, datetime.now(UTC))
        about = About("order", callback_data.id)
    elif callback_data.k == "product" and callback_data.id:
        about = About("product", callback_data.id)
    await query.answer()
    if isinstance(query.message, Message):
        await start_line(query.message, query.from_user, about, state, support)


@router.callback_query(SupportCb.filter(F.a == "x"))
async def close_line(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(query, _("Thank you! Write to us again any time: /help → Contact the shop."))


async def relay_in(
    message: Message,
    c: Conversation,
    intro: bool,
    bot: Bot,
    support: SupportService,
    staff: StaffService,
    orders: OrderService,
    catalog: CatalogService,
    shop: ShopProfile,
    i18n: I18n,
    user: User,
) -> None:
    """The shopper's message to the staff (with who they are first when `intro`)."""
    kind = kind_of(message) or "text"
    with i18n.use_locale(shop.default_locale):  # staff read the shop's language
        header = None
        if intro:
            recent = (await orders.orders(user.id, 1, datetime.now(UTC), RECENT_ORDERS)).items
            blocked = await support.is_blocked(c.shopper.telegram_id)
            about = await about_line(c.about, catalog, shop.default_locale)
            header = (header_text(c, about, recent, shop.default_locale), blocked)
        relays = await to_staff(bot, support, staff, c, message, header)
    relays.append((message.chat.id, message.message_id))
    await support.shopper_wrote(c, kind, relays, datetime.now(UTC))


# Only what the line carries: a payment, a shared contact... goes on to its own handler.
CARRIED = F.text | F.photo | F.document


@router.message(StateFilter(SupportChat.talking), F.chat.type == "private", CARRIED)
async def wrote_to_shop(
    message: Message,
    state: FSMContext,
    bot: Bot,
    support: SupportService,
    staff: StaffService,
    orders: OrderService,
    catalog: CatalogService,
    shop: ShopProfile,
    i18n: I18n,
    user: User,
) -> None:
    if message.text and message.text.startswith("/"):
        await state.clear()  # a command ends the conversation and goes on to its handler
        raise SkipHandler()
    if kind_of(message) is None:
        await message.answer(_("Please send text, a photo or a file."))
        return
    assert message.from_user is not None
    c = await support.open(shopper_of(message.from_user), About(), datetime.now(UTC))
    data = await state.get_data()
    intro = bool(data.get("support_intro"))
    await relay_in(message, c, intro, bot, support, staff, orders, catalog, shop, i18n, user)
    # Every message is acknowledged, by ONE note kept under the latest message (with Done):
    # the previous note is deleted rather than repeated down the chat.
    previous = data.get("support_ack")
    if previous:
        with suppress(TelegramBadRequest):
            await bot.delete_message(message.chat.id, int(previous))
    ack = await message.answer(
        _("✓ Sent to the shop. We'll answer here."), reply_markup=done_keyboard()
    )
    await state.update_data(support_intro=False, support_ack=ack.message_id)


class RepliesToSupport(Filter):
    """A reply to one of this shopper's support messages (a copy of a staff answer)."""

    async def __call__(
        self, message: Message, support: SupportService | None = None
    ) -> bool | dict[str, Any]:
        target = message.reply_to_message
        if support is None or target is None or message.from_user is None:
            return False
        if target.from_user is None or not target.from_user.is_bot:
            return False
        c = await support.by_relay(message.chat.id, target.message_id)
        if c is None or c.shopper.telegram_id != message.from_user.id:
            return False
        return {"conversation": c}


@router.message(F.chat.type == "private", CARRIED, RepliesToSupport())
async def replied_to_shop(
    message: Message,
    conversation: Conversation,
    bot: Bot,
    support: SupportService,
    staff: StaffService,
    orders: OrderService,
    catalog: CatalogService,
    shop: ShopProfile,
    i18n: I18n,
    user: User,
) -> None:
    if kind_of(message) is None:
        raise SkipHandler()  # a command given as a reply: it goes to its handler
    await relay_in(
        message, conversation, False, bot, support, staff, orders, catalog, shop, i18n, user
    )
