"""Console pages: low and out-of-stock goods, and a product's stock ledger with adjustments.

An adjustment is a movement through the inventory ledger with a reason (the chat's /stock
flow: domain.inventory StockService), never an edited number: two people adjusting at once
both count, and every unit's stock stays the sum of its ledger rows.
"""

from __future__ import annotations

from aiohttp import web

from domain.inventory.ledger import (
    MANUAL_REASONS,
    REASON_LABELS,
    StockReason,
    parse_quantity,
)
from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import whole_number
from web.console.access import staff
from web.console.keys import SERVICES
from web.console.render import redirect, render
from web.console.routes.catalog_io import problem_text

routes = web.RouteTableDef()


@routes.get("/stock")
async def low_stock(request: web.Request) -> web.Response:
    page = whole_number(request.query.get("page", "1")) or 1
    found = await request.config_dict[SERVICES].stock.low_stock(min(page, 10**6))
    return render(request, "console/goods/stock.html", found=found)


def _product_id(request: web.Request) -> int:
    number = whole_number(request.match_info["product_id"])
    if number is None or number >= 2**31:
        raise web.HTTPNotFound()
    return number


async def _ledger_page(
    request: web.Request, product_id: int, error: str = "", status: int = 200
) -> web.Response:
    services = request.config_dict[SERVICES]
    editable = await services.merchant.editable(product_id)
    product = editable.product
    page = whole_number(request.query.get("page", "1")) or 1
    entries, page, pages = await services.console_goods.ledger(product_id, min(page, 10**6))
    variants = await services.merchant.variants(product_id) if product.has_variants else []
    labels = {v.id: f"{v.sku} · {v.label}" for v in variants}
    saved = request.query.get("saved") == "1"
    return render(
        request,
        "console/goods/ledger.html",
        status=status,
        product=product,
        variants=variants,
        labels=labels,
        entries=entries,
        page=page,
        pages=pages,
        reasons=MANUAL_REASONS,
        reason_labels=REASON_LABELS,
        error=error,
        notice=problem_text(request, N_("Stock changed.")) if saved else "",
    )


@routes.get(r"/goods/{product_id:\d+}/stock")
async def ledger(request: web.Request) -> web.Response:
    return await _ledger_page(request, _product_id(request))


@routes.post(r"/goods/{product_id:\d+}/stock")
async def adjust(request: web.Request) -> web.Response:
    services = request.config_dict[SERVICES]
    product_id = _product_id(request)
    form = await request.post()
    try:
        reason_raw = str(form.get("reason", ""))
        if reason_raw not in {r.value for r in MANUAL_REASONS}:
            raise ValidationError(N_("Choose one of the reasons shown."))
        reason = StockReason(reason_raw)
        quantity = parse_quantity(str(form.get("quantity", "")), reason)
        variant = whole_number(str(form.get("variant_id", "")))
        await services.stock.adjust(
            staff(request).telegram_id, product_id, variant or None, reason, quantity
        )
    except DomainError as exc:
        return await _ledger_page(request, product_id, problem_text(request, exc), 400)
    return redirect(f"/console/goods/{product_id}/stock?saved=1")
