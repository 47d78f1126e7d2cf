"""The browser harness never skips silently: without Chromium (or Playwright) the browser tests
fail under the test command (KIOSK_REQUIRE_SERVICES=1) and skip, saying why, elsewhere."""

from __future__ import annotations

import pytest

from tests.web import browser


def test_missing_chromium_fails_under_the_test_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    monkeypatch.setattr(browser, "REQUIRE", True)
    with pytest.raises(pytest.fail.Exception, match="apt-get install chromium chromium-driver"):
        browser.chromium_executable()
    monkeypatch.setattr(browser, "REQUIRE", False)
    with pytest.raises(pytest.skip.Exception, match="browser tests need the `chromium`"):
        browser.chromium_executable()


def test_the_system_chromium_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser.shutil, "which", lambda name: f"/opt/test/bin/{name}")
    assert browser.chromium_executable() == "/opt/test/bin/chromium"
    assert "--no-sandbox" in browser.CHROMIUM_ARGS and "--disable-quic" in browser.CHROMIUM_ARGS
