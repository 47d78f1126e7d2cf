"""A digital product's pool of units in the chat admin: how many are left, and adding more.

"Add codes" takes pasted lines or a .txt/.csv document (one code per line, all or nothing);
"Add files" takes files, each one unit sent to its buyer as it is. Refusals (duplicates, empty
lines, a file too big or not text) are DomainErrors, answered translated by the error router;
the dialog stays open so the merchant can send a corrected list.
"""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.catalog.merchant import MerchantService
from domain.digital.service import DigitalService
from domain.digital.units import check_document_size
from handlers.admin.callbacks import GoodsCb
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.common import DbId, esc, show
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__)


class UnitsCb(CallbackData, prefix="adu"):
    act: str  # open, codes, files
    id: DbId = 0


class UnitsForm(StatesGroup):
    codes = State()
    files = State()


def _pool_keyboard(product_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("📋 Add codes"), callback_data=UnitsCb(act="codes", id=product_id))
    kb.button(text=_("📎 Add files"), callback_data=UnitsCb(act="files", id=product_id))
    kb.button(text=_("⬅️ Product"), callback_data=GoodsCb(act="open", id=product_id))
    kb.adjust(2, 1)
    return kb.as_markup()


def _done_keyboard(product_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("✅ Done"), callback_data=UnitsCb(act="open", id=product_id))
    return kb.as_markup()


@router.callback_query(UnitsCb.filter(F.act == "open"))
async def open_pool(
    query: CallbackQuery,
    callback_data: UnitsCb,
    state: FSMContext,
    merchant: MerchantService,
    digital: DigitalService,
    locale: str,
) -> None:
    await state.clear()
    product = (await merchant.editable(callback_data.id)).product
    left = await digital.available(product.id)
    text = _(
        "🔑 <b>{title}</b>: {count} codes or files left to sell.\n\n"
        "Each one is sent to one buyer right after they pay, and never to anyone else."
    ).format(title=esc(product.title.get(locale)), count=left)
    await show(query, text, _pool_keyboard(product.id))


@router.callback_query(UnitsCb.filter(F.act == "codes"))
async def ask_codes(query: CallbackQuery, callback_data: UnitsCb, state: FSMContext) -> None:
    await state.set_state(UnitsForm.codes)
    await state.update_data(pid=callback_data.id)
    text = _(
        "Paste the codes, keys or links, one per line, or send a .txt or .csv file (first "
        "column). All of them are added, or none if something is wrong."
    )
    await show(query, text, _done_keyboard(callback_data.id))


@router.callback_query(UnitsCb.filter(F.act == "files"))
async def ask_files(query: CallbackQuery, callback_data: UnitsCb, state: FSMContext) -> None:
    await state.set_state(UnitsForm.files)
    await state.update_data(pid=callback_data.id)
    text = _("Send the files, one message each: every file is one unit sold. Then press Done.")
    await show(query, text, _done_keyboard(callback_data.id))


async def _added(message: Message, product_id: int, added: int, left: int) -> None:
    await message.answer(
        _("✅ Added {added}. Now {count} left to sell.").format(added=added, count=left),
        reply_markup=_done_keyboard(product_id),
    )


@router.message(UnitsForm.codes, F.text, NOT_COMMAND)
async def got_codes(message: Message, state: FSMContext, digital: DigitalService) -> None:
    actor = message.from_user.id if message.from_user else 0
    product_id = int((await state.get_data())["pid"])
    added, left = await digital.add_codes(product_id, message.text or "", actor)
    await _added(message, product_id, added, left)


@router.message(UnitsForm.codes, F.document)
async def got_code_file(
    message: Message, state: FSMContext, bot: Bot, digital: DigitalService
) -> None:
    actor = message.from_user.id if message.from_user else 0
    assert message.document is not None
    product_id = int((await state.get_data())["pid"])
    check_document_size(message.document.file_size)  # a 50 MB file is refused unread
    buffer = await bot.download(message.document)
    assert buffer is not None
    name = message.document.file_name or "codes.txt"
    added, left = await digital.add_document(product_id, buffer.read(), name, actor)
    await _added(message, product_id, added, left)


@router.message(UnitsForm.files, F.document | F.photo)
async def got_unit_file(message: Message, state: FSMContext, digital: DigitalService) -> None:
    actor = message.from_user.id if message.from_user else 0
    product_id = int((await state.get_data())["pid"])
    if message.document is not None:
        doc = message.document
        left = await digital.add_file(
            product_id, doc.file_id, doc.file_unique_id, doc.file_name or "", actor
        )
    else:
        assert message.photo
        biggest = message.photo[-1]
        left = await digital.add_file(
            product_id, biggest.file_id, biggest.file_unique_id, "", actor, photo=True
        )
    await _added(message, product_id, 1, left)


@router.message(UnitsForm.codes, NOT_COMMAND)
async def unit_expected(message: Message) -> None:
    await message.answer(_("Please send codes as text or a .txt/.csv file, or press Done."))


@router.message(UnitsForm.files, NOT_COMMAND)
async def file_expected(message: Message) -> None:
    # A video's or a song's file_id can only be resent as a video or a song; sent "as a
    # file" it arrives as a document, which reaches the buyer exactly as it was.
    await message.answer(
        _(
            "Please send a file or a photo (nothing was added). Send videos and music as a "
            "file (📎 → File), then press Done."
        )
    )
