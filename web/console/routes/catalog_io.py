"""Console pages: CSV import with a preview (rows to add / change / refuse and missing
categories, BEFORE anything is applied), CSV export and template downloads, and the
categories editor (tree, create, rename en/zh, move, order, activate).

The uploaded file is kept server side under a preview key (domain.catalog.transfer); the
"Import" button applies it only after checking it again, all rows or none, and can create
the missing categories in the same transaction.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from domain.catalog.csv_rows import COLUMNS, MAX_IMPORT_BYTES, REQUIRED_COLUMNS, ImportCheck
from domain.catalog.merchant import ancestry, category_label
from domain.catalog.service import Category, CategoryNotFound
from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import whole_number
from web.console.access import staff
from web.console.keys import I18N, SERVICES
from web.console.render import locale_of, redirect, render

routes = web.RouteTableDef()
PREVIEW_ROWS = 200  # rows listed per group in the preview (the counts are always whole)


class NoFile(ValidationError):
    message = N_("Choose a CSV file to import.")


@dataclass(frozen=True, slots=True)
class CategoryOption:
    id: int
    label: str  # "Tea / Green tea"
    depth: int
    active: bool


def category_options(categories: list[Category], locale: str) -> list[CategoryOption]:
    """Every category as a path, in tree order (parents before children, by position)."""
    by_id = {c.id: c for c in categories}
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    options: list[CategoryOption] = []

    def walk(parent: int | None, depth: int) -> None:
        for child in sorted(children.get(parent, []), key=lambda c: (c.position, c.id)):
            if len(options) > len(by_id):
                return  # bad data can't loop forever
            label = category_label(by_id, child.id, locale)
            options.append(CategoryOption(child.id, label, depth, child.active))
            walk(child.id, depth + 1)

    walk(None, 0)
    return options


def problem_text(request: web.Request, error: DomainError | str, **params: Any) -> str:
    """A DomainError (or a msgid) in the staff member's language. String params are msgids
    too; a nested `problem` is translated and filled with the same params."""
    i18n = request.config_dict[I18N]
    locale = locale_of(request)
    message = error.message if isinstance(error, DomainError) else error
    values: dict[str, Any] = dict(error.params) if isinstance(error, DomainError) else {}
    values.update(params)
    for key, value in list(values.items()):
        if isinstance(value, str):
            values[key] = i18n.gettext(value, locale=locale)
    if isinstance(values.get("problem"), str):
        values["problem"] = _fill(values["problem"], values)
    return _fill(i18n.gettext(message, locale=locale), values)


def _fill(text: str, values: dict[str, Any]) -> str:
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):
        return text


# ---- import / export ----


@routes.get("/catalog")
async def catalog_page(request: web.Request) -> web.Response:
    return render(
        request,
        "console/goods/catalog.html",
        columns=COLUMNS,
        required=REQUIRED_COLUMNS,
        error="",
    )


@routes.post("/catalog/import")
async def upload(request: web.Request) -> web.Response:
    form = await request.post()
    upload = form.get("file")
    services = request.config_dict[SERVICES]
    try:
        if not isinstance(upload, web.FileField) or not upload.filename:
            raise NoFile()
        data = upload.file.read(MAX_IMPORT_BYTES + 1)
        preview = await services.transfer.preview(staff(request).telegram_id, data)
    except DomainError as exc:
        return render(
            request,
            "console/goods/catalog.html",
            status=400,
            columns=COLUMNS,
            required=REQUIRED_COLUMNS,
            error=problem_text(request, exc),
        )
    return redirect(f"/console/catalog/import/{preview.key}")


def _preview_context(request: web.Request, check: ImportCheck) -> dict[str, Any]:
    refused: dict[int, list[str]] = {}
    for error in check.errors:
        refused.setdefault(error.line, []).append(
            problem_text(request, error.message, **error.params)
        )
    adds = [i for i in check.items if i.existing_id is None]
    changes = [i for i in check.items if i.existing_id is not None]
    return {
        "check": check,
        "adds": adds[:PREVIEW_ROWS],
        "changes": changes[:PREVIEW_ROWS],
        "add_count": len(adds),
        "change_count": len(changes),
        "refused": sorted(refused.items())[:PREVIEW_ROWS],
        "refused_count": len(refused),
        "title_of": _title_of,
        "field_labels": _FIELD_LABELS,
    }


def _title_of(changes: dict[str, object]) -> str:
    title = changes.get("title")
    if isinstance(title, tuple) and title and isinstance(title[0], str):
        return title[0]
    return ""


_FIELD_LABELS = {
    "title": N_("Title"),
    "description": N_("Description"),
    "category_id": N_("Category"),
    "price": N_("Price"),
    "compare_at": N_("Price before the sale"),
    "brand": N_("Brand"),
    "low_stock_threshold": N_("Low-stock alert at"),
    "active": N_("Shown"),
    "specs": N_("Specs"),
    "tags": N_("Tags"),
    "photos": N_("Photos"),
    "stock": N_("Stock"),
}


@routes.get(r"/catalog/import/{key:[A-Za-z0-9_-]{8,32}}")
async def preview_page(request: web.Request) -> web.Response:
    services = request.config_dict[SERVICES]
    key = request.match_info["key"]
    preview = await services.transfer.previewed(staff(request).telegram_id, key)
    context = _preview_context(request, preview.check)
    return render(request, "console/goods/preview.html", key=key, result=None, **context)


@routes.post(r"/catalog/import/{key:[A-Za-z0-9_-]{8,32}}")
async def apply_import(request: web.Request) -> web.Response:
    services = request.config_dict[SERVICES]
    key = request.match_info["key"]
    form = await request.post()
    create = form.get("create_categories") == "1"
    checked, result = await services.transfer.apply_preview(
        staff(request).telegram_id, key, create_missing=create
    )
    context = _preview_context(request, checked)
    status = 200 if checked.ok else 409
    return render(
        request,
        "console/goods/preview.html",
        status=status,
        key=key,
        result=result if checked.ok else None,
        **context,
    )


@routes.get("/catalog/export.csv")
async def export(request: web.Request) -> web.StreamResponse:
    services = request.config_dict[SERVICES]
    sink = io.StringIO()
    await services.transfer.export(staff(request).telegram_id, sink)
    return _csv_download(sink.getvalue(), "catalogue.csv")


@routes.get("/catalog/template.csv")
async def template(request: web.Request) -> web.StreamResponse:
    text = await request.config_dict[SERVICES].transfer.template()
    return _csv_download(text, "kiosk-import-template.csv")


def _csv_download(text: str, name: str) -> web.Response:
    # A BOM so spreadsheet apps read Chinese titles correctly (the import accepts it).
    body = ("\ufeff" + text).encode("utf-8")
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


# ---- categories ----


_DONE = {
    "created": N_("Category created."),
    "rename": N_("Renamed."),
    "move": N_("Moved."),
    "up": N_("Order changed."),
    "down": N_("Order changed."),
    "activate": N_("Shown to shoppers."),
    "deactivate": N_("Hidden from shoppers."),
}


@routes.get("/catalog/categories")
async def categories_page(request: web.Request) -> web.Response:
    done = _DONE.get(request.query.get("done", ""))
    return await _categories(request, notice=problem_text(request, done) if done else "")


async def _categories(
    request: web.Request, notice: str = "", error: str = "", status: int = 200
) -> web.Response:
    services = request.config_dict[SERVICES]
    categories = await services.merchant.categories()
    by_id = {c.id: c for c in categories}
    options = category_options(categories, locale_of(request))
    # Where each category may move: not into itself or below itself (a cycle).
    targets = {o.id: [t for t in options if o.id not in ancestry(by_id, t.id)] for o in options}
    return render(
        request,
        "console/goods/categories.html",
        status=status,
        options=options,
        by_id=by_id,
        targets=targets,
        notice=notice,
        error=error,
    )


@routes.post("/catalog/categories")
async def create_category(request: web.Request) -> web.Response:
    services = request.config_dict[SERVICES]
    form = await request.post()
    parent = whole_number(str(form.get("parent_id", "")))
    try:
        created = await services.merchant.create_category(
            staff(request).telegram_id,
            str(form.get("name_en", "")),
            str(form.get("name_zh", "")),
            parent or None,
        )
    except DomainError as exc:
        return await _categories(request, error=problem_text(request, exc), status=400)
    return redirect(f"/console/catalog/categories?done=created&id={created.id}#c{created.id}")


@routes.post(r"/catalog/categories/{category_id:\d+}")
async def change_category(request: web.Request) -> web.Response:
    services = request.config_dict[SERVICES]
    merchant = services.merchant
    category_id = whole_number(request.match_info["category_id"]) or 0
    form = await request.post()
    action = str(form.get("action", ""))
    actor = staff(request).telegram_id
    try:
        if action == "rename":
            await merchant.rename_category(
                actor, category_id, str(form.get("name_en", "")), str(form.get("name_zh", ""))
            )
        elif action == "move":
            parent = whole_number(str(form.get("parent_id", "")))
            await merchant.move_category(actor, category_id, parent or None)
        elif action in ("up", "down"):
            if category_id not in {c.id for c in await merchant.categories()}:
                raise CategoryNotFound()
            await merchant.reorder_category(actor, category_id, -1 if action == "up" else 1)
        elif action in ("activate", "deactivate"):
            await merchant.set_category_active(actor, category_id, action == "activate")
        else:
            raise ValidationError(N_("Choose what to change."))
    except DomainError as exc:
        return await _categories(request, error=problem_text(request, exc), status=400)
    return redirect(f"/console/catalog/categories?done={action}#c{category_id}")
