"""Campaigns, staff and the audit log in a real browser (Debian's Chromium) against a Kiosk in
the sandbox: the owner signs in with the link the bot sends on /console, composes a campaign
with a photo and a coupon button (live preview, audience size), sends it to a small audience
and watches the progress bar reach 100% while the shoppers receive it in Telegram; then adds
a manager and finds that in the audit log as a console action. Screenshots of the composer,
the finished progress and the audit log go to test-output/screenshots/."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from domain.users.service import TelegramIdentity
from tests.e2e.conftest import running_kiosk
from tests.e2e.test_admin import OWNER
from tests.web.browser import chromium_executable, screenshot
from tests.web.console import browser_sign_in

chromium_executable()  # fails (test command) or skips (bare pytest) without a browser

from playwright.async_api import Page, expect  # noqa: E402

DESKTOP = {"width": 1280, "height": 900}
SHOPPERS = (5101, 5102, 5103)


def tiny_png(width: int = 64, height: int = 40) -> bytes:
    """A valid PNG of one colour (what a merchant would pick in the file dialog)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\xe8\x5d\x3a" * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


async def test_owner_runs_a_campaign_and_watches_it_finish(
    page: Page, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    async with running_kiosk("polling-sqlite", request, tmp_path, storefront=True) as kiosk:
        users = kiosk.app.services.users
        for telegram_id in SHOPPERS:
            kiosk.sandbox.user(telegram_id, f"Shopper{telegram_id}")
            user, _ = await users.seen(TelegramIdentity(telegram_id, f"Shopper{telegram_id}"))
            await users.set_marketing(user.id, True)
        await page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
        await browser_sign_in(page, kiosk, OWNER)

        await page.get_by_test_id("nav-campaigns").click()
        await page.get_by_test_id("campaign-new").click()
        text = page.get_by_test_id("compose-text")
        await text.fill("Spring sale: <b>20% off</b> & more")  # a bare "&": Telegram refuses
        await expect(page.get_by_test_id("preview-error")).to_contain_text("&amp;")
        await text.fill("Spring sale: <b>20% off</b> &amp; free gift wrap until <i>Sunday</i>")
        preview = page.get_by_test_id("preview-text")
        await expect(preview.locator("b")).to_have_text("20% off")
        await expect(page.get_by_test_id("preview-error")).to_be_hidden()
        await page.get_by_test_id("compose-photo").set_input_files(
            {"name": "sale.png", "mimeType": "image/png", "buffer": tiny_png()}
        )
        await expect(page.get_by_test_id("preview-photo")).to_be_visible()
        await page.get_by_test_id("compose-button-kind").select_option("coupon")
        await page.get_by_test_id("compose-button-value").fill("spring10")
        await expect(page.get_by_test_id("preview-button")).to_have_text("🎁 Get the coupon")
        await expect(page.get_by_test_id("audience-size")).to_have_text(str(len(SHOPPERS)))
        await page.get_by_test_id("when-now").check()
        await screenshot(page, "console-campaign-compose")

        await page.get_by_test_id("compose-submit").click()
        await expect(page.get_by_test_id("campaign-progress-panel")).to_be_visible()
        await expect(page.get_by_test_id("campaign-percent")).to_have_text("100%", timeout=30_000)
        await expect(page.get_by_test_id("campaign-state")).to_have_attribute("data-state", "done")
        await expect(page.get_by_test_id("count-sent")).to_have_text(str(len(SHOPPERS)))
        await expect(page.get_by_test_id("campaign-progress")).to_have_attribute("value", "100")
        await expect(page.get_by_test_id("control-pause")).to_be_hidden()
        await expect(page.get_by_test_id("preview-photo")).to_be_visible()
        await screenshot(page, "console-campaign-progress")
        for telegram_id in SHOPPERS:
            got = [m for m in kiosk.sandbox.chat(telegram_id) if m.from_bot]
            assert any("20% off" in m.content for m in got), telegram_id

        await page.get_by_test_id("nav-staff").click()
        await page.get_by_test_id("staff-add-person").fill("5102")
        await page.get_by_test_id("staff-add-submit").click()
        row = page.locator('[data-testid="staff-row"][data-telegram-id="5102"]')
        await expect(row).to_have_attribute("data-role", "manager")
        assert await kiosk.app.services.staff.role_of(5102) == "manager"
        await expect(page.get_by_test_id("console-toast")).to_contain_text("manager now")
        await screenshot(page, "console-staff")

        await page.get_by_test_id("nav-audit").click()
        first = page.get_by_test_id("audit-row").first
        await expect(first).to_have_attribute("data-action", "staff.add_manager")
        await expect(first.get_by_test_id("audit-row-source")).to_have_text("web console")
        await screenshot(page, "console-audit")
        assert page.errors.unexpected() == []  # type: ignore[attr-defined]
