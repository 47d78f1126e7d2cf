"""A real browser for the web tests: Debian's Chromium driven by Playwright.

Playwright's PyPI wheel carries its own driver; the browser is the system's ``chromium``
(``executable_path``), so nothing is downloaded at run time and ``playwright install`` is never
needed. scripts/test.sh installs ``chromium``, ``chromium-driver`` and ``fonts-wqy-microhei``
(Chinese text) when they are missing. With KIOSK_REQUIRE_SERVICES=1 (the test command) a
missing browser or Playwright fails the browser tests; elsewhere they skip, saying why.

Screenshots go to ``test-output/screenshots/`` (not committed) for people to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_asyncio

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Frame, Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
REQUIRE = os.environ.get("KIOSK_REQUIRE_SERVICES") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: Any = {"width": 420, "height": 860}  # a phone-sized window (a ViewportSize)


def chromium_executable() -> str:
    """The system Chromium, or a failure (test command) / skip (bare pytest) saying why.
    Browser test modules call it before importing Playwright, so a missing package fails
    their collection loudly under KIOSK_REQUIRE_SERVICES=1 instead of skipping them."""
    problems = []
    path = shutil.which("chromium")
    if path is None:
        problems.append("the `chromium` executable (apt-get install chromium chromium-driver)")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        problems.append("the `playwright` package (pip install -e '.[test]')")
    if problems:
        message = "browser tests need " + " and ".join(problems)
        if REQUIRE:
            pytest.fail(message + " (KIOSK_REQUIRE_SERVICES=1)", pytrace=False)
        pytest.skip(message, allow_module_level=True)
    assert path is not None
    return path


@pytest_asyncio.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    """A fresh Chromium (its own user-data dir) with a phone-sized window."""
    executable = chromium_executable()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=PHONE,
            locale="en-US",
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            await context.close()


class PageErrors:
    """JavaScript errors and refused resources (CSP, 4xx/5xx) a page ran into."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("pageerror", lambda exc: self.messages.append(f"page error: {exc}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        # a failed load is reported by _response, with its URL
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.messages.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.messages.append(
                f"HTTP {response.status}: {response.request.method} {response.url}"
            )

    def unexpected(self, *allowed: str) -> list[str]:
        return [m for m in self.messages if not any(re.search(a, m) for a in allowed)]


@pytest_asyncio.fixture
async def page(browser: BrowserContext) -> AsyncIterator[Page]:
    """A tab whose JavaScript errors and refused loads are in ``page.errors`` (PageErrors)."""
    tab = await browser.new_page()
    tab.errors = PageErrors(tab)  # type: ignore[attr-defined]
    yield tab
    await tab.close()


async def screenshot(page: Page, name: str) -> Path:
    """Save what the page shows as ``test-output/screenshots/<name>.png``; returns the path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=False)
    return path


async def webview(page: Page) -> Frame:
    """The Mini App inside the emulator's Telegram client (``/miniapp/client``), which a launch
    URL opened in a tab moves into: Telegram's buttons are on ``page``, the shop in the frame."""
    handle = await page.wait_for_selector('[data-testid="tg-webview"]', state="attached")
    assert handle is not None
    frame = await handle.content_frame()
    assert frame is not None
    await frame.wait_for_load_state("domcontentloaded")
    return frame
