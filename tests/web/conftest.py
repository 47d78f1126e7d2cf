"""Fixtures of the web tests. The browser ones (Chromium through Playwright) live in
tests/web/browser.py and are registered here."""

from tests.web.browser import browser, page

__all__ = ["browser", "page"]
