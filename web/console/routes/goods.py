"""Console pages: the goods table (search, filters, sort, paging, bulk price and active
changes) and a product's create/edit page with photos uploaded from the browser.

Photos: Telegram shows goods by file id, so an uploaded photo is sent to the signed-in staff
member's own chat with the bot (sendPhoto with the upload) and the file id Telegram returns is
stored. Edits carry the product's edit version; if the chat (or another browser) saved first,
the page shows the current values and says so instead of overwriting them.
"""

from __future__ import annotations

from typing import Any, Literal

from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile
from aiohttp import web
from multidict import MultiDictProxy, MultiMapping

from domain.catalog.console import (
    PAGE_SIZES,
    GoodsFilter,
    GoodsPage,
    GoodsSort,
    StockState,
)
from domain.catalog.merchant import (
    EditableProduct,
    EditConflict,
    field_texts,
    parse_variant_lines,
)
from domain.catalog.merchant_input import (
    MAX_PHOTOS,
    clean_description,
    clean_sku,
    clean_title,
    format_price_plain,
    parse_count,
    parse_price,
    parse_specs,
)
from domain.catalog.service import Localized, ProductDraft
from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import clean_line, whole_number
from web.console.access import staff
from web.console.keys import BOT, I18N, SERVICES
from web.console.render import json_ok, locale_of, redirect, render
from web.console.routes.catalog_io import category_options, problem_text

routes = web.RouteTableDef()
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


class PhotoRefused(ValidationError):
    message = N_("A photo must be a JPEG, PNG or WebP image of at most 5 MB.")


class PhotoNotSent(DomainError):
    # Kiosk stores a photo by sending it to the staff member's chat with the bot.
    message = N_("Telegram didn't take the photo: open the bot, press Start, then try again.")


def _filter(query: MultiMapping[str]) -> tuple[GoodsFilter, GoodsSort, int, int]:
    category = whole_number(query.get("category", ""))
    active = {"1": True, "0": False}.get(query.get("active", ""))
    stock_raw = query.get("stock", "")
    stock = StockState(stock_raw) if stock_raw in {s.value for s in StockState} else None
    sort_raw = query.get("sort", "")
    sort = GoodsSort(sort_raw) if sort_raw in {s.value for s in GoodsSort} else GoodsSort.NEWEST
    page = whole_number(query.get("page", "1")) or 1
    size = whole_number(query.get("size", "")) or PAGE_SIZES[0]
    wanted = GoodsFilter(query.get("q", "")[:128], category, active, stock)
    return wanted, sort, min(page, 10**6), size


async def _page(request: web.Request) -> tuple[GoodsPage, GoodsFilter, GoodsSort]:
    wanted, sort, page, size = _filter(request.query)
    found = await request.config_dict[SERVICES].console_goods.page(wanted, sort, page, size)
    return found, wanted, sort


@routes.get("/goods")
async def goods_page(request: web.Request) -> web.Response:
    found, wanted, sort = await _page(request)
    categories = await request.config_dict[SERVICES].merchant.categories()
    locale = locale_of(request)
    base = {k: v for k, v in request.query.items() if k != "page"}
    return render(
        request,
        "console/goods/list.html",
        found=found,
        wanted=wanted,
        sort=sort,
        sorts=list(GoodsSort),
        sizes=PAGE_SIZES,
        categories=category_options(categories, locale),
        query=base,
        plain_price=format_price_plain,
    )


@routes.get("/api/goods")
async def goods_api(request: web.Request) -> web.Response:
    found, _wanted, _sort = await _page(request)
    return json_ok(
        page=found.page,
        pages=found.pages,
        total=found.total,
        page_size=found.page_size,
        items=[
            {
                "id": row.product.id,
                "sku": row.product.sku,
                "title": row.product.title.en,
                "price": row.product.price,
                "currency": row.product.currency,
                "active": row.product.active,
                "available": row.available,
                "stock": row.stock_state.value,
                "category_id": row.product.category_id,
            }
            for row in found.rows
        ],
    )


@routes.post("/api/goods/bulk")
async def goods_bulk(request: web.Request) -> web.Response:
    """{"ids": [..], "action": "price_set"|"price_percent"|"activate"|"deactivate",
    "value": "12.50" | "-10"}"""
    try:
        body = await request.json()
    except ValueError:
        raise ValidationError(N_("That request isn't valid.")) from None
    if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
        raise ValidationError(N_("Select at least one product."))
    ids = [i for i in body["ids"] if isinstance(i, int) and not isinstance(i, bool)]
    action, value = str(body.get("action", "")), str(body.get("value", ""))[:32]
    services = request.config_dict[SERVICES]
    actor = staff(request).telegram_id
    if action in ("price_set", "price_percent"):
        mode: Literal["set", "percent"] = "set" if action == "price_set" else "percent"
        outcome = await services.console_goods.bulk_price(
            actor, ids, mode, value, services.shop.currency
        )
    elif action in ("activate", "deactivate"):
        outcome = await services.console_goods.bulk_active(actor, ids, action == "activate")
    else:
        raise ValidationError(N_("Choose what to change."))
    return json_ok(changed=outcome.changed, skipped=outcome.skipped, missing=outcome.missing)


# ---- one product ----


async def _upload_photos(request: web.Request, form: MultiDictProxy[Any]) -> list[str]:
    """Send each uploaded image to the staff member's chat; the file ids Telegram gives."""
    uploads = [f for f in form.getall("photo_upload", []) if isinstance(f, web.FileField)]
    uploads = [f for f in uploads if f.filename]
    file_ids: list[str] = []
    for upload in uploads:
        data = upload.file.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES or upload.content_type not in PHOTO_TYPES or not data:
            raise PhotoRefused()
        file_ids.append(await send_photo(request, data, upload.filename))
    return file_ids


async def send_photo(request: web.Request, data: bytes, filename: str) -> str:
    bot = request.config_dict[BOT]
    caption = request.config_dict[I18N].gettext(
        "A photo for the shop, uploaded in the console.", locale=locale_of(request)
    )
    try:
        sent = await bot.send_photo(
            staff(request).telegram_id,
            BufferedInputFile(data, filename[:64] or "photo.jpg"),
            caption=caption,
            disable_notification=True,
        )
    except TelegramAPIError:
        raise PhotoNotSent() from None
    if not sent.photo:
        raise PhotoNotSent()
    return sent.photo[-1].file_id


@routes.post("/api/photos")
async def upload_photo(request: web.Request) -> web.Response:
    """One image (multipart field `photo`) -> {"file_id": ...} for a product form."""
    form = await request.post()
    upload = form.get("photo")
    if not isinstance(upload, web.FileField) or not upload.filename:
        raise PhotoRefused()
    data = upload.file.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES or upload.content_type not in PHOTO_TYPES or not data:
        raise PhotoRefused()
    return json_ok(file_id=await send_photo(request, data, upload.filename))


def _form_values(form: MultiDictProxy[Any]) -> dict[str, str]:
    names = (*field_texts_names(), "category_id")
    return {n: str(form.get(n, ""))[:4000] for n in names if isinstance(form.get(n), str)}


def field_texts_names() -> tuple[str, ...]:
    return (
        "title_en",
        "title_zh",
        "description_en",
        "description_zh",
        "price",
        "compare_at",
        "specs",
        "threshold",
        "sku",
        "brand",
    )


def _kept_photos(form: MultiDictProxy[Any]) -> list[str]:
    kept = [p for p in form.getall("photo", []) if isinstance(p, str) and 0 < len(p) <= 256]
    return list(dict.fromkeys(kept))


async def _edit_page(
    request: web.Request,
    editable: EditableProduct,
    *,
    values: dict[str, str] | None = None,
    photos: list[str] | None = None,
    problems: dict[str, str] | None = None,
    notice: str = "",
    error: str = "",
    status: int = 200,
) -> web.Response:
    services = request.config_dict[SERVICES]
    locale = locale_of(request)
    product = editable.product
    texts = field_texts(product) | {"category_id": str(product.category_id)}
    variants = await services.merchant.variants(product.id) if product.has_variants else []
    return render(
        request,
        "console/goods/edit.html",
        status=status,
        product=product,
        version=editable.version,
        values=texts | (values or {}),
        photos=photos if photos is not None else list(product.photos),
        problems=problems or {},
        notice=notice,
        error=error,
        variants=variants,
        categories=category_options(await services.merchant.categories(), locale),
        max_photos=MAX_PHOTOS,
        plain_price=format_price_plain,
    )


@routes.get(r"/goods/{product_id:\d+}")
async def edit_page(request: web.Request) -> web.Response:
    services = request.config_dict[SERVICES]
    editable = await services.merchant.editable(_product_id(request))
    saved = request.query.get("saved") == "1"
    notice = problem_text(request, N_("Saved.")) if saved else ""
    return await _edit_page(request, editable, notice=notice)


def _product_id(request: web.Request) -> int:
    number = whole_number(request.match_info["product_id"])
    if number is None or number >= 2**31:
        raise web.HTTPNotFound()
    return number


@routes.post(r"/goods/{product_id:\d+}")
async def save_product(request: web.Request) -> web.Response:
    services = request.config_dict[SERVICES]
    merchant = services.merchant
    product_id = _product_id(request)
    form = await request.post()
    values = _form_values(form)
    version = whole_number(str(form.get("version", "")))
    if version is None:  # the edit page always sends the version it was drawn from
        raise ValidationError(N_("That request isn't valid."))
    current = await merchant.editable(product_id)
    photos = _kept_photos(form)
    try:
        photos += await _upload_photos(request, form)
    except DomainError as exc:
        return await _edit_page(
            request,
            current,
            values=values,
            photos=photos,
            error=problem_text(request, exc),
            status=400,
        )
    changes, problems = merchant.form_changes(current.product, values)
    category = whole_number(values.get("category_id", ""))
    if category is not None and category != current.product.category_id:
        changes["category_id"] = category
    if tuple(photos) != current.product.photos:
        changes["photos"] = tuple(photos)
    if problems:
        texts = {name: problem_text(request, exc) for name, exc in problems.items()}
        message = problem_text(request, N_("Nothing was saved: please correct the marked fields."))
        return await _edit_page(
            request,
            current,
            values=values,
            photos=photos,
            problems=texts,
            error=message,
            status=400,
        )
    if not changes:
        raise web.HTTPSeeOther(f"/console/goods/{product_id}?saved=1")
    try:
        await merchant.edit(staff(request).telegram_id, product_id, version, changes)
    except EditConflict as exc:
        fresh = await merchant.editable(product_id)
        new_photos = [p for p in photos if p not in fresh.product.photos]
        return await _edit_page(
            request,
            fresh,
            photos=[*fresh.product.photos, *new_photos],
            error=problem_text(request, exc),
            status=409,
        )
    except DomainError as exc:
        return await _edit_page(
            request,
            current,
            values=values,
            photos=photos,
            error=problem_text(request, exc),
            status=400,
        )
    return redirect(f"/console/goods/{product_id}?saved=1")


@routes.post(r"/goods/{product_id:\d+}/active")
async def set_active(request: web.Request) -> web.Response:
    form = await request.post()
    active = form.get("active") == "1"
    product_id = _product_id(request)
    await request.config_dict[SERVICES].merchant.set_active(
        staff(request).telegram_id, product_id, active
    )
    return redirect(f"/console/goods/{product_id}?saved=1")


@routes.get("/goods/new")
async def new_page(request: web.Request) -> web.Response:
    return await _new_page(request, {}, [])


async def _new_page(
    request: web.Request,
    values: dict[str, str],
    photos: list[str],
    error: str = "",
    status: int = 200,
) -> web.Response:
    services = request.config_dict[SERVICES]
    categories = await services.merchant.categories()
    wanted = whole_number(request.query.get("category", ""))
    defaults = {"threshold": "3", "stock": "0", "category_id": str(wanted or "")}
    return render(
        request,
        "console/goods/new.html",
        status=status,
        values=defaults | values,
        photos=photos,
        error=error,
        categories=category_options(categories, locale_of(request)),
        max_photos=MAX_PHOTOS,
    )


@routes.post("/goods/new")
async def create_product(request: web.Request) -> web.Response:
    services = request.config_dict[SERVICES]
    form = await request.post()
    names = (*field_texts_names(), "category_id", "stock", "variants")
    values = {n: str(form.get(n, ""))[:8000] for n in names if isinstance(form.get(n), str)}
    photos = _kept_photos(form)
    try:
        photos += await _upload_photos(request, form)
        draft = _draft(values, photos, services.shop.currency)
        product = await services.merchant.create_product(staff(request).telegram_id, draft)
    except DomainError as exc:
        return await _new_page(request, values, photos, problem_text(request, exc), 400)
    return redirect(f"/console/goods/{product.id}?saved=1")


def _draft(values: dict[str, str], photos: list[str], currency: str) -> ProductDraft:
    def optional(name: str, clean: Any) -> str:
        raw = values.get(name, "").strip()
        return str(clean(raw)) if raw else ""

    category = whole_number(values.get("category_id", "")) or 0
    variants = parse_variant_lines(values.get("variants", ""), currency)
    price_raw = values.get("price", "").strip()
    if variants and not price_raw:
        price = min(v.price for v in variants)
    else:
        price = parse_price(price_raw, currency)
    compare = values.get("compare_at", "").strip()
    return ProductDraft(
        sku=clean_sku(values.get("sku", "")),
        category_id=category,
        title=Localized(
            clean_title(values.get("title_en", "")), optional("title_zh", clean_title)
        ),
        price=price,
        currency=currency,
        description=Localized(
            optional("description_en", clean_description),
            optional("description_zh", clean_description),
        ),
        brand=optional("brand", lambda raw: clean_line(raw, field=N_("Brand"), max_len=64)),
        compare_at=parse_price(compare, currency) if compare else None,
        photos=tuple(photos),
        specs=parse_specs(values.get("specs", "")),
        on_hand=0 if variants else parse_count(values.get("stock", "") or "0"),
        low_stock_threshold=parse_count(
            values.get("threshold", "") or "3", N_("The low-stock threshold")
        ),
        variants=variants,
    )
