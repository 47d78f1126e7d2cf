"""The merchants' console for goods in a real browser (Chromium), with Kiosk running against
the emulator: the owner signs in with the link the bot sends on /console, finds a product in
the goods table, changes its price on the edit page (a shopper's chat card then shows the new
price) and books stock received (a ledger row), then imports a CSV with one bad row: the
preview shows the row and its reason, nothing is applied, and a fixed file is applied only
when Import is pressed. Screenshots (the table on a desktop and a phone too):
test-output/screenshots/console-goods-*.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from demo.harness import Sandboxed
from domain.catalog.service import Localized, ProductDraft
from storage.admin.models import StockMovementRow
from storage.catalog.models import ProductRow
from tests.e2e.conftest import need_backends, running_kiosk
from tests.web.browser import chromium_executable, screenshot
from tests.web.console import browser_sign_in

chromium_executable()  # fails (test command) or skips here without Chromium/Playwright
from playwright.async_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.asyncio
OWNER = 9000
SHOPPER = 4242
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest_asyncio.fixture
async def shop(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Sandboxed]:
    mode = need_backends("polling-sqlite")
    async with running_kiosk(mode, request, tmp_path, storefront=True) as running:
        merchant = running.app.services.merchant
        tea = await merchant.create_category(OWNER, "Tea", "茶", None)
        for sku, title, price, stock in (
            ("TEA-1", "Sencha green tea", 800, 5),
            ("TEA-2", "Assam black tea", 650, 0),
            ("TEA-3", "Jasmine pearls", 1500, 2),
        ):
            draft = ProductDraft(sku, tea.id, Localized(title), price, on_hand=stock)
            await merchant.create_product(OWNER, draft)
        yield running


async def test_owner_edits_price_and_stock_and_imports_a_csv(shop: Sandboxed, page: Page) -> None:
    await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    await browser_sign_in(page, shop, OWNER)
    base = page.url.split("/console/")[0]
    sencha = await ProductRow.get(sku="TEA-1")

    # The goods table: search, then open the product.
    await page.goto(f"{base}/console/goods")
    await expect(page.get_by_test_id("goods-row")).to_have_count(3)
    await screenshot(page, "console-goods-table")
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    await expect(page.get_by_test_id("goods-row")).to_have_count(3)
    await screenshot(page, "console-goods-table-phone")
    await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    await page.get_by_test_id("goods-search").fill("sencha")
    await page.get_by_test_id("goods-apply").click()
    await expect(page.get_by_test_id("goods-row")).to_have_count(1)
    await page.get_by_test_id("goods-title").click()

    # The edit page: a new price, entered as a decimal.
    await expect(page.get_by_test_id("product-edit")).to_be_visible()
    await page.get_by_test_id("field-price").fill("9.50")
    await page.get_by_test_id("product-save").click()
    await expect(page.get_by_test_id("product-notice")).to_have_text("Saved.")
    await screenshot(page, "console-goods-edit")
    assert (await ProductRow.get(id=sencha.id)).price == 950

    # The shopper's card in the chat shows the new price.
    shopper = shop.sandbox.user(SHOPPER, "Sam", language_code="en")
    await shopper.send(f"/start p_{sencha.id}")
    assert "$9.50" in shopper.last_bot_message.content

    # Stock received, booked in the ledger with its reason.
    await page.get_by_test_id("product-stock").click()
    await page.get_by_test_id("stock-reason").select_option("received")
    await page.get_by_test_id("stock-quantity").fill("4")
    await page.get_by_test_id("stock-apply").click()
    await expect(page.get_by_test_id("stock-notice")).to_be_visible()
    await expect(page.locator('[data-testid="ledger-row"][data-reason="received"]')).to_have_count(
        1
    )
    assert (await ProductRow.get(id=sencha.id)).on_hand == 9
    movement = await StockMovementRow.get(product_id=sencha.id, reason="received")
    assert (movement.delta_on_hand, movement.actor) == (4, OWNER)

    # A CSV with one bad row: the preview shows it and nothing is applied.
    bad = (
        "sku,title_en,category,price,stock\n"
        "TEA-4,Oolong,Tea,7.00,3\n"
        "TEA-5,Puer,Tea,seven,1\n"
        "TEA-2,Assam black tea,Tea,6.90,10\n"
    )
    await page.goto(f"{base}/console/catalog")
    await page.get_by_test_id("import-file").set_input_files(
        {"name": "goods.csv", "mimeType": "text/csv", "buffer": bad.encode()}
    )
    await page.get_by_test_id("import-preview").click()
    refused = page.locator('[data-testid="refused-row"][data-line="3"]')
    await expect(refused).to_contain_text("price")
    await expect(page.get_by_test_id("count-add")).to_have_text("To add: 1")
    await expect(page.get_by_test_id("count-change")).to_have_text("To change: 1")
    await expect(page.get_by_test_id("import-apply")).to_have_count(0)
    await screenshot(page, "console-goods-import-preview")
    assert await ProductRow.filter(sku__in=["TEA-4", "TEA-5"]).count() == 0
    assert (await ProductRow.get(sku="TEA-2")).price == 650

    # The fixed file: still nothing until Import is pressed, then every row.
    await page.goto(f"{base}/console/catalog")
    await page.get_by_test_id("import-file").set_input_files(
        {"name": "goods.csv", "mimeType": "text/csv", "buffer": bad.replace("seven", "7").encode()}
    )
    await page.get_by_test_id("import-preview").click()
    await expect(page.get_by_test_id("import-apply")).to_be_visible()
    assert await ProductRow.filter(sku__in=["TEA-4", "TEA-5"]).count() == 0
    await page.get_by_test_id("import-apply").click()
    await expect(page.get_by_test_id("import-done")).to_contain_text("2 new, 1 updated")
    assert await ProductRow.filter(sku__in=["TEA-4", "TEA-5"]).count() == 2
    assert (await ProductRow.get(sku="TEA-2")).price == 690
    assert page.errors.unexpected() == []  # type: ignore[attr-defined]
