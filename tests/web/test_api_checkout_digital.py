"""The Mini App checkout by kind of goods (domain.orders.rules), on SQLite and PostgreSQL:
digital goods alone need no address and are one Stars invoice; a cart with goods that ship and
digital goods shows both parts and the two invoices before paying, places two orders and
returns both invoices (the page opens the second when the first closes); paying the Stars one
takes a code for it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.catalog.service import Localized, ProductDraft
from domain.catalog.types import ProductKind
from storage.catalog.models import DigitalUnitRow
from storage.orders.models import OrderRow
from tests.web.storefront import PROVIDER_TOKEN, Storefront
from tests.web.test_api_checkout import ADDRESS

TWO_INVOICES = "You will get two invoices, one for each part. Please pay both."


async def add_key(store: Storefront, telegram_id: int = 1001) -> int:
    """A $5.00 digital key with two codes (250 Stars at the test shop's rate), in the cart."""
    category = store.categories[next(iter(store.categories))]
    product = await store.services.catalog.create_product(
        ProductDraft(
            "KEY-1", category, Localized("Game key", "游戏激活码"), 500, kind=ProductKind.DIGITAL
        )
    )
    await store.services.digital.add_codes(product.id, "WEB-1\nWEB-2", actor=9000)
    status, body = await store.call(
        "POST", "cart/items", telegram_id, {"product_id": product.id, "quantity": 1}
    )
    assert status == 200, body
    return product.id


async def pay(store: Storefront, telegram_id: int, invoice: Any, charge: str) -> None:
    user_id = await store.user_id(telegram_id)
    now = datetime.now(UTC)
    total = sum(p.amount for p in invoice.prices)
    await store.services.payments.pre_checkout(
        user_id, invoice.payload, invoice.currency, total, None, now
    )
    await store.services.payments.paid(
        user_id, telegram_id, invoice.payload, invoice.currency, total, charge, "", now
    )


async def test_digital_goods_alone_need_no_address_and_are_paid_in_stars(
    store: Storefront,
) -> None:
    await add_key(store)
    status, html = await store.call("GET", "view/checkout")
    assert status == 200
    assert 'data-testid="address-book"' not in html and TWO_INVOICES not in html
    assert html.split('data-testid="checkout-stars-total">')[1].startswith("250 ⭐")
    assert 'data-testid="pay-button"' in html
    status, body = await store.call("POST", "checkout", json_body={})
    assert status == 200, body
    assert (body["currency"], body["amount"], body["then"]) == ("XTR", 250, None)
    (invoice,) = store.session.invoices()
    assert invoice.currency == "XTR" and invoice.provider_token == ""
    await pay(store, 1001, invoice, "stars-1")
    sold = await DigitalUnitRow.get(status="sold")
    assert (sold.order_id, sold.payload) == (body["order_id"], "WEB-1")


async def test_a_mixed_cart_is_explained_and_becomes_two_orders_and_two_invoices(
    store: Storefront,
) -> None:
    await store.call("POST", "cart/items", 1001, {"product_id": store.goods["mug"]})
    await add_key(store)
    status, body = await store.call("POST", "addresses", 1001, ADDRESS)
    address_id = body["address_id"]
    status, html = await store.call("GET", f"view/checkout?address={address_id}&option=standard")
    assert status == 200
    assert TWO_INVOICES in html and "Goods we ship (first invoice)" in html
    goods_lines = html.split('data-testid="checkout-lines">')[1].split("</ul>")[0]
    assert "Coffee mug" in goods_lines and "Game key" not in goods_lines
    assert html.split('data-testid="checkout-stars-total">')[1].startswith("250 ⭐")
    _, html_zh = await store.call(
        "GET", f"view/checkout?address={address_id}&option=standard", language="zh"
    )
    assert "您将收到两张账单" in html_zh and TWO_INVOICES not in html_zh

    status, body = await store.call(
        "POST",
        "checkout",
        json_body={"address_id": address_id, "shipping_option": "standard", "method": "card"},
    )
    assert status == 200, body
    assert (body["currency"], body["amount"]) == ("USD", 1250 + 500)  # mug + shipping
    then = body["then"]
    assert (then["currency"], then["amount"], then["then"]) == ("XTR", 250, None)
    assert then["order_id"] != body["order_id"]
    card, stars = sorted(store.session.invoices(), key=lambda i: i.currency != "USD")
    assert (card.currency, card.provider_token) == ("USD", PROVIDER_TOKEN)
    assert (stars.currency, stars.provider_token) == ("XTR", "")
    orders = {o.id: o for o in await OrderRow.filter(id__in=[body["order_id"], then["order_id"]])}
    assert (orders[body["order_id"]].digital, orders[then["order_id"]].digital) == (False, True)

    await pay(store, 1001, stars, "stars-2")
    assert await DigitalUnitRow.filter(status="sold", order_id=then["order_id"]).count() == 1
    await pay(store, 1001, card, "card-2")
    paid = await OrderRow.filter(id__in=list(orders)).values_list("status", flat=True)
    assert sorted(paid) == ["paid", "paid"]  # the chat handler then delivers the digital one
