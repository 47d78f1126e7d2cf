"""What the fuzz test (test_fuzz.py) throws at the bot: hypothesis strategies for user actions
and the mutations of real callback data.

An action is plain data drawn by hypothesis (so a failing run prints it and derandomised runs
repeat it); whatever depends on the chat at that moment (which buttons are on screen, which
callback data the bot has sent to anybody) is resolved when the action runs, from the indexes
drawn here.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from bot.runtime.commands import COMMANDS

ADMIN_COMMANDS = (
    "admin",
    "stock",
    "staff",
    "audit",
    "report",
    "campaign",
    "rebuild_recs",
    "process",
    "ship",
    "deliver",
    "refunded",
    "returned",
)
ALL_COMMANDS = tuple(name for name, _ in COMMANDS) + ADMIN_COMMANDS + ("favourites",)

# Numbers a forged button may carry instead of a real id (the victim's ids are added at run
# time): zero, negatives, the edges of 32- and 64-bit integers, and things that aren't numbers.
ODD_NUMBERS = (
    "0",
    "-1",
    "1",
    "2147483647",
    "2147483648",
    "9223372036854775808",
    "1" * 40,
    "1e3",
    "0x1f",
    " 7",
    "",
    "NaN",
    "٣",
    "¹",
)

HTML_LOOKING = (
    "<b>bold</b>",
    "<script>alert(1)</script>",
    "</pre>",
    "<a href='tg://user?id=1'>x</a>",
    "&amp; &lt; &#0; &#x110000;",
    "<b><i>unclosed",
    "<tg-spoiler>",
    "<<>>",
)
SQL_LOOKING = ("' OR 1=1 --", '"; DROP TABLE users; --', "%", "_", "\\", "*", 'NEAR("a" "b")')
SCRIPTS = (
    "مرحبا بالعالم",
    "שלום",
    "\u202egnp.exe",
    "漢字テスト",
    "한국어",
    "👩‍👩‍👧‍👦🏳️‍🌈",
    "🇺🇦",
    "e\u0301\u0301\u0301",
    "\ufeff",
    "\u200b\u200d",
    "Ω≈ç√∫",
    "ℌ𝔢𝔩𝔩𝔬",
)

# Any character a Telegram client could send: no surrogates (not valid UTF-8).
_characters = st.characters(exclude_categories=("Cs",))


def _not_blank(text: str) -> bool:
    return bool(text.strip())


fragments = st.one_of(
    st.text(_characters, min_size=1, max_size=40),
    st.sampled_from(HTML_LOOKING + SQL_LOOKING + SCRIPTS),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(("12.50", "12,50", "-3", "0", "1 000", "2025-06-01", "+44 7700 900000")),
    st.text(string.printable, min_size=1, max_size=20),
)

texts = st.one_of(
    fragments,
    st.lists(fragments, min_size=2, max_size=8).map(" ".join),
    # Long messages, up to 5,000 characters (over Telegram's 4,096 on purpose).
    st.tuples(fragments, st.integers(100, 5000)).map(lambda p: (p[0] * 5000)[: p[1]]),
).filter(_not_blank)


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Command:
    name: str
    args: str  # may be empty
    mention: bool  # /cmd@bot_username


@dataclass(frozen=True)
class PressVisible:
    """Press one of the callback buttons on screen (any message of the chat)."""

    index: int


@dataclass(frozen=True)
class PressForged:
    """Take real callback data the bot sent to anybody and mutate it."""

    source: str  # whose screens the data comes from: victim, attacker, owner
    index: int
    mutation: str  # as_is, swap, truncate, append, replace, garbage
    field: int
    victim_number: bool  # swap in one of the victim's ids, else one of ODD_NUMBERS
    number: int
    text: str


@dataclass(frozen=True)
class TapReply:
    index: int


@dataclass(frozen=True)
class Contact:
    whose: str  # own, victim, nobody, random
    phone: str


@dataclass(frozen=True)
class Photo:
    caption: str | None


@dataclass(frozen=True)
class Document:
    file_name: str
    mime: str
    content: bytes


@dataclass(frozen=True)
class Inline:
    query: str


@dataclass(frozen=True)
class Pay:
    """Pay the newest invoice on screen, if any (delivered twice, as Telegram may)."""

    twice: bool


Action = (
    Text
    | Command
    | PressVisible
    | PressForged
    | TapReply
    | Contact
    | Photo
    | Document
    | Inline
    | Pay
)

commands = st.builds(
    Command,
    name=st.sampled_from((*ALL_COMMANDS, "nosuchcommand", "START", "start_", "a" * 40)),
    args=st.one_of(st.just(""), fragments, st.sampled_from(("ref_x", "p_1", "p_99999999999"))),
    mention=st.booleans(),
)
forged_presses = st.builds(
    PressForged,
    source=st.sampled_from(("victim", "victim", "attacker", "owner")),
    index=st.integers(0, 10_000),
    mutation=st.sampled_from(
        ("as_is", "as_is", "swap", "swap", "truncate", "append", "replace", "garbage")
    ),
    field=st.integers(0, 8),
    victim_number=st.booleans(),
    number=st.integers(0, 100),
    text=st.text(_characters, max_size=70),
)
csv_documents = st.builds(
    lambda rows: b"sku,title_en,category,price,stock\n" + "\n".join(rows).encode(),
    st.lists(st.lists(fragments, max_size=6).map(",".join), max_size=5),
)
documents = st.builds(
    Document,
    file_name=st.sampled_from(("goods.csv", "photo.jpg", "a.exe", "x", "données.csv")),
    mime=st.sampled_from(("text/csv", "application/octet-stream", "image/jpeg")),
    content=st.one_of(csv_documents, st.binary(min_size=1, max_size=300)),
)

actions: st.SearchStrategy[Action] = st.one_of(
    st.builds(Text, texts),
    commands,
    st.builds(PressVisible, st.integers(0, 10_000)),
    st.builds(PressVisible, st.integers(0, 10_000)),
    forged_presses,
    forged_presses,
    st.builds(TapReply, st.integers(0, 100)),
    st.builds(Contact, st.sampled_from(("own", "victim", "nobody", "random")), fragments),
    st.builds(Photo, st.one_of(st.none(), fragments)),
    documents,
    st.builds(Inline, st.one_of(st.just(""), fragments)),
    st.builds(Pay, st.booleans()),
)


def fit_callback(data: str) -> str:
    """Callback data a client can send: 1-64 bytes of UTF-8."""
    raw = data.encode()[:64]
    text = raw.decode("utf-8", errors="ignore")
    return text or "x"


def mutate(data: str, action: PressForged, victim_numbers: list[str]) -> str:
    """One mutation of real callback data `data` (see PressForged.mutation)."""
    numbers = victim_numbers if action.victim_number and victim_numbers else list(ODD_NUMBERS)
    parts = data.split(":")
    field = action.field % len(parts)
    if action.mutation == "swap":
        digits = [i for i, p in enumerate(parts) if p.lstrip("-").isdigit()] or [field]
        parts[digits[action.field % len(digits)]] = numbers[action.number % len(numbers)]
        return fit_callback(":".join(parts))
    if action.mutation == "truncate":
        return fit_callback(data[: max(1, action.number % (len(data) + 1))])
    if action.mutation == "append":
        return fit_callback(data + (action.text or ":1"))
    if action.mutation == "replace":
        parts[field] = action.text
        return fit_callback(":".join(parts))
    if action.mutation == "garbage":
        return fit_callback(action.text or "\x00")
    return fit_callback(data)


def describe(action: Any) -> str:
    text = repr(action)
    return text if len(text) < 300 else text[:300] + "…"
