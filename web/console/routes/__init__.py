"""The console's page modules; each has `routes = web.RouteTableDef()` with paths relative to
the console (`@routes.get("/goods")` answers `/console/goods`). build_console adds them all."""

from __future__ import annotations

from . import (
    audit,
    auth,
    campaigns,
    catalog_io,
    coupons,
    dashboard,
    goods,
    loyalty,
    orders,
    reviews,
    staff,
    stock,
)

MODULES = (
    auth,
    dashboard,
    goods,
    stock,
    catalog_io,
    orders,
    reviews,
    coupons,
    loyalty,
    campaigns,
    staff,
    audit,
)
