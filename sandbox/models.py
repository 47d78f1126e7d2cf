"""Plain data types shared by the sandbox modules and exposed to tests.

Kept free of any server logic so that tests and benchmark code can import and construct them
cheaply (e.g. ``RateLimits``) without pulling the aiohttp application in.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any


class SandboxError(Exception):
    """Base class for errors raised by the sandbox to the *test* side (never to the bot)."""


class NoReply(SandboxError):
    """The bot did not react to a user action within ``reply_timeout``.

    The message carries the chat transcript so that a failing test explains itself.
    """


class ApiError(Exception):
    """A refusal of a Bot API call; becomes Telegram's ``{"ok": false, ...}`` JSON answer."""

    def __init__(self, description: str, code: int = 400, retry_after: int | None = None):
        super().__init__(description)
        self.description = description
        self.code = code
        self.retry_after = retry_after


def bad(description: str) -> ApiError:
    """Shorthand for a 400 with Telegram's ``Bad Request:`` prefix."""
    return ApiError(f"Bad Request: {description}", 400)


@dataclass
class RateLimits:
    """Token-bucket limits modelled after Telegram's broadcasting FAQ (mutable at runtime)."""

    enabled: bool = False
    global_per_sec: float = 30.0
    per_chat_per_sec: float = 1.0
    per_chat_burst: int = 3


@dataclass
class ApiCall:
    """One Bot API call as seen by the sandbox: what tests assert on."""

    method: str
    params: dict[str, Any]
    ok: bool = True
    error_code: int | None = None
    description: str | None = None
    time: float = field(default_factory=time.time)
    bot_token: str = ""


@dataclass
class PaymentResult:
    """Outcome of ``SandboxUser.pay_invoice``."""

    ok: bool
    error: str | None = None
    telegram_payment_charge_id: str | None = None
    total_amount: int | None = None
    currency: str | None = None
    messages: list[SandboxMessage] = field(default_factory=list)


@dataclass
class SandboxMessage:
    """A message in a sandbox chat, in its *current* state (edits applied, deletion flagged)."""

    message_id: int
    chat_id: int
    from_bot: bool
    date: int
    text: str | None = None
    caption: str | None = None
    entities: list[dict[str, Any]] | None = None
    photo: list[dict[str, Any]] | None = None
    document: dict[str, Any] | None = None
    contact: dict[str, Any] | None = None
    invoice: dict[str, Any] | None = None
    successful_payment: dict[str, Any] | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    media_group_id: str | None = None
    message_thread_id: int | None = None  # forum supergroups: the topic
    forum_topic_created: dict[str, Any] | None = None
    edit_count: int = 0
    deleted: bool = False
    raw: dict[str, Any] = field(default_factory=dict)
    # sandbox bookkeeping (not part of the public contract)
    invoice_params: dict[str, Any] | None = field(default=None, repr=False)
    change_seq: int = field(default=0, repr=False)

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has (``""`` for neither)."""
        return self.text or self.caption or ""

    @property
    def inline_buttons(self) -> list[list[dict[str, Any]]]:
        """Rows of inline button dicts (empty when the message has no inline keyboard)."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard")
        return [list(r) for r in rows] if isinstance(rows, list) else []

    def button_texts(self) -> list[str]:
        """Flat list of inline button texts, row by row."""
        return [b.get("text", "") for row in self.inline_buttons for b in row]

    def callback_data(self, text: str) -> str:
        """The callback_data of the inline button labelled ``text`` (KeyError if absent)."""
        for row in self.inline_buttons:
            for b in row:
                if b.get("text") == text and "callback_data" in b:
                    return str(b["callback_data"])
        raise KeyError(f"no callback button {text!r} in message {self.message_id}")

    @property
    def reply_buttons(self) -> list[str]:
        """Flat list of reply-keyboard button texts (``ReplyKeyboardMarkup``)."""
        rows = (self.reply_markup or {}).get("keyboard")
        if not isinstance(rows, list):
            return []
        return [b if isinstance(b, str) else str(b.get("text", "")) for r in rows for b in r]

    @property
    def has_keyboard_removed(self) -> bool:
        """True when the bot sent ``ReplyKeyboardRemove`` with this message."""
        return bool((self.reply_markup or {}).get("remove_keyboard"))

    def render(self, bot_name: str, user_name: str) -> str:
        """One transcript entry: author line plus keyboard lines (used by ``transcript``)."""
        who = bot_name if self.from_bot else user_name
        if self.invoice is not None:
            inv = self.invoice
            amount = _format_amount(int(inv.get("total_amount", 0)), str(inv.get("currency")))
            body = f"[invoice] {inv.get('title')} — {amount}"
        elif self.successful_payment is not None:
            sp = self.successful_payment
            amount = _format_amount(int(sp["total_amount"]), str(sp["currency"]))
            body = f"[paid] {amount}"
        elif self.photo is not None:
            body = f"[photo] {self.caption or ''}".rstrip()
        elif self.document is not None:
            name = self.document.get("file_name", "file")
            body = f"[document {name}] {self.caption or ''}".rstrip()
        elif self.contact is not None:
            body = f"[contact] {self.contact.get('phone_number')}"
        else:
            body = self.content
            if not self.from_bot and len(body) > 200:
                body = f"{body[:60]}… ({len(body)} characters)"
        lines = [f"{who}: {body}"]
        for row in self.inline_buttons:
            lines.append("   " + " ".join(f"[{b.get('text', '')}]" for b in row))
        if self.reply_buttons:
            lines.append("   " + " ".join(f"({t})" for t in self.reply_buttons))
        return "\n".join(lines) + "\n"


_ZERO_DECIMAL = {"XTR", "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "PYG"}


def _format_amount(amount: int, currency: str) -> str:
    """Human amount for transcripts; Telegram prices are in the currency's smallest unit."""
    if currency in _ZERO_DECIMAL:
        return f"{amount} {currency}"
    return f"{amount / 100:.2f} {currency}"


def ceil_seconds(seconds: float) -> int:
    """Telegram's retry_after is a whole, positive number of seconds."""
    return max(1, math.ceil(seconds))
