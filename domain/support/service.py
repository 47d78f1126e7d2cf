"""The support line's rules: conversations and their status, who is blocked, whether the shop
is closed for maintenance, and how fast staff answer.

The block list and the maintenance switch are read on every update (bot/middlewares.py) and
every storefront call, so they are cached in memory: a change made here is seen at once by
this process and within `cache_ttl` seconds by the other replicas.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import median
from typing import Protocol

from domain.kernel.cache import TtlReload
from domain.kernel.errors import DomainError, NotFound, ValidationError
from domain.kernel.i18n import N_
from domain.staff.audit import AuditService
from domain.staff.service import StaffService
from domain.support.types import (
    About,
    Conversation,
    Direction,
    Maintenance,
    Shopper,
    Status,
    Traffic,
)

MAINTENANCE_TEXT_LIMIT = 500
LIST_LIMIT = 20
Relay = tuple[int, int]  # (chat id, message id) of a copy of a conversation's message


class ConversationNotFound(NotFound):
    message = N_("That conversation no longer exists.")


class StaffNotBlockable(DomainError):
    message = N_("Staff members can't be blocked.")


class MaintenanceTextInvalid(ValidationError):
    message = N_("Write the message shoppers will see (1 to {limit} characters).")


class Refusal(StrEnum):
    BLOCKED = "blocked"
    CLOSED = "closed"


class SupportRepository(Protocol):
    async def open(self, shopper: Shopper, about: About, now: datetime) -> Conversation:
        """The shopper's conversation (created on first use), with `about` if one is given."""
        ...

    async def get(self, conversation_id: int) -> Conversation | None: ...

    async def of_shopper(self, telegram_id: int) -> Conversation | None: ...

    async def by_topic(self, chat_id: int, topic_id: int) -> Conversation | None: ...

    async def by_relay(self, chat_id: int, message_id: int) -> Conversation | None: ...

    async def set_topic(self, conversation_id: int, chat_id: int, topic_id: int) -> None: ...

    async def add_message(
        self,
        conversation_id: int,
        direction: Direction,
        staff_id: int | None,
        kind: str,
        relays: list[Relay],
        now: datetime,
    ) -> None:
        """Record a message, the copies that stand for it, and the conversation's new status."""
        ...

    async def listing(self, status: Status, limit: int) -> list[Conversation]: ...

    async def counts(self) -> dict[Status, int]: ...

    async def traffic(self, start: datetime, end: datetime) -> list[Traffic]: ...

    async def blocked_ids(self) -> set[int]: ...

    async def set_blocked(self, telegram_id: int, blocked: bool, actor: int) -> bool:
        """True when this changed something."""
        ...

    async def maintenance(self) -> Maintenance: ...

    async def set_maintenance(self, state: Maintenance, actor: int) -> None: ...


def response_times(traffic: Iterable[Traffic]) -> list[tuple[datetime, float]]:
    """(answered at, seconds waited) for every time a shopper wrote and staff then answered:
    the wait runs from the first unanswered message to the next staff message."""
    waiting: dict[int, datetime] = {}
    out: list[tuple[datetime, float]] = []
    for t in sorted(traffic, key=lambda t: t.at):
        if t.direction is Direction.IN:
            waiting.setdefault(t.conversation_id, t.at)
        elif t.conversation_id in waiting:
            since = waiting.pop(t.conversation_id)
            out.append((t.at, (t.at - since).total_seconds()))
    return out


class SupportService:
    """Conversations between shoppers and staff, blocks and the maintenance switch."""

    def __init__(
        self,
        repo: SupportRepository,
        staff: StaffService,
        audit: AuditService,
        chat_id: int | None = None,
        cache_ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.staff = staff
        self.audit = audit
        self.chat_id = chat_id  # the staff's forum supergroup, else staff's private chats
        self.cache_ttl = cache_ttl
        self.clock = clock
        self._blocked: frozenset[int] = frozenset()
        self._maintenance = Maintenance()
        self._cache = TtlReload(self._load, cache_ttl, clock)  # the gate's, read per update

    # ---- the gate: read per update, from memory ----

    def invalidate(self) -> None:
        self._cache.invalidate()

    async def _load(self) -> None:
        blocked = frozenset(await self.repo.blocked_ids())
        self._maintenance = await self.repo.maintenance()
        self._blocked = blocked

    async def _refresh(self) -> None:
        await self._cache.ensure()

    async def refusal(self, telegram_id: int) -> Refusal | None:
        """Why the shop won't serve this person now (blocked, or closed to shoppers), or None.
        Staff are never refused; the staff check only runs while something would refuse."""
        await self._refresh()
        blocked = telegram_id in self._blocked
        if not blocked and not self._maintenance.on:
            return None
        if await self.staff.role_of(telegram_id) is not None:
            return None
        return Refusal.BLOCKED if blocked else Refusal.CLOSED

    async def maintenance(self) -> Maintenance:
        await self._refresh()
        return self._maintenance

    async def is_blocked(self, telegram_id: int) -> bool:
        await self._refresh()
        return telegram_id in self._blocked

    async def set_blocked(self, actor: int, telegram_id: int, blocked: bool) -> bool:
        """Block (or unblock) a shopper; staff can't be blocked. True when it changed."""
        if not await self.staff.allowed(actor):
            raise ConversationNotFound()
        if blocked and await self.staff.role_of(telegram_id) is not None:
            raise StaffNotBlockable()
        changed = await self.repo.set_blocked(telegram_id, blocked, actor)
        self.invalidate()
        if changed:
            action = "support.block" if blocked else "support.unblock"
            await self.audit.record(actor, action, f"user:{telegram_id}")
        return changed

    async def set_maintenance(self, actor: int, on: bool, message: str | None = None) -> None:
        """The owner closes (with a message for shoppers) or reopens the shop."""
        if await self.staff.role_of(actor) != "owner":
            raise ConversationNotFound()
        current = await self.repo.maintenance()
        text = current.message if message is None else message.strip()
        if message is not None and not 1 <= len(text) <= MAINTENANCE_TEXT_LIMIT:
            raise MaintenanceTextInvalid(limit=MAINTENANCE_TEXT_LIMIT)
        await self.repo.set_maintenance(Maintenance(on, text), actor)
        self.invalidate()
        await self.audit.record(actor, "support.maintenance", "shop", {"on": on})

    # ---- conversations ----

    async def open(self, shopper: Shopper, about: About, now: datetime) -> Conversation:
        """The shopper's conversation, about what they pressed "Contact the shop" on."""
        return await self.repo.open(shopper, about, now)

    async def of_shopper(self, telegram_id: int) -> Conversation | None:
        return await self.repo.of_shopper(telegram_id)

    async def get(self, conversation_id: int) -> Conversation:
        found = await self.repo.get(conversation_id)
        if found is None:
            raise ConversationNotFound()
        return found

    async def by_topic(self, chat_id: int, topic_id: int) -> Conversation | None:
        return await self.repo.by_topic(chat_id, topic_id)

    async def by_relay(self, chat_id: int, message_id: int) -> Conversation | None:
        """The conversation a copied message belongs to (a reply to it continues it)."""
        return await self.repo.by_relay(chat_id, message_id)

    async def set_topic(self, conversation_id: int, chat_id: int, topic_id: int) -> None:
        await self.repo.set_topic(conversation_id, chat_id, topic_id)

    async def shopper_wrote(
        self, conversation: Conversation, kind: str, relays: list[Relay], now: datetime
    ) -> None:
        await self.repo.add_message(conversation.id, Direction.IN, None, kind, relays, now)

    async def staff_replied(
        self,
        conversation: Conversation,
        staff_id: int,
        kind: str,
        relays: list[Relay],
        now: datetime,
    ) -> None:
        await self.repo.add_message(conversation.id, Direction.OUT, staff_id, kind, relays, now)

    async def listing(self, status: Status) -> tuple[list[Conversation], dict[Status, int]]:
        """Conversations with `status`, most recent first, and how many there are of each."""
        return await self.repo.listing(status, LIST_LIMIT), await self.repo.counts()

    async def response_figure(self, start: datetime, end: datetime) -> tuple[int, float | None]:
        """How many answers staff gave in [start, end) and the median seconds shoppers waited
        for them (None without answers); a wait may have started up to 30 days before."""
        traffic = await self.repo.traffic(start - timedelta(days=30), end)
        waits = [s for at, s in response_times(traffic) if start <= at < end]
        return len(waits), (median(waits) if waits else None)
