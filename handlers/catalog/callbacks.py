"""Callback data of the shopping screens, short enough for Telegram's 64 bytes.

Ids are `DbId` (a forged id outside the database range does not parse and falls through to the
"no longer active" answer); page numbers are clamped by the services. `o` (origin) says where
a product card's Back button leads: "c<category>.<page>", "s<search>.<page>", "f<page>",
"h<page>" or "" (the product's own category).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from handlers.common import DbId

Page = Annotated[int, Field(ge=-(10**6), le=10**6)]
Origin = Annotated[str, Field(max_length=20)]


class CatCb(CallbackData, prefix="cc"):
    """A category screen: `c` = 0 for the roots."""

    c: DbId
    p: Page = 1


class CardCb(CallbackData, prefix="pc"):
    """Product card actions: o=open, v=variant, g=gallery, f=favourite, s=similar,
    t=bought together, b=back. `i` is the photo index, or the list's 0-based page for s/t."""

    a: str
    p: DbId
    v: DbId = 0
    i: Page = 0
    o: Origin = ""


class ReviewCb(CallbackData, prefix="rv"):
    """Reviews: l=list page n, w=write, r=rating n, k=skip step, x=cancel, ph=photo of review p."""

    a: str
    p: DbId
    n: Page = 1
    o: Origin = ""


class SearchCb(CallbackData, prefix="sr"):
    """Search results: `k` is the search's number in the FSM data (stale keys are refused)."""

    k: int
    a: str
    v: str = ""


class ListCb(CallbackData, prefix="ls"):
    """The shopper's lists: f=favourites page, h=history page, hc=clear history."""

    a: str
    p: Page = 1


@dataclass(frozen=True, slots=True)
class Back:
    kind: str  # "category", "search", "favourites", "history" or "" (product's category)
    ref: int = 0
    page: int = 1


_ORIGIN = re.compile(r"^([csfh])(\d{1,10})(?:\.(\d{1,6}))?$")


def origin(kind: str, ref: int = 0, page: int = 1) -> str:
    if kind in ("favourites", "history"):
        return f"{kind[0]}{page}"
    if kind in ("category", "search"):
        return f"{kind[0]}{ref}.{page}"
    return ""


def parse_origin(raw: str) -> Back:
    """Forged or unknown origins fall back to the product's own category."""
    match = _ORIGIN.fullmatch(raw or "")
    if match is None:
        return Back("")
    letter, first, second = match.groups()
    kind = {"c": "category", "s": "search", "f": "favourites", "h": "history"}[letter]
    if kind in ("favourites", "history"):
        return Back(kind, 0, int(first))
    return Back(kind, int(first), int(second or 1))
