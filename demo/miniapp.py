"""The Mini App scene: a shopper opens the storefront from the menu button and buys in it.

No browser: the scene calls the storefront's API the way its page does (``Authorization: tma
<initData>``, initData signed by the emulator exactly as Telegram signs it) and pays the
invoice link through the emulator's payment form, as ``Telegram.WebApp.openInvoice`` does. The
bot's side of the payment (pre-checkout, successful_payment, the receipt) shows in the chat
transcript. ``python main.py demo --browse`` leaves the shop running for a person instead.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import quote

import aiohttp

from demo.harness import Sandboxed, storefront_url
from domain.kernel.errors import DomainError
from domain.orders.coupons import CouponDraft
from domain.orders.pricing import CouponKind
from sandbox import SandboxUser
from sandbox.miniapp import format_amount, init_data_of

DEMO_COUPON = "WELCOME10"
_CARD = re.compile(r'data-testid="product-card" data-product-id="(\d+)"')
_OPTION_IN_STOCK = re.compile(r'data-variant-id="(\d+)">')  # sold-out ones are disabled


class StorefrontClient:
    """The storefront page's calls, made from Python for one launch of the Mini App."""

    def __init__(self, http: aiohttp.ClientSession, base: str, init_data: str) -> None:
        self.http = http
        self.base = base
        self.headers = {"Authorization": f"tma {init_data}"}
        self.init_data = init_data

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = dict(self.headers)
        if method != "GET":
            headers["Idempotency-Key"] = secrets.token_hex(12)
        async with self.http.request(
            method, f"{self.base}api/{path}", json=body, headers=headers
        ) as resp:
            data = await resp.json() if resp.content_type == "application/json" else None
            if resp.status >= 400:
                raise RuntimeError(f"{method} {path}: {resp.status} {data}")
            return data if data is not None else await resp.text()

    async def view(self, path: str) -> str:
        return str(await self.call("GET", f"view/{path}"))


async def ensure_coupon(k: Sandboxed, owner: int) -> None:
    """The welcome coupon the Mini App shopper uses (the owner's, made once)."""
    services = k.app.services
    try:
        await services.coupon_admin.create(
            owner, CouponDraft(DEMO_COUPON, CouponKind.PERCENT, 10, services.shop.currency)
        )
    except DomainError:
        pass  # made by an earlier run of the scene


async def pay_in_client(k: Sandboxed, init_data: str, link: str) -> str:
    """``openInvoice(link)`` and "Pay" in the emulator's Telegram client: the status."""
    base = k.sandbox.base_url
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/miniapp/invoice", json={"init_data": init_data, "url": link}
        ) as resp:
            form = await resp.json()
        if not form.get("ok"):
            return "failed"
        async with http.post(
            f"{base}/miniapp/pay", json={"init_data": init_data, "form_id": form["form_id"]}
        ) as resp:
            paid = await resp.json()
    return str(paid["status"])


async def shopper_buys_in_mini_app(k: Sandboxed, owner: int = 9000) -> list[SandboxUser]:
    """Mei opens the shop from the menu button, searches, picks an option, applies a coupon,
    adds an address, checks out and pays with Telegram's payment form; the bot thanks her."""
    await ensure_coupon(k, owner)
    mei = k.sandbox.user(2006, "Mei", username="mei", language_code="en")
    await mei.send("/start")
    launch = mei.open_mini_app("menu")
    base = storefront_url(k.settings)
    say = mei.story.append
    async with aiohttp.ClientSession() as http:
        async with http.get(base) as resp:
            page = await resp.text()
        say(f"Mei ▸ [Mini App] opens {base} ({resp.status}, {len(page)} bytes)\n")
        shop = StorefrontClient(http, base, init_data_of(launch))
        me = await shop.call("GET", "me")
        suggest = await shop.call("GET", "suggest?q=runn")
        titles = ", ".join(item["title"] for item in suggest["items"][:3])
        say(f"Mei ▸ [Mini App] hello {me['name']}; typing “runn” suggests: {titles}\n")
        html = await shop.view(f"search?q={quote('running shoes')}")
        found = _CARD.findall(html)
        say(f"Mei ▸ [Mini App] searches “running shoes”: {len(found)} found\n")
        chosen, variant = await _product_with_option(shop, found)
        await shop.call("POST", "cart/items", {"product_id": chosen, "variant_id": variant})
        await shop.call("POST", "cart/coupon", {"code": DEMO_COUPON})
        cart = (await shop.call("GET", "cart"))["cart"]
        total = format_amount(cart["total"], cart["currency"])
        say(
            f"Mei ▸ [Mini App] adds product {chosen} (option {variant}) to the cart, "
            f"coupon {cart['coupon']}: total {total}\n"
        )
        address = await shop.call(
            "POST",
            "addresses",
            {
                "recipient": "Mei Chen",
                "phone": "+65 6123 4567",
                "city": "Singapore",
                "street": "1 Fullerton Road",
                "postcode": "049213",
            },
        )
        order = await shop.call(
            "POST",
            "checkout",
            {"address_id": address["address_id"], "shipping_option": "", "method": "stars"},
        )
        amount = format_amount(order["amount"], order["currency"])
        say(f"Mei ▸ [Mini App] places order #{order['order_id']} ({amount}), opens the invoice\n")
        status = await pay_in_client(k, shop.init_data, str(order["invoice_link"]))
        placed = (await shop.call("GET", f"orders/{order['order_id']}"))["order"]
        say(f"Mei ▸ [Mini App] payment {status}; the order page says {placed['status']}\n")
        if status != "paid" or placed["status"] != "paid":
            raise RuntimeError(f"the Mini App purchase failed:\n{mei.transcript(history=True)}")
    return [mei]


async def _product_with_option(shop: StorefrontClient, ids: list[str]) -> tuple[int, int | None]:
    """The first found product that can be bought, with its first option left in stock."""
    for product_id in ids:
        html = await shop.view(f"product/{product_id}")
        if 'data-testid="add-to-cart" disabled' in html:
            continue
        options = _OPTION_IN_STOCK.findall(html)
        if 'data-testid="variant-option"' in html and not options:
            continue
        return int(product_id), int(options[0]) if options else None
    raise RuntimeError("nothing found to buy in the demo catalogue")
