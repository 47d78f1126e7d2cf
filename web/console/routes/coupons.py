"""Console pages: coupons. The list with usage (used / limit), a form to create one with the
chat dialog's rules (domain.orders.coupons parses and checks every field), and disabling or
enabling a coupon; each change audited (source "console"). Checkout reads the same coupons.

Page: GET /coupons. API: GET /api/coupons, POST /api/coupons,
POST /api/coupons/{id}/active {active}.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.orders.coupons import (
    CouponDraft,
    CouponNotFound,
    parse_code,
    parse_limit,
    parse_min_order,
    parse_value,
    parse_window,
)
from domain.orders.pricing import Coupon, CouponKind
from web.console.access import staff
from web.console.keys import SERVICES
from web.console.render import gettext, json_ok, locale_of, render
from web.console.routes.orders import (
    BAD_REQUEST,
    MAX_ID,
    View,
    json_body,
    page_number,
    text_field,
)
from web.console.routes.reviews import flag

routes = web.RouteTableDef()

DONE = {
    "created": N_("✅ Coupon saved."),
    "enabled": N_("Coupon enabled."),
    "disabled": N_("Coupon disabled."),
}


def coupon_id_of(request: web.Request) -> int:
    raw = request.match_info.get("id", "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= MAX_ID:
        raise CouponNotFound()
    return int(raw)


def _window(body: dict[str, Any], now: datetime) -> tuple[datetime | None, datetime | None]:
    """From / to dates (both days included, UTC) as the chat's window: none is 'always'."""
    start, end = text_field(body, "starts").strip(), text_field(body, "ends").strip()
    if start and not end:
        raise ValidationError(N_("Choose the last day too, or no dates for always."))
    return parse_window(f"{start} {end}".strip() or "-", now)


def _category(body: dict[str, Any]) -> int | None:
    raw = text_field(body, "category").strip()
    if not raw or raw == "0":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or int(raw) > MAX_ID:
        raise ValidationError(N_("That category doesn't exist (any more)."))
    return int(raw)


def draft_from(body: dict[str, Any], currency: str, now: datetime) -> CouponDraft:
    """A coupon from the console's form, each field checked as the chat checks it."""
    try:
        kind = CouponKind(text_field(body, "kind"))
    except ValueError:
        raise ValidationError(BAD_REQUEST) from None
    start, end = _window(body, now)
    return CouponDraft(
        code=parse_code(text_field(body, "code")),
        kind=kind,
        value=parse_value(text_field(body, "value"), kind, currency),
        currency=currency,
        min_order=parse_min_order(text_field(body, "min_order").strip() or "0", currency),
        usage_limit=parse_limit(text_field(body, "limit").strip() or "-"),
        once_per_customer=flag(body, "once"),
        starts_at=start,
        ends_at=end,
        category_id=_category(body),
    )


def _coupon(view: View, c: Coupon, categories: dict[int, str]) -> dict[str, Any]:
    if c.kind is CouponKind.PERCENT:
        value = f"{c.value}%"
    else:
        value = view.money(c.value, c.currency)
    return {
        "id": c.id,
        "code": c.code,
        "kind": c.kind.value,
        "value": c.value,
        "discount": value,
        "min_order": view.money(c.min_order, c.currency) if c.min_order else "",
        "used": c.used,
        "limit": c.usage_limit,
        "once": c.once_per_customer,
        "starts": c.starts_at.astimezone(UTC).strftime("%Y-%m-%d") if c.starts_at else "",
        # the moment it stops working, as the chat shows it (a window's last day is included)
        "ends": c.ends_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if c.ends_at else "",
        "category_id": c.category_id,
        "category": categories.get(c.category_id, f"#{c.category_id}") if c.category_id else "",
        "active": c.active,
    }


async def _categories(request: web.Request) -> dict[int, str]:
    locale = locale_of(request)
    found = await request.config_dict[SERVICES].merchant.categories()
    return {c.id: c.name.get(locale) for c in found}


async def _list(request: web.Request) -> dict[str, Any]:
    admin = request.config_dict[SERVICES].coupon_admin
    found = await admin.page(page_number(request))
    categories = await _categories(request)
    view = View(request)
    return {
        "coupons": [_coupon(view, c, categories) for c in found.items],
        "page": found.page,
        "pages": found.pages,
        "total": found.total,
        "currency": admin.currency,
        "categories": categories,
    }


@routes.get("/coupons")
async def coupons_page(request: web.Request) -> web.Response:
    data = await _list(request)
    del data["currency"]  # the page has the shop's (the coupons' currency) already
    done = DONE.get(request.query.get("done", ""))
    return render(
        request,
        "console/coupons/list.html",
        **data,
        flash=gettext(request, done) if done else "",
    )


@routes.get("/api/coupons")
async def coupons_api(request: web.Request) -> web.Response:
    return json_ok(await _list(request))


@routes.post("/api/coupons")
async def create_coupon(request: web.Request) -> web.Response:
    body = await json_body(request)
    admin = request.config_dict[SERVICES].coupon_admin
    draft = draft_from(body, admin.currency, datetime.now(UTC))
    coupon = await admin.create(staff(request).telegram_id, draft)
    view = View(request)
    return json_ok(coupon=_coupon(view, coupon, await _categories(request)), status=201)


@routes.post(r"/api/coupons/{id:\d+}/active")
async def set_active(request: web.Request) -> web.Response:
    body = await json_body(request)
    admin = request.config_dict[SERVICES].coupon_admin
    coupon = await admin.set_active(
        staff(request).telegram_id, coupon_id_of(request), flag(body, "active")
    )
    view = View(request)
    return json_ok(coupon=_coupon(view, coupon, await _categories(request)))
