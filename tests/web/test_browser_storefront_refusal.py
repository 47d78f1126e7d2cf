"""A Mini App checkout refused for a reason in the cart, in a real browser (Chromium) against
the emulator: the price changes while the shopper is on the checkout page; pressing Pay takes
them back to the cart, redrawn with the new price, with the reason said there (the chat's own
sentence). Screenshot: test-output/screenshots/storefront-refusal-price.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from demo.harness import Sandboxed
from domain.users.service import AddressDraft
from storage.catalog.models import ProductRow
from storage.orders.models import OrderRow
from tests.e2e.conftest import running_kiosk
from tests.e2e.shop_fixtures import PAYMENTS, Goods, seed_goods
from tests.web.browser import chromium_executable, screenshot, webview

chromium_executable()  # fails (test command) or skips here without Chromium/Playwright
from playwright.async_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.asyncio
SHOPPER = 7301


@pytest_asyncio.fixture
async def shop(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Sandboxed, Goods]]:
    async with running_kiosk(
        "polling-sqlite", request, tmp_path, storefront=True, payments=PAYMENTS
    ) as running:
        yield running, await seed_goods(running.app.services.catalog)


async def test_a_price_changed_at_checkout_is_said_on_the_redrawn_cart(
    shop: tuple[Sandboxed, Goods], page: Page
) -> None:
    running, goods = shop
    services = running.app.services
    ann = running.sandbox.user(SHOPPER, "Ann", language_code="en")
    await ann.send("/start")
    user = await services.users.repo.get_by_telegram_id(SHOPPER)
    assert user is not None
    await services.carts.add(user.id, goods.mug_id, None, 2)
    await services.users.add_address(
        user.id, AddressDraft("Ann Lee", "+1 555 123 4567", "Springfield", "12 Elm Street")
    )

    await page.goto(ann.open_mini_app("menu"))
    app = await webview(page)
    await app.get_by_test_id("tab-cart").click()
    await expect(app.get_by_test_id("cart-line")).to_have_count(1)
    await app.get_by_test_id("checkout-button").click()
    await expect(app.get_by_test_id("view-checkout")).to_be_visible()
    await app.get_by_test_id("address-option").first.check()
    await expect(app.get_by_test_id("pay-button")).to_be_visible()

    # The merchant changes the price while the shopper looks at the checkout page.
    await ProductRow.filter(id=goods.mug_id).update(price=1500)
    await app.get_by_test_id("pay-button").click()

    await expect(app.get_by_test_id("view-cart")).to_be_visible()
    banner = app.get_by_test_id("error-banner")
    await expect(banner).to_have_text("The price of Mug changed to $15.00.")
    await expect(app.get_by_test_id("cart-line")).to_contain_text("$15.00")
    await screenshot(page, "storefront-refusal-price")
    assert await OrderRow.all().count() == 0
    assert page.errors.unexpected(r"HTTP 409: POST .*/api/checkout") == []  # type: ignore[attr-defined]
