"""Cleaning of free text typed by people: names, address lines, notes."""

from __future__ import annotations

import unicodedata

from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_

# Cc = control, Cs = surrogates, Co = private use, Cn = unassigned: never meaningful in a name.
_FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Co", "Cn"}
# Bidi/zero-width format characters (Cf) that are legitimate in RTL scripts and emoji sequences.
_ALLOWED_FORMAT = {"\u200c", "\u200d", "\u200e", "\u200f", "\ufe0f", "\u061c"}


def whole_number(text: str) -> int | None:
    """The value of a string of ASCII digits, else None.

    For numbers people type and ids in button data: str.isdigit() also accepts characters such
    as '¹' that int() refuses, and int() refuses strings of more than 4,300 digits; both would
    surface as a crash instead of a "send a number" answer. Range checks stay with the caller.
    """
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
        return int(text)
    return None


_MAX_DIGITS = 4000  # below int()'s limit; any caller's range check refuses such a number


def clean_line(value: str, *, field: str, max_len: int, min_len: int = 1) -> str:
    """Normalise one line of human text and check its length.

    Keeps emoji and right-to-left scripts intact (NFC only, no ASCII folding), collapses
    whitespace and refuses control characters, so nothing invisible ends up in a label.
    """
    text = unicodedata.normalize("NFC", value or "")
    text = " ".join(text.split())
    for ch in text:
        category = unicodedata.category(ch)
        if category in _FORBIDDEN_CATEGORIES or (category == "Cf" and ch not in _ALLOWED_FORMAT):
            raise ValidationError(
                N_("{field} contains characters that can't be used."), field=field
            )
    if not text:
        raise ValidationError(N_("{field} can't be empty."), field=field)
    if len(text) < min_len:
        raise ValidationError(
            N_("{field} must be at least {min} characters."), field=field, min=min_len
        )
    if len(text) > max_len:
        raise ValidationError(
            N_("{field} must be at most {max} characters."), field=field, max=max_len
        )
    return text
