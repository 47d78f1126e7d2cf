"""What the support line keeps: conversations, their messages' timing, blocks, maintenance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"  # the shopper wrote last: staff owe an answer
    ANSWERED = "answered"  # staff wrote last


class Direction(StrEnum):
    IN = "in"  # shopper -> staff
    OUT = "out"  # staff -> shopper


@dataclass(frozen=True, slots=True)
class Shopper:
    """Who writes to the shop, as Telegram tells it."""

    telegram_id: int
    name: str
    username: str | None
    language: str | None


@dataclass(frozen=True, slots=True)
class About:
    """What a conversation is about: a product, an order, or nothing in particular."""

    kind: str = ""  # "" | "product" | "order"
    id: int = 0

    def code(self) -> str:
        return f"{self.kind}:{self.id}" if self.kind else ""

    @classmethod
    def parse(cls, code: str) -> About:
        kind, _, raw = code.partition(":")
        if kind in ("product", "order") and raw.isdigit():
            return cls(kind, int(raw))
        return cls()


@dataclass(frozen=True, slots=True)
class Conversation:
    """One shopper's line to the shop (one forum topic when a staff group is configured)."""

    id: int
    shopper: Shopper
    status: Status
    about: About
    topic_chat_id: int | None
    topic_id: int | None
    opened_at: datetime
    last_at: datetime
    messages: int


@dataclass(frozen=True, slots=True)
class Traffic:
    """One message of a conversation, for the response-time figure."""

    conversation_id: int
    direction: Direction
    at: datetime


@dataclass(frozen=True, slots=True)
class Maintenance:
    """The shop closed by its owner: shoppers see `message`, staff keep working."""

    on: bool = False
    message: str = ""
