"""Money for people: integer minor units (or Stars) written per locale with Babel.

One function serves the chat and the web, so a price reads the same in both.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision


@lru_cache(maxsize=8192)  # Babel parses the locale's pattern on every call: 0.1 ms a price
def money(amount: int, currency: str, locale: str) -> str:
    """Minor units to a price people read, per locale (Stars are whole numbers)."""
    if currency == "XTR":
        return f"{amount} ⭐"
    digits = get_currency_precision(currency)
    value = Decimal(amount).scaleb(-digits)
    try:
        return format_currency(value, currency, locale=locale.replace("-", "_"))
    except (ValueError, LookupError):
        return f"{value} {currency}"
