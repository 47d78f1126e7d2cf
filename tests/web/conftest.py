"""Fixtures of the web tests: `store`, the storefront's API on the test database (the `db`
fixture's backend), and the browser ones (Chromium through Playwright, tests/web/browser.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.web.browser import browser, page
from tests.web.console import Console, open_console
from tests.web.storefront import Storefront, open_storefront

__all__ = ["browser", "console", "page", "store"]


@pytest_asyncio.fixture
async def store(db: str) -> AsyncIterator[Storefront]:
    """The storefront app on a fresh database, with a seeded shop; closed after the test."""
    s = await open_storefront()
    try:
        yield s
    finally:
        await s.client.close()


@pytest_asyncio.fixture
async def console(db: str) -> AsyncIterator[Console]:
    """The merchants' console (and storefront) on a fresh database, seeded, with an owner and
    a manager (tests/web/console.py); closed after the test."""
    c = await open_console()
    try:
        yield c
    finally:
        await c.close()
