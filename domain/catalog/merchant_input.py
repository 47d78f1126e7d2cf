"""Parsing what a merchant types: prices, counts, specs, titles. Each refuses with a clear,
translatable message (the same rules serve the goods dialog and the CSV import)."""

from __future__ import annotations

import re
import unicodedata

from babel.numbers import get_currency_precision

from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import clean_line, whole_number

MAX_PRICE_MINOR = 10**12  # far above any real price; keeps BIGINT and formatting sane
MAX_COUNT = 10_000_000
MAX_PHOTOS = 10
MAX_SPECS = 30
TITLE_MAX = 200
DESCRIPTION_MAX = 3000
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,63}$")
_NUMBER_RE = re.compile(r"^([0-9]+)(?:[.,]([0-9]+))?$")  # ASCII: int() takes these


def currency_digits(currency: str) -> int:
    """Minor-unit digits of a currency (USD 2, JPY 0, BHD 3), from Babel's CLDR data."""
    if currency.upper() == "XTR":  # Telegram Stars have no fractional unit
        return 0
    return int(str(get_currency_precision(currency.upper())))


def parse_price(text: str, currency: str) -> int:
    """'12.50', '12,50', '1 200' -> minor units of `currency`; refuses negatives and junk."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    raw = raw.replace(" ", "").replace("\u00a0", "").replace("'", "")
    if raw.startswith("-"):
        raise ValidationError(N_("A price can't be negative."))
    match = _NUMBER_RE.fullmatch(raw)
    if match is None:
        raise ValidationError(N_("Send the price as a number, e.g. 12.50."))
    digits = currency_digits(currency)
    whole, fraction = match.group(1), match.group(2) or ""
    if len(whole.lstrip("0")) > 15:  # beyond any price (and int()'s 4,300-digit limit)
        raise ValidationError(N_("That price is too large."))
    if len(fraction) > digits:
        if digits == 0:
            raise ValidationError(
                N_("{currency} prices are whole numbers, e.g. 1200."), currency=currency
            )
        raise ValidationError(
            N_("{currency} prices have at most {digits} decimals."),
            currency=currency,
            digits=digits,
        )
    scale: int = 10**digits
    minor = int(whole) * scale + int((fraction or "0").ljust(digits, "0") or "0")
    if minor >= MAX_PRICE_MINOR:
        raise ValidationError(N_("That price is too large."))
    return minor


def format_price_plain(minor: int, currency: str) -> str:
    """Minor units as a plain decimal ('12.50'): what the CSV export writes and import reads."""
    digits = currency_digits(currency)
    if digits == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{fraction:0{digits}d}"


def parse_count(text: str, what: str = N_("Stock")) -> int:
    """A whole number >= 0 (stock, low-stock threshold)."""
    raw = (text or "").strip().replace(" ", "")
    if raw.startswith("-") and whole_number(raw[1:]) is not None:
        raise ValidationError(N_("{field} can't be negative."), field=what)
    value = whole_number(raw)
    if value is None:
        raise ValidationError(N_("{field} must be a whole number, e.g. 25."), field=what)
    if value > MAX_COUNT:
        raise ValidationError(N_("{field} must be at most {max}."), field=what, max=MAX_COUNT)
    return value


def clean_title(text: str) -> str:
    return clean_line(text, field=N_("The title"), max_len=TITLE_MAX)


def clean_description(text: str) -> str:
    """Several lines are fine; each is cleaned like a title line, blank lines kept."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    cleaned = [
        clean_line(line, field=N_("The description"), max_len=DESCRIPTION_MAX)
        if line.strip()
        else ""
        for line in lines
    ]
    result = "\n".join(cleaned).strip()
    if not result:
        raise ValidationError(N_("{field} can't be empty."), field=N_("The description"))
    if len(result) > DESCRIPTION_MAX:
        raise ValidationError(
            N_("{field} must be at most {max} characters."),
            field=N_("The description"),
            max=DESCRIPTION_MAX,
        )
    return result


def clean_sku(text: str) -> str:
    raw = (text or "").strip()
    if not SKU_RE.fullmatch(raw):
        raise ValidationError(
            N_("A SKU is 1-64 letters, digits, '.', '_', '-' or '/', e.g. TEA-001.")
        )
    return raw


def parse_specs(text: str) -> tuple[tuple[str, str], ...]:
    """One 'key: value' per line (also 'key：value' or 'key=value'); ';' separates in CSV."""
    specs: list[tuple[str, str]] = []
    for number, line in enumerate(re.split(r"[\n;]", text or ""), start=1):
        if not line.strip():
            continue
        parts = re.split(r"[:：=]", line, maxsplit=1)
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            raise ValidationError(
                N_("Line {line}: write each spec as 'key: value', e.g. 'Weight: 250 g'."),
                line=number,
            )
        key = clean_line(parts[0], field=N_("A spec name"), max_len=40)
        value = clean_line(parts[1], field=N_("A spec value"), max_len=200)
        specs.append((key, value))
    if len(specs) > MAX_SPECS:
        raise ValidationError(N_("At most {max} specs, please."), max=MAX_SPECS)
    return tuple(specs)


def specs_text(specs: tuple[tuple[str, str], ...], sep: str = "\n") -> str:
    return sep.join(f"{k}: {v}" for k, v in specs)
