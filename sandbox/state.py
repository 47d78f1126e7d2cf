"""In-memory state of the emulated Telegram: per-bot update queues, chats, queries and files.

Everything here is O(1) per call on the hot paths (enqueue, fetch, send) because benchmarks
drive 1,000 concurrent users and 10,000-recipient broadcasts through it.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .models import SandboxMessage, bad

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


def new_id(prefix: str, nbytes: int = 24) -> str:
    """Telegram-looking opaque identifier (base64url of random bytes)."""
    return prefix + base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode().rstrip("=")


@dataclass(eq=False)
class UpdateRec:
    """A pending update; kept until the bot confirms it (offset) or a webhook POST got a 2xx."""

    update_id: int
    kind: str
    payload: dict[str, Any]
    user_id: int | None
    delivered: asyncio.Event = field(default_factory=asyncio.Event)
    confirmed: asyncio.Event = field(default_factory=asyncio.Event)  # as ``done``, awaitable
    attempts: int = 0
    done: bool = False  # confirmed / acknowledged / dropped

    def as_dict(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.payload}


@dataclass(eq=False)
class QueryRec:
    """A callback/inline/shipping/pre-checkout query awaiting the bot's answer."""

    query_id: str
    kind: str
    user_id: int
    created: float
    answer: asyncio.Future[dict[str, Any]]
    expired: bool = False


@dataclass(eq=False)
class FileRec:
    file_id: str
    file_unique_id: str
    content: bytes | None
    file_path: str
    file_size: int
    kind: str = "document"
    meta: Any = None  # photo: list of PhotoSize dicts; document: the Document dict


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class ChatState:
    """A private chat between one user and one bot (chat id == user id), or a group the bot
    is in (negative id; a forum supergroup has topics)."""

    def __init__(self, chat_id: int, chat_dict: dict[str, Any]):
        self.chat_id = chat_id
        self.chat_dict = chat_dict  # the Chat object embedded in messages
        self.topics: dict[int, dict[str, Any]] = {}  # message_thread_id -> ForumTopic
        self.messages: dict[int, SandboxMessage] = {}
        self.next_message_id = 1
        self.touched: list[SandboxMessage] = []  # change log, for "what did the bot do"
        self.reply_keyboard: dict[str, Any] | None = None
        self.members: set[int] = set()  # users in a group/channel (sandbox/members.py)
        self.banned: set[int] = set()
        self.invite_links: dict[str, dict[str, Any]] = {}  # createChatInviteLink, with "used"

    def add(self, msg: SandboxMessage, seq: int) -> SandboxMessage:
        self.messages[msg.message_id] = msg
        self.touch(msg, seq)
        return msg

    def touch(self, msg: SandboxMessage, seq: int) -> None:
        msg.change_seq = seq
        self.touched.append(msg)
        if len(self.touched) > 2000:  # bound memory for very long benchmark chats
            del self.touched[:1000]

    @property
    def is_forum(self) -> bool:
        return self.chat_dict.get("type") == "supergroup" and bool(self.chat_dict.get("is_forum"))

    def take_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid

    def changed_since(self, seq: int) -> list[SandboxMessage]:
        """Bot messages created/edited after ``seq`` (current state, deleted excluded)."""
        seen: dict[int, SandboxMessage] = {}
        for msg in reversed(self.touched):
            if msg.change_seq <= seq:
                break
            if msg.from_bot and not msg.deleted:
                seen[msg.message_id] = msg
        return [seen[k] for k in sorted(seen)]


QUERIES_PRUNE_AT = 20_000  # open queries kept before old ones are swept
QUERY_KEEP_SECONDS = 600.0


class BotState:
    """Everything Telegram keeps per bot token."""

    def __init__(self, token: str, username: str, first_name: str):
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else abs(hash(token)) % 10**9
        self.username = username
        self.first_name = first_name
        self.updates: collections.OrderedDict[int, UpdateRec] = collections.OrderedDict()
        self.next_update_id = 1
        self.new_update = asyncio.Event()
        self.webhook: WebhookConfig | None = None
        self.chats: dict[int, ChatState] = {}
        self.queries: dict[str, QueryRec] = {}
        self.queries_prune_at = QUERIES_PRUNE_AT  # the table's size that triggers a sweep
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_button: dict[str, Any] = {"type": "default"}
        self.chat_menu_buttons: dict[int, dict[str, Any]] = {}  # setChatMenuButton(chat_id)
        self.pending_pushes = 0  # webhook POSTs in flight
        self.allowed_updates: list[str] | None = None
        self.on_enqueue: Callable[[UpdateRec], None] | None = None  # webhook pusher hook
        self.invoice_links: dict[str, dict[str, Any]] = {}

    def menu_button_for(self, chat_id: int) -> dict[str, Any]:
        """What a chat shows: its own menu button, else the bot's default one."""
        return self.chat_menu_buttons.get(chat_id, self.menu_button)

    def user_dict(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }

    def enqueue(self, kind: str, payload: dict[str, Any], user_id: int | None) -> UpdateRec:
        rec = UpdateRec(self.next_update_id, kind, payload, user_id)
        self.next_update_id += 1
        self.updates[rec.update_id] = rec
        self.new_update.set()
        if self.on_enqueue is not None:
            self.on_enqueue(rec)
        return rec

    def confirm_below(self, offset: int) -> None:
        """getUpdates offset semantics: updates with a smaller id are forgotten for good."""
        while self.updates:
            uid, rec = next(iter(self.updates.items()))
            if uid >= offset:
                break
            self.updates.popitem(last=False)
            self._finish(rec)

    def drop_all(self) -> int:
        count = len(self.updates)
        for rec in self.updates.values():
            self._finish(rec)
        self.updates.clear()
        return count

    def remove(self, rec: UpdateRec) -> None:
        self.updates.pop(rec.update_id, None)
        self._finish(rec)

    @staticmethod
    def _finish(rec: UpdateRec) -> None:
        rec.done = True
        rec.delivered.set()  # nobody should wait forever on a dropped update
        rec.confirmed.set()

    def fetch(self, offset: int | None, limit: int, allowed: list[str] | None) -> list[UpdateRec]:
        """Return (without removing) up to ``limit`` pending updates from ``offset``."""
        if offset is not None and offset < 0:
            while len(self.updates) > -offset:
                self._finish(self.updates.popitem(last=False)[1])
            offset = None
        elif offset is not None:
            self.confirm_below(offset)
        out: list[UpdateRec] = []
        skipped: list[UpdateRec] = []
        for rec in self.updates.values():
            if allowed is not None and rec.kind not in allowed:
                skipped.append(rec)  # Telegram doesn't store updates of unwanted kinds
                continue
            out.append(rec)
            if len(out) >= limit:
                break
        for rec in skipped:
            self.remove(rec)
        if not self.updates:
            self.new_update.clear()
        return out

    def query(self, kind: str, user_id: int) -> QueryRec:
        if len(self.queries) > self.queries_prune_at:  # forget long-dead queries
            cutoff = time.monotonic() - QUERY_KEEP_SECONDS  # answers are due in seconds
            self.queries = {k: q for k, q in self.queries.items() if q.created > cutoff}
            # Sweep again when the table has doubled: with every query still young, sweeping
            # at each new query copied the whole table each time (a long bench slowed 10x).
            self.queries_prune_at = max(QUERIES_PRUNE_AT, 2 * len(self.queries))
        qid = str(secrets.randbits(63))
        rec = QueryRec(
            qid, kind, user_id, time.monotonic(), asyncio.get_running_loop().create_future()
        )
        self.queries[qid] = rec
        return rec

    def take_query(self, query_id: str, kind: str, ttl: float | None) -> QueryRec:
        """The open query ``query_id``; unknown, answered or expired ones are refused."""
        q = self.queries.get(query_id)
        if (
            q is None
            or q.kind != kind
            or q.answer.done()
            or q.expired
            or (ttl is not None and time.monotonic() - q.created > ttl)
        ):
            raise bad(QUERY_TOO_OLD)
        return q


class FileStore:
    """Files users sent or the bot uploaded, addressable by file_id and file_path."""

    def __init__(self) -> None:
        self.by_id: dict[str, FileRec] = {}
        self.by_path: dict[str, FileRec] = {}
        self._n = 0

    def add(self, content: bytes | None, kind: str, ext: str, prefix: str) -> FileRec:
        self._n += 1
        rec = FileRec(
            new_id(prefix),
            new_id("AQAD", 9),
            content,
            f"{kind}/file_{self._n}.{ext}",
            len(content or b""),
        )
        self.by_id[rec.file_id] = rec
        self.by_path[rec.file_path] = rec
        return rec

    def alias(self, rec: FileRec, prefix: str) -> FileRec:
        """Another file_id for the same bytes (Telegram's differently-sized photo copies)."""
        other = FileRec(
            new_id(prefix), new_id("AQAD", 9), rec.content, rec.file_path, rec.file_size
        )
        self.by_id[other.file_id] = other
        return other

    def photo_sizes(self, content: bytes | None) -> list[dict[str, Any]]:
        """Three PhotoSize entries like Telegram's thumbnails + full size."""
        base = self.add(content, "photos", "jpg", "AgAC")
        sizes: list[dict[str, Any]] = []
        for i, (w, h) in enumerate(((90, 67), (320, 240), (800, 600))):
            rec = base if i == 2 else self.alias(base, "AgAC")
            sizes.append(
                {
                    "file_id": rec.file_id,
                    "file_unique_id": rec.file_unique_id,
                    "width": w,
                    "height": h,
                    "file_size": rec.file_size,
                }
            )
        return sizes
