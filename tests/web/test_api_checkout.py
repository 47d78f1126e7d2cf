"""Checkout through the storefront's API on SQLite and PostgreSQL: the order and the invoice
link are built on the server from its own cart and prices; the chat's payment path
(pre-checkout, successful payment) finishes it; the order shows paid in the page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.orders.pricing import stars_amount
from tests.web.storefront import PROVIDER_TOKEN, Storefront, open_storefront

ADDRESS = {
    "recipient": "Ann Lee",
    "phone": "+1 555 123 4567",
    "city": "Springfield",
    "street": "12 Elm Street",
    "postcode": "12345",
}


async def fill_cart(store: Storefront, telegram_id: int = 1001) -> int:
    await store.call(
        "POST", "cart/items", telegram_id, {"product_id": store.goods["mug"], "quantity": 2}
    )
    await store.call(
        "POST",
        "cart/items",
        telegram_id,
        {"product_id": store.goods["shirt"], "variant_id": store.variants["TEE-M"]},
    )
    status, body = await store.call("POST", "addresses", telegram_id, ADDRESS)
    assert status == 200, body
    return int(body["address_id"])


async def pay(store: Storefront, telegram_id: int, invoice: Any) -> None:
    """What Telegram and the chat's payment handlers do once the shopper pays."""
    user_id = await store.user_id(telegram_id)
    now = datetime.now(UTC)
    total = sum(p.amount for p in invoice.prices)
    await store.services.payments.pre_checkout(
        user_id, invoice.payload, invoice.currency, total, None, now
    )
    await store.services.payments.paid(
        user_id,
        telegram_id,
        invoice.payload,
        invoice.currency,
        total,
        "charge-1",
        "provider-1",
        now,
    )


async def test_checkout_view_matches_the_chats_totals(store: Storefront) -> None:
    address_id = await fill_cart(store)
    await store.call("POST", "cart/coupon", json_body={"code": "SAVE10"})
    status, html = await store.call("GET", f"view/checkout?address={address_id}&option=express")
    assert status == 200
    user_id = await store.user_id(1001)
    now = datetime.now(UTC)
    option = store.services.orders.config.option("express")
    cart = await store.services.carts.view(user_id, now=now, shipping=option)
    chat = await store.services.orders.checkout_totals(user_id, cart, 0, now)  # chat's review
    goods = 2 * 1250 + 1999
    assert chat.total == goods - goods // 10 + 1500
    assert html.split('data-testid="checkout-total">')[1].startswith("$55.50")  # 4499 - 449 + 1500
    assert 'data-option-id="express" checked' in html


async def test_card_checkout_builds_the_invoice_on_the_server(store: Storefront) -> None:
    address_id = await fill_cart(store)
    status, body = await store.call(
        "POST",
        "checkout",
        json_body={
            "address_id": address_id,
            "shipping_option": "standard",
            "method": "card",
            "total": 1,
            "price": 1,
            "amount": 1,
            "user_id": 7,  # ignored: never read
        },
    )
    assert status == 200, body
    assert body["invoice_link"].startswith("https://t.me/$")
    assert body["amount"] == 2 * 1250 + 1999 + 500 and body["currency"] == "USD"
    (invoice,) = store.session.invoices()
    assert invoice.provider_token == PROVIDER_TOKEN
    assert sum(p.amount for p in invoice.prices) == body["amount"]
    assert [p.label for p in invoice.prices][-1] == "Shipping: Standard delivery"
    assert invoice.title == f"Order #{body['order_id']}"

    _, html = await store.call("GET", f"view/order/{body['order_id']}")
    assert 'data-status="pending_payment"' in html and 'data-testid="order-pay"' in html
    await pay(store, 1001, invoice)
    _, html = await store.call("GET", f"view/order/{body['order_id']}")
    assert 'data-status="paid"' in html
    assert html.count('data-testid="timeline-event"') >= 2
    _, body = await store.call("GET", "cart")
    assert body["cart"]["lines"] == []  # the paid goods left the one shared cart
    _, html = await store.call("GET", "view/orders")
    assert html.count('data-testid="order-row"') == 1


async def test_stars_checkout_has_one_price_and_no_token(store: Storefront) -> None:
    address_id = await fill_cart(store)
    status, body = await store.call(
        "POST",
        "checkout",
        json_body={"address_id": address_id, "shipping_option": "pickup", "method": "stars"},
    )
    assert status == 200, body
    (invoice,) = store.session.invoices()
    assert invoice.currency == "XTR" and invoice.provider_token == ""
    assert [p.amount for p in invoice.prices] == [stars_amount(2 * 1250 + 1999, "USD", 2)]


async def test_same_idempotency_key_places_one_order(store: Storefront) -> None:
    address_id = await fill_cart(store)
    request = {"address_id": address_id, "shipping_option": "standard", "method": "card"}
    key = {"Idempotency-Key": "tap-0123456789abcdef"}  # 20 characters
    _, first = await store.call("POST", "checkout", json_body=request, headers=key)
    _, again = await store.call("POST", "checkout", json_body=request, headers=key)
    assert first["order_id"] == again["order_id"]
    _, html = await store.call("GET", "view/orders")
    assert html.count('data-testid="order-row"') == 1


async def test_pay_again_gives_a_new_link_for_an_unpaid_order(store: Storefront) -> None:
    address_id = await fill_cart(store)
    _, body = await store.call(
        "POST",
        "checkout",
        json_body={"address_id": address_id, "shipping_option": "standard", "method": "card"},
    )
    status, again = await store.call("POST", f"orders/{body['order_id']}/invoice")
    assert status == 200 and again["amount"] == body["amount"]
    assert len(store.session.invoices()) == 2
    status, order = await store.call("GET", f"orders/{body['order_id']}")
    assert order["order"]["total"] == body["amount"]


async def test_the_paid_order_view_says_so_in_the_shoppers_words(store: Storefront) -> None:
    """The page's toast after openInvoice's "paid" reads the order view's data-paid: the
    chat's receipt text, set only once the payment is recorded."""
    address_id = await fill_cart(store)
    _, body = await store.call(
        "POST",
        "checkout",
        json_body={"address_id": address_id, "shipping_option": "standard", "method": "card"},
    )
    order_id = body["order_id"]
    _, html = await store.call("GET", f"view/order/{order_id}")
    assert "data-paid=" not in html  # not paid yet: nothing to announce
    (invoice,) = store.session.invoices()
    await pay(store, 1001, invoice)
    _, html = await store.call("GET", f"view/order/{order_id}")
    paid = html.split('data-paid="')[1].split('"')[0]
    assert paid.startswith(f"✅ Payment received for order #{order_id}. Thank you!")
    _, html = await store.call("GET", f"view/order/{order_id}", language="zh")
    paid_zh = html.split('data-paid="')[1].split('"')[0]
    assert f"#{order_id}" in paid_zh and "Payment received" not in paid_zh


async def test_checkout_view_tells_when_discounts_stop_at_the_minimum_charge(db: str) -> None:
    """As the chat's review: a coupon that would take the total under the shop's minimum
    charge stops there, and the page says why (same msgid, translated)."""
    store = await open_storefront(loyalty={"min_charge": 4200})
    try:
        address_id = await fill_cart(store)
        query = f"view/checkout?address={address_id}&option=pickup"
        _, html = await store.call("GET", query)
        assert 'data-testid="checkout-minimum"' not in html  # nothing held without a coupon
        await store.call("POST", "cart/coupon", json_body={"code": "SAVE10"})
        _, html = await store.call("GET", query)
        note = html.split('data-testid="checkout-minimum">')[1].split("</p>")[0]
        assert note == "Discounts stop at $42.00, the smallest payment we can take."
        assert html.split('data-testid="checkout-total">')[1].startswith("$42.00")
        _, html = await store.call("GET", query, language="zh")
        note = html.split('data-testid="checkout-minimum">')[1].split("</p>")[0]
        assert note.startswith("优惠后至少需支付") and "42.00" in note
    finally:
        await store.client.close()


async def test_the_members_tier_is_named_in_the_shoppers_language(store: Storefront) -> None:
    from dataclasses import replace

    from domain.loyalty.rules import Tier

    loyalty = store.services.loyalty
    tier = Tier("Silver", 0, percent_off=5, free_shipping_over=1000)
    loyalty.config = replace(loyalty.config, tiers=(tier,))
    address_id = await fill_cart(store)
    path = f"view/checkout?address={address_id}&option=standard"
    _, html = await store.call("GET", path)
    assert "Member discount (Silver)" in html and "Free shipping (Silver)" in html, html
    await store.services.users.set_language(await store.user_id(1001), "zh")
    _, html = await store.call("GET", path)
    assert "会员折扣（银卡）" in html and "免运费（银卡）" in html, html
    assert "Silver" not in html
