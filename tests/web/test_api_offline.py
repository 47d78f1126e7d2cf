"""The Mini App's checkout and offline payment, on SQLite and PostgreSQL: the page always ends
in a Telegram invoice, so a shop that takes cash on delivery or bank transfer (offered in the
chat's checkout) offers only its online methods here; asking for an offline one places
nothing and reserves nothing."""

from __future__ import annotations

from storage.catalog.models import ProductRow
from storage.orders.models import OrderRow
from tests.web.storefront import PROVIDER_TOKEN, open_storefront
from tests.web.test_api_checkout import fill_cart

PAYMENTS = {
    "invoice_secret": "kiosk-test-invoice-secret",
    "provider_token": PROVIDER_TOKEN,
    "use_stars": True,
    "cash_on_delivery": True,
    "bank_transfer": "Kiosk Ltd, IBAN GB00 KIOS 0000 0000 0000 00",
}


async def test_offline_methods_are_not_offered_in_the_mini_app(db: str) -> None:
    store = await open_storefront(payments=PAYMENTS)
    try:
        assert store.services.orders.config.cod and store.services.orders.config.bank
        address_id = await fill_cart(store)
        _, html = await store.call("GET", f"view/checkout?address={address_id}&option=standard")
        assert 'value="card"' in html and 'value="stars"' in html, html
        assert 'value="cod"' not in html and 'value="bank"' not in html
        mug = await ProductRow.get(id=store.goods["mug"])
        for method in ("cod", "bank"):
            status, body = await store.call(
                "POST",
                "checkout",
                json_body={
                    "address_id": address_id,
                    "shipping_option": "standard",
                    "method": method,
                },
            )
            assert status == 400, body
        assert await OrderRow.all().count() == 0
        assert (await ProductRow.get(id=mug.id)).reserved == mug.reserved
        assert store.session.invoices() == []
        status, body = await store.call(
            "POST",
            "checkout",
            json_body={"address_id": address_id, "shipping_option": "standard", "method": "card"},
        )
        assert status == 200 and body["invoice_link"].startswith("https://t.me/$"), body
    finally:
        await store.client.close()
