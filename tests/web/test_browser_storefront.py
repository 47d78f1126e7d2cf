"""A shopper's whole journey through the Mini App storefront in a real browser (Chromium),
with Kiosk running against the emulator, which plays the Telegram client: open the Mini App
from the menu button, browse, search in English and Chinese, open a product, pick a variant,
add it with the Main button, apply a coupon, check out with a new address, pay through
openInvoice, and see the paid order in the page and in the chat. Each step leaves a
screenshot in test-output/screenshots/storefront-*.png."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from demo.harness import Sandboxed, storefront_url
from demo.run import DEMO_OWNER, DEMO_PAYMENTS
from demo.seed import seed_demo_catalog
from domain.orders.coupons import CouponDraft
from domain.orders.pricing import CouponKind
from tests.e2e.conftest import need_backends, running_kiosk
from tests.web.browser import chromium_executable, screenshot, webview

chromium_executable()  # fails (test command) or skips here without Chromium/Playwright
from playwright.async_api import FloatRect, Frame, Page, Route, expect  # noqa: E402

pytestmark = pytest.mark.asyncio
COUPON = "WELCOME10"
# Photos of the demo catalogue live on an image host; the test answers for it (offline).
PHOTO_HOSTS = "https://picsum.photos/**"


@pytest.fixture(params=["polling-sqlite", "webhook-postgres-redis"])
def mode(request: pytest.FixtureRequest) -> str:
    return need_backends(str(request.param))


@pytest_asyncio.fixture
async def shop(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Sandboxed]:
    async with running_kiosk(
        mode, request, tmp_path, storefront=True, payments=DEMO_PAYMENTS
    ) as running:
        await seed_demo_catalog(n=60, seed=42)
        services = running.app.services
        await services.coupon_admin.create(
            DEMO_OWNER, CouponDraft(COUPON, CouponKind.PERCENT, 10, services.shop.currency)
        )
        yield running


async def placeholder_photo(route: Route) -> None:
    """A coloured square standing in for a catalogue photo (a hue per URL)."""
    hue = int(hashlib.sha256(route.request.url.encode()).hexdigest()[:4], 16) % 360
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400">'
        f'<rect width="400" height="400" fill="hsl({hue},55%,72%)"/>'
        f'<circle cx="200" cy="200" r="110" fill="hsl({hue},55%,55%)"/></svg>'
    )
    await route.fulfill(status=200, content_type="image/svg+xml", body=svg)


async def search(app: Frame, text: str) -> None:
    await app.get_by_test_id("search-input").first.fill(text)
    await app.get_by_test_id("search-submit").first.click()
    await expect(app.get_by_test_id("view-search")).to_be_visible()
    cards = app.locator('[data-testid="search-results"] [data-testid="product-card"]')
    await expect(cards.first).to_be_visible()


async def test_shopper_buys_in_the_mini_app(shop: Sandboxed, page: Page) -> None:
    sb, services = shop.sandbox, shop.app.services
    product = next(
        p for p in await services.catalog.popular(limit=60) if p.has_variants and p.available >= 2
    )
    await page.route(PHOTO_HOSTS, placeholder_photo)
    alice = sb.user(7001, "Alice", username="alice", language_code="en")
    await alice.send("/start")
    url = alice.open_mini_app("menu")  # the menu button Kiosk set at start-up
    assert url.startswith(storefront_url(shop.settings))

    # home: search box, categories, shelves; Telegram shows Close (nothing to go back to)
    await page.goto(url)
    app = await webview(page)
    await expect(app.get_by_test_id("view-home")).to_be_visible()
    await expect(app.get_by_test_id("category-link").first).to_be_visible()
    await expect(page.get_by_test_id("tg-close-button")).to_be_visible()
    await screenshot(page, "storefront-01-home")

    # browse a category, then Telegram's Back button returns home
    await app.get_by_test_id("category-link").first.click()
    await expect(app.get_by_test_id("view-category")).to_be_visible()
    await expect(app.get_by_test_id("product-card").first).to_be_visible()
    await expect(page.get_by_test_id("tg-back-button")).to_be_visible()
    await screenshot(page, "storefront-02-category")
    await page.get_by_test_id("tg-back-button").click()
    await expect(app.get_by_test_id("view-home")).to_be_visible()

    # search in English (suggestions while typing), then in Chinese
    await app.get_by_test_id("search-input").first.press_sequentially("earb", delay=30)
    await expect(app.get_by_test_id("search-suggestion").first).to_be_visible()
    await screenshot(page, "storefront-03-suggestions")
    await search(app, "wireless earbuds")
    await screenshot(page, "storefront-04-search-en")
    await search(app, "手机")
    await screenshot(page, "storefront-05-search-zh")

    # open the product, pick a variant, add it with Telegram's Main button
    await search(app, product.title.get("en"))
    card = app.locator(f'[data-testid="product-card"][data-product-id="{product.id}"]')
    await card.first.click()
    await expect(app.get_by_test_id("view-product")).to_be_visible()
    option = app.locator('[data-testid="variant-option"]:not([disabled])').first
    variant_id = await option.get_attribute("data-variant-id")
    await option.check()
    main = page.get_by_test_id("tg-main-button")
    await expect(main).to_be_visible()
    await screenshot(page, "storefront-06-product")
    await main.click()
    toast = app.get_by_test_id("toast")
    await expect(toast).to_have_text("✓ Added to cart")
    toast_box, add_box = (
        await toast.bounding_box(),
        await app.get_by_test_id("add-to-cart").bounding_box(),
    )
    assert toast_box and add_box and not _overlap(toast_box, add_box), (toast_box, add_box)

    # the cart (the chat's too): one line of that variant; a coupon
    await app.get_by_test_id("tab-cart").click()
    await expect(app.get_by_test_id("view-cart")).to_be_visible()
    assert await toast.is_hidden()  # at once, not when its 2.5 s timer ends: it left with its view
    await expect(app.get_by_test_id("cart-line")).to_have_count(1)
    await app.get_by_test_id("coupon-input").fill(COUPON.lower())
    await app.get_by_test_id("coupon-apply").click()
    await expect(app.get_by_test_id("coupon-applied")).to_be_visible()
    await expect(app.get_by_test_id("cart-discount")).to_be_visible()
    await screenshot(page, "storefront-07-cart")
    page_total = (await app.get_by_test_id("cart-total").inner_text()).strip()
    cart = await services.carts.view(await _user_id(shop, 7001))
    assert [(line.item.product_id, str(line.item.variant_id)) for line in cart.lines] == [
        (product.id, variant_id)
    ]
    chat_cart = await alice.send("/cart")
    assert any(page_total in m.content for m in chat_cart), (page_total, alice.transcript())

    # checkout: a new address, the first shipping option, card; pay from the Main button
    await main.click()
    await expect(app.get_by_test_id("view-checkout")).to_be_visible()
    await app.get_by_test_id("address-recipient").fill("Alice Liddell")
    await app.get_by_test_id("address-phone").fill("+44 1865 276150")
    await app.get_by_test_id("address-city").fill("Oxford")
    await app.get_by_test_id("address-street").fill("Christ Church, St Aldates")
    await app.get_by_test_id("address-postcode").fill("OX1 1DP")
    await app.get_by_test_id("address-save").click()
    await expect(app.get_by_test_id("address-option")).to_be_checked()
    await expect(app.get_by_test_id("pay-button")).to_be_visible()
    await screenshot(page, "storefront-08-checkout")
    pay_total = (await app.get_by_test_id("checkout-total").inner_text()).strip()
    await expect(main).to_contain_text("Pay")
    await main.click()

    # Telegram's payment form (the emulator's client): pay
    await expect(page.get_by_test_id("tg-invoice")).to_be_visible()
    await screenshot(page, "storefront-09-invoice")
    await page.get_by_test_id("tg-invoice-pay").click()
    order = app.get_by_test_id("order")
    await expect(order).to_be_visible()
    await expect(order).to_have_attribute("data-status", "paid")
    order_id = await order.get_attribute("data-order-id")
    await expect(toast).to_have_text(
        f"✅ Payment received for order #{order_id}. Thank you! We'll tell you when it ships."
    )
    order_total = await app.get_by_test_id("order-total").inner_text()
    assert order_id and pay_total.split(" · ")[0] in order_total, (pay_total, order_total)
    await screenshot(page, "storefront-10-order")

    # the chat saw the same payment: one successful_payment, the bot's receipt naming the order
    paid = [m for m in alice.messages if m.successful_payment is not None]
    assert len(paid) == 1
    assert any(f"#{order_id}" in m.content for m in alice.bot_messages), alice.transcript()
    orders = await alice.send("/orders")
    assert any(
        f"#{order_id}" in m.content or any(f"#{order_id}" in t for t in m.button_texts())
        for m in orders
    ), alice.transcript()
    assert page.errors.unexpected() == []  # type: ignore[attr-defined]


def _overlap(a: FloatRect, b: FloatRect) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


async def _user_id(shop: Sandboxed, telegram_id: int) -> int:
    user = await shop.app.services.users.repo.get_by_telegram_id(telegram_id)
    assert user is not None
    return user.id


@pytest.mark.parametrize("mode", ["polling-sqlite"])
async def test_a_product_link_opens_the_mini_app_in_chinese_and_dark(
    shop: Sandboxed, page: Page
) -> None:
    """`t.me/<bot>?startapp=p_<id>` (the share button's link) opens the Mini App on that
    product, in the shopper's language and Telegram's night theme."""
    product = next(p for p in await shop.app.services.catalog.popular(limit=20) if p.available)
    await page.route(PHOTO_HOSTS, placeholder_photo)
    li = shop.sandbox.user(7002, "李", language_code="zh-hans")
    await li.send("/start")
    await page.goto(li.open_link(f"https://t.me/kiosk_demo_bot?startapp=p_{product.id}", "dark"))
    app = await webview(page)
    shown = app.get_by_test_id("product")
    await expect(shown).to_have_attribute("data-product-id", str(product.id))
    await expect(app.get_by_test_id("view-title")).to_have_text(product.title.get("zh"))
    await expect(page.get_by_test_id("tg-main-button")).to_have_text("加入购物车")
    assert await app.evaluate("document.documentElement.getAttribute('data-scheme')") == "dark"
    background = await app.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(23, 33, 43)"  # Telegram's night bg_color, through the page's CSS
    await screenshot(page, "storefront-11-product-link-zh-dark")
    assert page.errors.unexpected() == []  # type: ignore[attr-defined]
