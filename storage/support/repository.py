"""SupportRepository over Tortoise: one conversation row per shopper, its messages (for the
response-time figure), the copies of them in staff and shopper chats, blocks, the switch."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from domain.support.service import Relay
from domain.support.types import (
    About,
    Conversation,
    Direction,
    Maintenance,
    Shopper,
    Status,
    Traffic,
)
from storage.support.models import (
    ShopSwitchRow,
    SupportBlockRow,
    SupportConversationRow,
    SupportMessageRow,
    SupportRelayRow,
)

MAINTENANCE = "maintenance"


def _conversation(row: SupportConversationRow) -> Conversation:
    return Conversation(
        id=row.id,
        shopper=Shopper(row.shopper_id, row.name, row.username, row.language),
        status=Status(row.status),
        about=About.parse(row.about),
        topic_chat_id=row.topic_chat_id,
        topic_id=row.topic_id,
        opened_at=row.opened_at,
        last_at=row.last_at,
        messages=row.message_count,
    )


class TortoiseSupportRepository:
    async def open(self, shopper: Shopper, about: About, now: datetime) -> Conversation:
        changes: dict[str, Any] = {
            "name": shopper.name[:200],
            "username": shopper.username,
            "language": (shopper.language or "")[:16] or None,
        }
        if about.kind:
            changes["about"] = about.code()
        row = await SupportConversationRow.get_or_none(shopper_id=shopper.telegram_id)
        if row is None:
            try:
                row = await SupportConversationRow.create(
                    shopper_id=shopper.telegram_id, opened_at=now, last_at=now, **changes
                )
            except IntegrityError:  # the same shopper twice at once: the other one won
                row = await SupportConversationRow.get(shopper_id=shopper.telegram_id)
            return _conversation(row)
        await SupportConversationRow.filter(id=row.id).update(**changes)
        return _conversation(await SupportConversationRow.get(id=row.id))

    async def get(self, conversation_id: int) -> Conversation | None:
        row = await SupportConversationRow.get_or_none(id=conversation_id)
        return _conversation(row) if row is not None else None

    async def of_shopper(self, telegram_id: int) -> Conversation | None:
        row = await SupportConversationRow.get_or_none(shopper_id=telegram_id)
        return _conversation(row) if row is not None else None

    async def by_topic(self, chat_id: int, topic_id: int) -> Conversation | None:
        row = await SupportConversationRow.get_or_none(topic_chat_id=chat_id, topic_id=topic_id)
        return _conversation(row) if row is not None else None

    async def by_relay(self, chat_id: int, message_id: int) -> Conversation | None:
        relay = await SupportRelayRow.get_or_none(chat_id=chat_id, message_id=message_id)
        return await self.get(relay.conversation_id) if relay is not None else None

    async def set_topic(self, conversation_id: int, chat_id: int, topic_id: int) -> None:
        await SupportConversationRow.filter(id=conversation_id).update(
            topic_chat_id=chat_id, topic_id=topic_id
        )

    async def add_message(
        self,
        conversation_id: int,
        direction: Direction,
        staff_id: int | None,
        kind: str,
        relays: list[Relay],
        now: datetime,
    ) -> None:
        status = Status.OPEN if direction is Direction.IN else Status.ANSWERED
        async with in_transaction():
            await SupportMessageRow.create(
                conversation_id=conversation_id,
                direction=direction.value,
                staff_id=staff_id,
                kind=kind,
                at=now,
            )
            await SupportConversationRow.filter(id=conversation_id).update(
                status=status.value, last_at=now, message_count=F("message_count") + 1
            )
            await SupportRelayRow.bulk_create(
                [
                    SupportRelayRow(conversation_id=conversation_id, chat_id=c, message_id=m)
                    for c, m in relays
                ],
                ignore_conflicts=True,
            )

    async def listing(self, status: Status, limit: int) -> list[Conversation]:
        rows = (
            await SupportConversationRow.filter(status=status.value, message_count__gt=0)
            .order_by("-last_at", "-id")
            .limit(limit)
        )
        return [_conversation(r) for r in rows]

    async def counts(self) -> dict[Status, int]:
        rows = (
            await SupportConversationRow.filter(message_count__gt=0)
            .annotate(n=Count("id"))
            .group_by("status")
            .values_list("status", "n")
        )
        found = {Status(s): int(n) for s, n in rows}
        return {s: found.get(s, 0) for s in Status}

    async def traffic(self, start: datetime, end: datetime) -> list[Traffic]:
        rows = await SupportMessageRow.filter(at__gte=start, at__lt=end).values_list(
            "conversation_id", "direction", "at"
        )
        return [Traffic(c, Direction(d), at) for c, d, at in rows]

    async def blocked_ids(self) -> set[int]:
        ids = await SupportBlockRow.all().values_list("telegram_id", flat=True)
        return {int(i) for i in ids}  # type: ignore[call-overload]

    async def set_blocked(self, telegram_id: int, blocked: bool, actor: int) -> bool:
        if not blocked:
            return await SupportBlockRow.filter(telegram_id=telegram_id).delete() > 0
        try:
            await SupportBlockRow.create(
                telegram_id=telegram_id, blocked_by=actor, blocked_at=datetime.now(UTC)
            )
        except IntegrityError:
            return False
        return True

    async def maintenance(self) -> Maintenance:
        row = await ShopSwitchRow.get_or_none(key=MAINTENANCE)
        return Maintenance(row.is_on, row.message) if row is not None else Maintenance()

    async def set_maintenance(self, state: Maintenance, actor: int) -> None:
        await ShopSwitchRow.update_or_create(
            defaults={
                "is_on": state.on,
                "message": state.message,
                "updated_by": actor,
                "updated_at": datetime.now(UTC),
            },
            key=MAINTENANCE,
        )
