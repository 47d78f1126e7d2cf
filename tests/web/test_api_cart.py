"""The cart through the storefront's API, on SQLite and PostgreSQL: the chat's CartService,
so one cart for both, and totals equal to the chat's to the cent."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.i18n import build_i18n
from domain.kernel.money import money as chat_money
from handlers.cart.view import cart_text
from tests.web.storefront import Storefront
from tests.web.test_api_checkout import ADDRESS


async def test_add_change_remove_and_totals_match_the_chat(store: Storefront) -> None:
    mug, shirt = store.goods["mug"], store.goods["shirt"]
    status, body = await store.call(
        "POST", "cart/items", json_body={"product_id": mug, "quantity": 2}
    )
    assert status == 200
    mug_line = body["line_id"]
    status, _ = await store.call(
        "POST",
        "cart/items",
        json_body={"product_id": shirt, "variant_id": store.variants["TEE-M"]},
    )
    assert status == 200
    status, body = await store.call("PATCH", f"cart/items/{mug_line}", json_body={"delta": 1})
    assert status == 200 and body["removed"] is False
    status, body = await store.call("GET", "cart")
    cart = body["cart"]
    assert [(line["quantity"], line["unit_price"]) for line in cart["lines"]] == [
        (3, 1250),
        (1, 1999),
    ]
    assert cart["subtotal"] == 3 * 1250 + 1999 == cart["total"]

    # The chat reads the same cart and prints the same total.
    user_id = await store.user_id(1001)
    chat_cart = await store.services.carts.view(user_id, now=datetime.now(UTC))
    assert chat_cart.totals.total == cart["total"]
    _, html = await store.call("GET", "view/cart")
    assert chat_money(cart["total"], "USD", "en") in html  # "$57.49"
    i18n = build_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        assert chat_money(cart["total"], "USD", "en") in cart_text(chat_cart, "en")

    status, _ = await store.call("DELETE", f"cart/items/{mug_line}")
    assert status == 200
    _, body = await store.call("GET", "cart")
    assert len(body["cart"]["lines"]) == 1


async def test_coupon_applies_and_bad_codes_are_refused_translated(store: Storefront) -> None:
    await store.call(
        "POST", "cart/items", json_body={"product_id": store.goods["mug"], "quantity": 4}
    )
    status, body = await store.call("POST", "cart/coupon", json_body={"code": " save10 "})
    assert status == 200
    assert body["cart"]["discount"] == 500 and body["cart"]["total"] == 4500
    _, html = await store.call("GET", "view/cart")
    assert 'data-testid="coupon-applied"' in html and "−$5.00" in html
    status, body = await store.call(
        "POST", "cart/coupon", json_body={"code": "NOPE99"}, language="zh"
    )
    assert status == 409 and body["error"] == "refused"
    assert body["message"] == "没有这个优惠码。" or "优惠" in body["message"]
    status, _ = await store.call("DELETE", "cart/coupon")
    _, body = await store.call("GET", "cart")
    assert body["cart"]["discount"] == 0


async def test_rules_of_the_cart_are_the_chats(store: Storefront) -> None:
    status, body = await store.call(
        "POST", "cart/items", json_body={"product_id": store.goods["shirt"]}
    )
    assert status == 400  # a product with options needs one chosen
    assert "option" in body["message"]
    status, body = await store.call(
        "POST", "cart/items", json_body={"product_id": store.goods["gone"]}
    )
    assert status == 409 and "out of stock" in body["message"]
    status, body = await store.call(
        "POST",
        "cart/items",
        json_body={"product_id": store.goods["shirt"], "variant_id": store.variants["TEE-L"]},
    )
    assert status == 409  # that size is sold out


async def test_chat_and_mini_app_share_one_cart(store: Storefront) -> None:
    user_id = (await store.services.users.seen(_identity(1001)))[0].id
    await store.services.carts.add(user_id, store.goods["mug"], None, 2)  # added in the chat
    _, body = await store.call("GET", "cart")
    assert [line["quantity"] for line in body["cart"]["lines"]] == [2]
    status, _ = await store.call("DELETE", "cart")
    assert status == 200
    assert (await store.services.carts.view(user_id)).empty


def _identity(telegram_id: int):  # type: ignore[no-untyped-def]
    from domain.users.service import TelegramIdentity

    return TelegramIdentity(telegram_id=telegram_id, first_name="Ann", language_code="en")


async def test_a_line_sold_out_meanwhile_says_so_and_accepting_removes_it(
    store: Storefront,
) -> None:
    await store.call("POST", "cart/items", 1001, {"product_id": store.goods["mug"]})
    # Another shopper takes all twenty mugs between Ann's cart and her checkout.
    bob = {"product_id": store.goods["mug"], "quantity": 20}
    await store.call("POST", "cart/items", 2002, bob)
    status, body = await store.call("POST", "addresses", 2002, ADDRESS)
    assert status == 200, body
    order = {"address_id": body["address_id"], "shipping_option": "pickup", "method": "card"}
    assert (await store.call("POST", "checkout", 2002, order))[0] == 200
    _, html = await store.call("GET", "view/cart", 1001)
    problem = html.split('data-testid="line-problem">')[1].split("</p>")[0]
    assert problem == "⚠️ Sold out: accepting the changes removes it."
    await store.services.users.set_language(await store.user_id(1001), "zh")
    _, html = await store.call("GET", "view/cart", 1001)
    assert "⚠️ 已售罄：接受更改后将从购物车移除。" in html
    await store.call("POST", "cart/accept", 1001, {})
    _, body = await store.call("GET", "cart", 1001)
    assert body["cart"]["lines"] == []
