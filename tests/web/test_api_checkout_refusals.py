"""A Mini App checkout refused for a reason in the cart says that reason, as the chat does
(domain/cart/refusal.py), not a generic "cart changed"; nothing is placed."""

from __future__ import annotations

from storage.catalog.models import ProductRow
from storage.orders.models import OrderRow
from tests.web.storefront import Storefront
from tests.web.test_api_checkout import ADDRESS

CHECKOUT = {"shipping_option": "standard", "method": "card"}


async def mug_in_cart(store: Storefront, telegram_id: int) -> int:
    mug = store.goods["mug"]
    await store.call("POST", "cart/items", telegram_id, {"product_id": mug, "quantity": 2})
    status, body = await store.call("POST", "addresses", telegram_id, ADDRESS)
    assert status == 200, body
    return int(body["address_id"])


async def test_a_changed_price_is_named_in_the_shoppers_language(store: Storefront) -> None:
    address_id = await mug_in_cart(store, 1001)
    await ProductRow.filter(id=store.goods["mug"]).update(price=1500)
    body = {**CHECKOUT, "address_id": address_id}
    status, refused = await store.call("POST", "checkout", 1001, body)
    assert (status, refused["error"]) == (409, "cart_changed"), refused
    assert refused["message"] == "The price of Coffee mug changed to $15.00."
    status, refused = await store.call("POST", "checkout", 1001, body, language="zh")
    assert status == 409 and "咖啡杯" in refused["message"] and "price" not in refused["message"]
    assert await OrderRow.all().count() == 0


async def test_a_sold_out_item_is_named(store: Storefront) -> None:
    address_id = await mug_in_cart(store, 1002)
    await ProductRow.filter(id=store.goods["mug"]).update(on_hand=0)
    status, refused = await store.call(
        "POST", "checkout", 1002, {**CHECKOUT, "address_id": address_id}
    )
    assert (status, refused["error"]) == (409, "cart_changed"), refused
    assert refused["message"] == "Coffee mug is sold out."
    assert await OrderRow.all().count() == 0
