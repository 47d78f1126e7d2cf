"""The storefront's order pages name a status as the chat does (domain/orders/labels.py), in
the shopper's language: one table of names, not a copy in the templates."""

from __future__ import annotations

from bot.i18n import build_i18n
from domain.orders.labels import STATUS_NAMES
from domain.orders.states import OrderStatus
from tests.web.storefront import Storefront
from tests.web.test_api_checkout import fill_cart, pay


async def test_order_pages_name_the_status_in_the_shoppers_language(store: Storefront) -> None:
    address_id = await fill_cart(store)
    _, body = await store.call(
        "POST",
        "checkout",
        json_body={"address_id": address_id, "shipping_option": "standard", "method": "card"},
    )
    order_id = body["order_id"]
    waiting = STATUS_NAMES[OrderStatus.PENDING_PAYMENT]
    _, html = await store.call("GET", f"view/order/{order_id}")
    assert waiting in html
    (invoice,) = store.session.invoices()
    await pay(store, 1001, invoice)
    paid_zh = build_i18n().gettext(STATUS_NAMES[OrderStatus.PAID], locale="zh")
    assert paid_zh != STATUS_NAMES[OrderStatus.PAID]
    for view in (f"view/order/{order_id}", "view/orders"):
        _, html = await store.call("GET", view, language="zh")
        assert paid_zh in html, view
