"""The console's orders in a real browser (Debian's Chromium) against a Kiosk in the sandbox:
the owner signs in with the link the bot sends on /console, opens the order board, ships an
order with a tracking number, and the buyer reads it in the Telegram chat; a cash-on-delivery
order is marked paid, then shipped, and the buyer gets both messages. Screenshots of the board
and the order page (desktop and phone) go to test-output/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.back_office_seed import offline_order, paid_order, seed_product
from tests.e2e.conftest import running_kiosk
from tests.e2e.test_admin import OWNER, relax_throttle
from tests.web.browser import chromium_executable, screenshot
from tests.web.console import browser_sign_in

chromium_executable()  # fails (test command) or skips (bare pytest) without a browser

from playwright.async_api import Page, expect  # noqa: E402

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


async def test_owner_ships_an_order_from_the_board(
    page: Page, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with running_kiosk("polling-sqlite", request, tmp_path, storefront=True) as kiosk:
        relax_throttle(kiosk)
        alice = kiosk.sandbox.user(1001, "Alice")
        await alice.send("/start")
        buyer = await kiosk.app.services.users.repo.get_by_telegram_id(1001)
        assert buyer is not None
        product = await seed_product(kiosk)
        earlier = await paid_order(kiosk, buyer, product, qty=1)
        order = await paid_order(kiosk, buyer, product)
        await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
        await browser_sign_in(page, kiosk, OWNER)

        await page.get_by_test_id("nav-orders").click()
        paid = page.get_by_test_id("status-paid")
        await expect(paid).to_contain_text("2")
        await paid.click()
        rows = page.get_by_test_id("order-row")
        await expect(rows).to_have_count(2)
        await expect(rows.first).to_have_attribute("data-order-id", str(order.id))
        await page.get_by_test_id("order-search").fill(f"#{earlier.id}")
        await page.get_by_test_id("order-filter").click()
        await expect(rows).to_have_count(1)
        await page.get_by_test_id("order-filter-clear").click()
        await expect(rows).to_have_count(2)
        await screenshot(page, "console-orders-board")

        await rows.first.get_by_test_id("order-link").click()
        await expect(page.get_by_test_id("order-status")).to_have_attribute("data-status", "paid")
        await expect(page.get_by_test_id("order-lines")).to_contain_text("Mug")
        await page.get_by_test_id("ship-carrier").fill("DHL")
        await page.get_by_test_id("ship-tracking").fill("ab")  # too short: refused, kept
        await page.get_by_test_id("action-ship-submit").click()
        error = page.get_by_test_id("action-ship").get_by_test_id("form-error")
        await expect(error).to_contain_text("at least 3 characters")
        await expect(page.get_by_test_id("ship-carrier")).to_have_value("DHL")
        await page.get_by_test_id("ship-tracking").fill("JD0123456789")
        await page.get_by_test_id("action-ship-submit").click()
        await expect(page.get_by_test_id("order-flash")).to_contain_text("shipped")
        await expect(page.get_by_test_id("order-status")).to_have_attribute(
            "data-status", "shipped"
        )
        await expect(page.get_by_test_id("order-tracking")).to_have_text("DHL JD0123456789")
        await expect(page.get_by_test_id("timeline-event").last).to_have_attribute(
            "data-action", "ship"
        )
        await page.get_by_test_id("note-text").fill("Left with the neighbour at no. 3")
        await page.get_by_test_id("note-save").click()
        await expect(page.get_by_test_id("order-note")).to_contain_text("neighbour")
        await screenshot(page, "console-order")

        told = [m.content for m in alice.bot_messages]
        assert any(
            f"Order #{order.id} has shipped" in t and "DHL JD0123456789" in t for t in told
        ), alice.transcript()
        # the refused tracking number above answered 400 on purpose
        refused = r"HTTP 400: POST .*/console/api/orders/\d+/actions/ship"
        assert page.errors.unexpected(refused) == []  # type: ignore[attr-defined]


async def test_owner_marks_a_cash_on_delivery_order_paid_then_ships_it(
    page: Page, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with running_kiosk("polling-sqlite", request, tmp_path, storefront=True) as kiosk:
        relax_throttle(kiosk)
        alice = kiosk.sandbox.user(1001, "Alice")
        await alice.send("/start")
        buyer = await kiosk.app.services.users.repo.get_by_telegram_id(1001)
        assert buyer is not None
        order = await offline_order(kiosk, buyer, await seed_product(kiosk), qty=2)
        await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
        await browser_sign_in(page, kiosk, OWNER)

        await page.goto(f"{kiosk.settings.web.public_url}/console/orders")
        await page.get_by_test_id("order-method").select_option("cod")
        await page.get_by_test_id("order-filter").click()
        await page.get_by_test_id("status-pending_payment").click()
        await expect(page).to_have_url(
            re.compile(r"method=cod.*status=pending_payment|status=pending_payment.*method=cod")
        )
        rows = page.get_by_test_id("order-row")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("Cash on delivery")
        await rows.first.get_by_test_id("order-link").click()
        status = page.get_by_test_id("order-status")
        await expect(status).to_have_attribute("data-status", "pending_payment")
        await expect(page.get_by_test_id("action-ship")).to_have_count(0)  # not paid yet
        await screenshot(page, "console-order-cash-on-delivery")
        await page.get_by_test_id("action-mark_paid-submit").click()
        await expect(page.get_by_test_id("order-flash")).to_contain_text("marked paid")
        await expect(status).to_have_attribute("data-status", "paid")
        await expect(page.get_by_test_id("action-mark_paid")).to_have_count(0)
        await page.get_by_test_id("ship-carrier").fill("DHL")
        await page.get_by_test_id("ship-tracking").fill("JD0987654321")
        await page.get_by_test_id("action-ship-submit").click()
        await expect(status).to_have_attribute("data-status", "shipped")
        events = page.get_by_test_id("timeline-event")
        await expect(events).to_have_count(3)
        assert [await e.get_attribute("data-action") for e in await events.all()] == [
            "place",
            "pay",
            "ship",
        ]
        await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
        await screenshot(page, "console-order-phone")

        told = [m.content for m in alice.bot_messages]
        assert any(f"Payment received for order #{order.id}" in t for t in told), (
            alice.transcript()
        )
        assert any(
            f"Order #{order.id} has shipped" in t and "DHL JD0987654321" in t for t in told
        ), alice.transcript()
        assert page.errors.unexpected() == []  # type: ignore[attr-defined]
