"""Bulk import (CSV document; every row checked first, all applied or none) and CSV export.

A file whose only problem is categories that don't exist yet lists them with a "Create them
and import" button: the same domain function as the web console's preview
(CatalogTransfer.apply_preview with create_missing), categories and goods in one transaction.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from typing import Any

from aiogram import Bot, F
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, FSInputFile, Message
from aiogram.utils.i18n import gettext as _

from domain.catalog.csv_rows import (
    COLUMNS,
    MAX_IMPORT_BYTES,
    REQUIRED_COLUMNS,
    UNKNOWN_CATEGORY,
    ImportCheck,
    ImportRefused,
    RowError,
)
from domain.catalog.transfer import CatalogTransfer, ImportResult
from domain.kernel.i18n import N_
from handlers.admin.callbacks import AdminCb
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.admin.states import ImportForm
from handlers.common import esc, fit, show
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__)
ERRORS_IN_MESSAGE = 15
CATEGORIES_IN_MESSAGE = 20


class ImportCb(CallbackData, prefix="adimp"):
    act: str  # create: create the missing categories and import the previewed file
    key: str


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
    kb.button(text=_("📄 Template file"), callback_data=AdminCb(to="import_template"))
    kb.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    kb.adjust(2, 1, 1)
    text = _(
        "📑 <b>Import / Export</b>\n\nColumns: {columns}.\nRequired: {required}. An existing "
        "SKU is updated, a new one created. Prices like 12.50; category as a path "
        "(Electronics / Phones) or an id. UTF-8 or GBK, up to 5 MB."
    ).format(columns=", ".join(COLUMNS), required=", ".join(REQUIRED_COLUMNS))
    text += "\n\n" + _(
        "Goods live in categories. If the file names categories that don't exist yet, I "
        "list them and offer to create them with the import. The template file imports as "
        "it is: fill it in, or send it back to try."
    )
    await show(query, text, kb.as_markup())


@router.callback_query(AdminCb.filter(F.to == "import_template"))
async def template_button(query: CallbackQuery, bot: Bot, transfer: CatalogTransfer) -> None:
    data = ("\ufeff" + await transfer.template()).encode("utf-8")
    await bot.send_document(
        query.from_user.id,
        BufferedInputFile(data, "kiosk-import-template.csv"),
        caption=_("A template: two sample goods. Send it back as it is to try the import."),
    )
    await query.answer()


@router.callback_query(AdminCb.filter(F.to == "import"))
async def import_button(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(ImportForm.file)
    kb = InlineKeyboard()
    kb.button(text=_("✖️ Cancel"), callback_data=AdminCb(to="transfer"))
    await show(query, _("Send the CSV file as a document."), kb.as_markup())


def _imported(result: ImportResult) -> str:
    text = _("✅ Imported: {created} new, {updated} updated.").format(
        created=result.created, updated=result.updated
    )
    if result.categories:
        text += "\n" + _("Categories created: {count}.").format(count=result.categories)
    return text


async def _report_problems(message: Message, checked: ImportCheck, key: str) -> None:
    """Nothing was imported: the problems, and the missing categories with an offer."""
    other = [e for e in checked.errors if e.line and e not in _category_errors(checked)]
    kb = InlineKeyboard()
    if checked.only_missing_categories:
        head = _("Nothing was imported yet: these categories don't exist.")
        kb.button(
            text=_("➕ Create them and import"), callback_data=ImportCb(act="create", key=key)
        )
        kb.button(text=_("✖️ Cancel"), callback_data=AdminCb(to="transfer"))
        kb.adjust(1)
    else:
        head = _("Nothing was imported: {count} problems. Fix them and send the file again.")
        head = head.format(count=len(checked.errors))
    lines = [render_row_error(e) for e in checked.errors]
    text = head
    if checked.missing_categories:
        names = checked.missing_categories[:CATEGORIES_IN_MESSAGE]
        text += "\n\n" + _("Missing categories:") + "\n" + "\n".join(f"• {esc(n)}" for n in names)
        if len(checked.missing_categories) > CATEGORIES_IN_MESSAGE:
            text += "\n…"
    if other or not checked.only_missing_categories:
        text += "\n\n" + "\n".join(esc(x) for x in lines[:ERRORS_IN_MESSAGE])
        if len(lines) > ERRORS_IN_MESSAGE:
            text += "\n…"
    markup = kb.as_markup() if checked.only_missing_categories else None
    await message.answer(fit(text), reply_markup=markup)
    if len(lines) > ERRORS_IN_MESSAGE:
        report = io.StringIO()
        writer = csv.writer(report)
        writer.writerow(["line", "problem"])
        writer.writerows([e.line, line] for e, line in zip(checked.errors, lines, strict=True))
        data = ("\ufeff" + report.getvalue()).encode("utf-8")
        await message.answer_document(BufferedInputFile(data, "import-errors.csv"))


def _category_errors(checked: ImportCheck) -> list[RowError]:
    return [e for e in checked.errors if e.message == UNKNOWN_CATEGORY]


@router.message(ImportForm.file, F.document, NOT_COMMAND)
async def got_file(
    message: Message, state: FSMContext, bot: Bot, transfer: CatalogTransfer
) -> None:
    assert message.document is not None and message.from_user is not None
    if (message.document.file_size or 0) > MAX_IMPORT_BYTES:
        raise ImportRefused(N_("The file is larger than 5 MB. Split it into smaller files."))
    buffer = await bot.download(message.document)
    assert buffer is not None
    actor = message.from_user.id
    preview = await transfer.preview(actor, buffer.read())
    if preview.check.ok:
        checked, result = await transfer.apply_preview(actor, preview.key)
        if checked.ok:
            await state.clear()
            await message.answer(_imported(result))
            return
        preview = await transfer.previewed(actor, preview.key)
    await _report_problems(message, preview.check, preview.key)


@router.callback_query(ImportCb.filter(F.act == "create"))
async def create_and_import(
    query: CallbackQuery,
    callback_data: ImportCb,
    state: FSMContext,
    transfer: CatalogTransfer,
) -> None:
    checked, result = await transfer.apply_preview(
        query.from_user.id, callback_data.key, create_missing=True
    )
    if checked.ok:
        await state.clear()
        await show(query, _imported(result), None)
        return
    await query.answer()
    assert isinstance(query.message, Message)
    await _report_problems(query.message, checked, callback_data.key)


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
