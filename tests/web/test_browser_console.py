"""The merchants' console in a real browser (Chromium), with Kiosk running against the
emulator: the owner sends /console in the chat, opens the one-time link, signs in and sees
the dashboard with its chart drawn from a week of paid orders; the link then no longer works.
Screenshot: test-output/screenshots/console-dashboard.png (copied to docs/screenshots/ for
the README when KIOSK_UPDATE_DOC_SCREENSHOTS=1: a test run leaves the checkout as it was).

Other engineers add their one browser test each in their own file (test_browser_console_*.py),
signing in with tests.web.console.browser_sign_in."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from demo.harness import Sandboxed
from demo.run import DEMO_OWNER, DEMO_PAYMENTS
from demo.seed import seed_demo_catalog
from domain.orders.types import PayMethod
from domain.users.service import AddressDraft, TelegramIdentity
from storage.recs.models import RecsEventRow
from tests.e2e.conftest import running_kiosk
from tests.web.browser import ROOT, chromium_executable, screenshot
from tests.web.console import chat_sign_in_link

chromium_executable()  # fails (test command) or skips here without Chromium/Playwright
from playwright.async_api import Page, expect  # noqa: E402

pytestmark = pytest.mark.asyncio
DESKTOP: Any = {"width": 1360, "height": 900}  # a ViewportSize


@pytest_asyncio.fixture
async def shop(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Sandboxed]:
    async with running_kiosk(
        "polling-sqlite", request, tmp_path, storefront=True, payments=DEMO_PAYMENTS
    ) as running:
        await seed_demo_catalog(n=60, seed=42)
        yield running


def in_day(now: datetime, days_ago: int, zone: ZoneInfo, n: int) -> datetime:
    """A moment inside the shop-local calendar day `days_ago` days before `now`'s. The
    dashboard counts by calendar day, so `now - k days - m minutes` fell into the day before
    when the suite ran just after midnight (CI: 105 views of the week's 120)."""
    local = now.astimezone(zone)
    if days_ago == 0:
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return max(midnight, local - timedelta(milliseconds=n + 1)).astimezone(UTC)
    noon = (local - timedelta(days=days_ago)).replace(hour=12, minute=0, second=0, microsecond=0)
    return (noon + timedelta(minutes=n)).astimezone(UTC)


async def a_week_of_orders(running: Sandboxed) -> int:
    """Paid card orders spread over the last seven days (as the payment handlers record
    them); their total in the shop's currency."""
    s = running.app.services
    goods = [p for p in await s.catalog.popular(limit=60) if not p.has_variants and p.available]
    option = s.orders.config.shipping[0].id
    total, now = 0, datetime.now(UTC)
    zone = ZoneInfo(running.settings.shop.timezone)
    for n in range(9):
        user, _ = await s.users.seen(TelegramIdentity(3000 + n, f"Buyer {n}", None, None, "en"))
        address = await s.users.add_address(
            user.id, AddressDraft("Ann Lee", "+1 555 123 4567", "Springfield", "1 Elm St", "12345")
        )
        await s.carts.add(user.id, goods[n % len(goods)].id, None, 1 + n % 3)
        when = in_day(now, (n * 5) % 7, zone, n)
        order = await s.orders.place(user.id, address, option, PayMethod.CARD, when)
        payload = s.payments.signer.sign(order.id, order.expires_at)
        await s.payments.paid(
            user.id, 3000 + n, payload, order.pay_currency, order.pay_amount, f"c{n}", "p", when
        )
        total += order.pay_amount
    # The shoppers' product views and cart adds of that week (the funnel's first steps).
    events = [
        RecsEventRow(
            user_id=None,
            item_id=goods[n % len(goods)].id,
            kind="view" if n % 4 else "cart",
            created_at=in_day(now, n % 7, zone, 7 + n),
        )
        for n in range(160)
    ]
    await RecsEventRow.bulk_create(events)
    return total


async def test_owner_signs_in_by_link_and_sees_the_dashboard(shop: Sandboxed, page: Page) -> None:
    revenue = await a_week_of_orders(shop)
    await page.set_viewport_size(DESKTOP)
    link = await chat_sign_in_link(shop, DEMO_OWNER, "Olga")
    assert link.startswith(f"{shop.settings.web.public_url}/console/login?t=")

    await page.goto(link)
    await expect(page.get_by_test_id("console-login")).to_be_visible()
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("dashboard")).to_be_visible()
    await expect(page.get_by_test_id("console-who")).to_have_attribute("data-role", "owner")
    await expect(page.get_by_test_id("nav-dashboard")).to_have_attribute("aria-current", "page")

    # the week: revenue of the paid orders, a bar per day, some of them drawn
    await expect(page.get_by_test_id("kpi-revenue")).to_have_attribute("data-amount", str(revenue))
    bars = page.get_by_test_id("chart-bar")
    await expect(bars).to_have_count(7)
    heights = [float(await bars.nth(i).get_attribute("height") or 0) for i in range(7)]
    assert sum(1 for h in heights if h > 0) >= 4
    box = await page.get_by_test_id("chart").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 80
    await expect(page.get_by_test_id("funnel-step")).to_have_count(4)
    await expect(page.get_by_test_id("funnel-step").first).to_contain_text("120")  # the views
    await expect(page.get_by_test_id("top-good").first).to_be_visible()
    path = await screenshot(page, "console-dashboard")
    if os.environ.get("KIOSK_UPDATE_DOC_SCREENSHOTS") == "1":
        (ROOT / "docs" / "screenshots").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, ROOT / "docs" / "screenshots" / "console-dashboard.png")

    # 30 days in the same page; then the phone layout
    await page.get_by_test_id("period-30").click()
    await expect(page.get_by_test_id("dashboard")).to_have_attribute("data-days", "30")
    await expect(page.get_by_test_id("chart-bar")).to_have_count(30)
    await page.set_viewport_size({"width": 420, "height": 860})
    await page.get_by_test_id("period-7").click()
    await expect(page.get_by_test_id("chart-bar")).to_have_count(7)
    await screenshot(page, "console-dashboard-phone")
    assert page.errors.unexpected() == []  # type: ignore[attr-defined]

    # the link was good once: opened again without the session (another browser, as it
    # were: the profile's cookies are set aside and put back after), nobody signs in
    cookies = await page.context.cookies()
    await page.context.clear_cookies()
    other = await page.context.new_page()
    await other.goto(link)
    await other.get_by_test_id("login-submit").click()
    await expect(other.get_by_test_id("link-invalid")).to_be_visible()
    await other.close()
    await page.context.add_cookies(cookies)  # type: ignore[arg-type]

    # sign out: the console sends the browser to the sign-in page
    await page.goto(link.split("/console/")[0] + "/console/")
    await page.get_by_test_id("sign-out").click()
    await expect(page.get_by_test_id("signed-out")).to_be_visible()
    await page.goto(link.split("/console/")[0] + "/console/")
    await expect(page.get_by_test_id("console-signin")).to_be_visible()
