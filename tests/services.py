"""The composition root for tests that need the real services on the test database."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings, load_settings
from bot.wiring import Services, build_services

TEST_INVOICE_SECRET = "kiosk-test-invoice-secret"


def shop_settings(**overrides: Any) -> Settings:
    """Settings with no token (nothing here talks to Telegram) and a test invoice key."""
    values: dict[str, Any] = {"payments": {"invoice_secret": TEST_INVOICE_SECRET}}
    values.update(overrides)
    return load_settings(**values)


def shop_services(**overrides: Any) -> Services:
    return build_services(shop_settings(**overrides))
