"""Bulk import (CSV document; every row checked first, all applied or none) and CSV export."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from typing import Any

from aiogram import Bot, F
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, FSInputFile, Message
from aiogram.utils.i18n import gettext as _

from domain.catalog.csv_rows import (
    COLUMNS,
    MAX_IMPORT_BYTES,
    REQUIRED_COLUMNS,
    ImportRefused,
    RowError,
)
from domain.catalog.transfer import CatalogTransfer
from domain.kernel.i18n import N_
from handlers.admin.callbacks import AdminCb
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.admin.states import ImportForm
from handlers.common import esc, fit, show
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__)
ERRORS_IN_MESSAGE = 15


def render_row_error(error: RowError) -> str:
    """'Line 3: price: A price can't be negative.' in the reader's language."""
    params: dict[str, Any] = dict(error.params)
    for key in ("problem", "field"):
        if isinstance(params.get(key), str):
            params[key] = _(params[key])
    if "problem" in params:
        params["problem"] = params["problem"].format(**params)
    return _("Line {line}: {error}").format(
        line=error.line, error=_(error.message).format(**params)
    )


@router.callback_query(AdminCb.filter(F.to == "transfer"))
async def transfer_section(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    kb = InlineKeyboard()
    kb.button(text=_("⬇️ Export CSV"), callback_data=AdminCb(to="export"))
    kb.button(text=_("⬆️ Import CSV"), callback_data=AdminCb(to="import"))
    kb.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    kb.adjust(2, 1)
    text = _(
        "📑 <b>Import / Export</b>\n\nColumns: {columns}.\nRequired: {required}. An existing "
        "SKU is updated, a new one created. Prices like 12.50; category as a path "
        "(Electronics / Phones) or an id. UTF-8 or GBK, up to 5 MB."
    ).format(columns=", ".join(COLUMNS), required=", ".join(REQUIRED_COLUMNS))
    await show(query, text, kb.as_markup())


@router.callback_query(AdminCb.filter(F.to == "import"))
async def import_button(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(ImportForm.file)
    kb = InlineKeyboard()
    kb.button(text=_("✖️ Cancel"), callback_data=AdminCb(to="transfer"))
    await show(query, _("Send the CSV file as a document."), kb.as_markup())


@router.message(ImportForm.file, F.document, NOT_COMMAND)
async def got_file(
    message: Message, state: FSMContext, bot: Bot, transfer: CatalogTransfer
) -> None:
    assert message.document is not None and message.from_user is not None
    if (message.document.file_size or 0) > MAX_IMPORT_BYTES:
        raise ImportRefused(N_("The file is larger than 5 MB. Split it into smaller files."))
    buffer = await bot.download(message.document)
    assert buffer is not None
    checked, result = await transfer.import_file(message.from_user.id, buffer.read())
    if checked.ok:
        await state.clear()
        await message.answer(
            _("✅ Imported: {created} new, {updated} updated.").format(
                created=result.created, updated=result.updated
            )
        )
        return
    lines = [render_row_error(e) for e in checked.errors]
    head = _("Nothing was imported: {count} problems. Fix them and send the file again.")
    shown = "\n".join(esc(x) for x in lines[:ERRORS_IN_MESSAGE])
    text = head.format(count=len(lines)) + "\n\n" + shown
    if len(lines) > ERRORS_IN_MESSAGE:
        text += "\n…"
    await message.answer(fit(text))
    if len(lines) > ERRORS_IN_MESSAGE:
        report = io.StringIO()
        writer = csv.writer(report)
        writer.writerow(["line", "problem"])
        writer.writerows([e.line, line] for e, line in zip(checked.errors, lines, strict=True))
        data = ("\ufeff" + report.getvalue()).encode("utf-8")
        await message.answer_document(BufferedInputFile(data, "import-errors.csv"))


@router.message(ImportForm.file, NOT_COMMAND)
async def file_expected(message: Message) -> None:
    await message.answer(_("Please send the CSV as a file (document), or press Cancel."))


@router.callback_query(AdminCb.filter(F.to == "export"))
async def export_button(query: CallbackQuery, bot: Bot, transfer: CatalogTransfer) -> None:
    await query.answer(_("Preparing the file…"))
    handle, path = tempfile.mkstemp(prefix="kiosk-export-", suffix=".csv")
    try:
        # utf-8-sig writes a BOM so spreadsheet apps read Chinese titles correctly.
        with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as sink:
            count = await transfer.export(query.from_user.id, sink)
        caption = _("{count} products.").format(count=count)
        await bot.send_document(
            query.from_user.id, FSInputFile(path, "catalogue.csv"), caption=caption
        )
    finally:
        os.unlink(path)
