"""The cart: the same CartService as /cart in the chat (one cart for both)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from domain.cart.service import MAX_QUANTITY, CartView
from web.routes.common import (
    MAX_ID,
    fragment,
    int_field,
    json_body,
    ok,
    opt_id,
    path_id,
    services_of,
    str_field,
    user_of,
)

routes = web.RouteTableDef()


def cart_json(cart: CartView) -> dict[str, Any]:
    """Amounts in minor units, as the chat's /cart computes them."""
    t = cart.totals
    return {
        "currency": cart.currency,
        "lines": [
            {
                "id": line.id,
                "product_id": line.item.product_id,
                "variant_id": line.item.variant_id,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "amount": line.amount,
                "problem": line.problem,
            }
            for line in cart.lines
        ],
        "coupon": cart.coupon.code if cart.coupon is not None else None,
        "subtotal": t.subtotal,
        "discount": t.discount,
        "total": t.total,
        "needs_review": cart.needs_review,
    }


@routes.get("/api/view/cart")
async def view(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    cart = await s.carts.view(user.id, now=datetime.now(UTC))
    ids = list(dict.fromkeys(line.item.product_id for line in cart.lines))
    extras = await s.shelves.complete_your_order(ids, user.id)
    return fragment(request, "cart.html", cart=cart, extras=extras.products)


@routes.get("/api/cart")
async def show(request: web.Request) -> web.Response:
    cart = await services_of(request).carts.view(user_of(request).id, now=datetime.now(UTC))
    return ok(cart=cart_json(cart))


@routes.post("/api/cart/items")
async def add(request: web.Request) -> web.Response:
    """Only ids and a quantity are read: the price is the catalogue's."""
    s, user = services_of(request), user_of(request)
    body = await json_body(request)
    product_id = int_field(body, "product_id", 1, MAX_ID)
    quantity = int_field(body, "quantity", 1, MAX_QUANTITY, default=1)
    line = await s.carts.add(user.id, product_id, opt_id(body, "variant_id"), quantity)
    s.recs_events.added_to_cart(user.id, product_id)
    return ok(line_id=line.id, quantity=line.quantity)


@routes.patch("/api/cart/items/{id}")
async def change(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    body = await json_body(request)
    delta = int_field(body, "delta", -MAX_QUANTITY, MAX_QUANTITY)
    line = await s.carts.change(user.id, path_id(request), delta)
    return ok(removed=line is None)


@routes.delete("/api/cart/items/{id}")
async def remove(request: web.Request) -> web.Response:
    await services_of(request).carts.remove(user_of(request).id, path_id(request))
    return ok()


@routes.post("/api/cart/coupon")
async def apply_coupon(request: web.Request) -> web.Response:
    s, user = services_of(request), user_of(request)
    code = str_field(await json_body(request), "code", 64)
    cart = await s.carts.apply_coupon(user.id, code, datetime.now(UTC))
    return ok(cart=cart_json(cart))


@routes.delete("/api/cart/coupon")
async def remove_coupon(request: web.Request) -> web.Response:
    await services_of(request).carts.remove_coupon(user_of(request).id)
    return ok()


@routes.post("/api/cart/accept")
async def accept(request: web.Request) -> web.Response:
    cart = await services_of(request).carts.accept_changes(user_of(request).id)
    return ok(cart=cart_json(cart))


@routes.delete("/api/cart")
async def clear(request: web.Request) -> web.Response:
    await services_of(request).carts.clear(user_of(request).id)
    return ok()
