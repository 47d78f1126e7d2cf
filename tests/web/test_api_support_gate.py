"""The storefront keeps the chat's support-line rules (web/gate.py over SupportService), on
SQLite and PostgreSQL: a blocked shopper is refused politely in their language and nothing of
theirs is processed; while the owner has closed the shop shoppers get the owner's message and
staff still get through; a payment in flight can still show its outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from storage.orders.models import OrderRow
from tests.web.storefront import Storefront, open_storefront
from tests.web.test_api_checkout import fill_cart, pay

OWNER, ANN, BOB, CAI = 9000, 1001, 2002, 3003
BLOCKED_EN = "We're sorry, but this shop can't serve you."
BLOCKED_ZH = "很抱歉，本店无法为您提供服务。"
NOTE = "Stocktaking until Monday."


@pytest_asyncio.fixture
async def shop(db: str) -> AsyncIterator[Storefront]:
    """The seeded storefront with an owner (ADMIN_IDS) who can block and close."""
    s = await open_storefront(admin_ids=[OWNER])
    try:
        yield s
    finally:
        await s.client.close()


async def add_mug(store: Storefront, telegram_id: int, language: str = "en") -> tuple[int, dict]:
    body = {"product_id": store.goods["mug"]}
    return await store.call("POST", "cart/items", telegram_id, body, language=language)


async def test_a_blocked_shopper_is_refused_and_nothing_is_processed(shop: Storefront) -> None:
    support = shop.services.support
    assert (await add_mug(shop, ANN))[0] == 200  # Ann, a known shopper with a cart line
    assert await support.set_blocked(OWNER, ANN, True)
    await support.set_blocked(OWNER, CAI, True)  # Cai never opened the shop
    for method, path in [
        ("GET", "me"),
        ("GET", "view/home"),
        ("GET", "cart"),
        ("DELETE", "cart"),
        ("POST", "addresses"),
        ("POST", "checkout"),
    ]:
        status, body = await shop.call(method, path, ANN, json_body={})
        assert (status, body) == (403, {"error": "blocked", "message": BLOCKED_EN}), path
    # in the shopper's own language; and not even registered: nothing of theirs is processed
    assert await add_mug(shop, CAI, "zh") == (403, {"error": "blocked", "message": BLOCKED_ZH})
    assert await shop.services.users.repo.get_by_telegram_id(CAI) is None
    ann = await shop.user_id(ANN)
    assert [line.quantity for line in await shop.services.carts.carts.items(ann)] == [1]
    assert await shop.services.users.addresses(ann) == []
    # other shoppers are served; unblocked, Ann is served again with her cart as it was
    assert (await add_mug(shop, BOB))[0] == 200
    await support.set_blocked(OWNER, ANN, False)
    status, body = await shop.call("GET", "cart", ANN)
    assert status == 200 and [line["quantity"] for line in body["cart"]["lines"]] == [1]


async def test_a_closed_shop_shows_its_message_to_shoppers_not_staff(shop: Storefront) -> None:
    support = shop.services.support
    address_id = await fill_cart(shop, ANN)
    status, placed = await shop.call(
        "POST",
        "checkout",
        ANN,
        {"address_id": address_id, "shipping_option": "standard", "method": "card"},
    )
    assert status == 200, placed
    (invoice,) = shop.session.invoices()
    await support.set_maintenance(OWNER, True, NOTE)

    closed = {"error": "closed", "message": f"🚧 The shop is closed for now.\n\n{NOTE}"}
    assert await shop.call("GET", "view/home", BOB) == (503, closed)
    assert await add_mug(shop, BOB) == (503, closed)
    status, body = await shop.call("GET", "me", BOB, language="zh")
    assert (status, body["message"]) == (503, f"🚧 商店暂时关闭。\n\n{NOTE}")
    # no new payment while closed, but the one in flight completes and shows its outcome
    pay_again = await shop.call("POST", f"orders/{placed['order_id']}/invoice", ANN, {})
    assert pay_again == (503, closed)
    await pay(shop, ANN, invoice)
    status, html = await shop.call("GET", f"view/order/{placed['order_id']}", ANN)
    assert status == 200 and 'data-status="paid"' in html
    status, body = await shop.call("GET", f"orders/{placed['order_id']}", ANN)
    assert status == 200 and body["order"]["payment"] == "paid"
    assert (await shop.call("GET", "view/orders", ANN))[0] == 503
    # staff keep working in the storefront
    assert (await shop.call("GET", "view/home", OWNER))[0] == 200
    assert (await add_mug(shop, OWNER))[0] == 200
    assert await OrderRow.filter(user__telegram_id=BOB).count() == 0

    await support.set_maintenance(OWNER, False)
    assert (await add_mug(shop, BOB))[0] == 200
