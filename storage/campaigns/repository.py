"""Campaigns and their delivery rows on Tortoise (implements the domain's Protocols)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise import connections
from tortoise.expressions import F, Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from domain.campaigns.audiences import AudienceSpec
from domain.campaigns.delivery import Delivery
from domain.campaigns.service import (
    Campaign,
    CampaignButton,
    CampaignDraft,
    CampaignState,
    DeliveryCounts,
    ProgressMessage,
)
from domain.users.service import resolve_language
from storage.campaigns.audiences import audience_users
from storage.campaigns.models import CampaignRow, DeliveryRow
from storage.columns import int_column

INSERT_BATCH = 1000


def _now() -> datetime:
    return datetime.now(UTC)


def _campaign(row: CampaignRow) -> Campaign:
    button = None
    if row.button_kind and row.button_value:
        button = CampaignButton(row.button_kind, row.button_value)
    draft = CampaignDraft(
        text=row.text,
        audience=AudienceSpec(row.audience_kind, row.audience_value),
        photo_file_id=row.photo_file_id,
        button=button,
    )
    return Campaign(
        id=row.id,
        created_by=row.created_by,
        draft=draft,
        state=CampaignState(row.state),
        created_at=row.created_at,
        scheduled_at=row.scheduled_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        progress_chat_id=row.progress_chat_id,
        progress_message_id=row.progress_message_id,
    )


class TortoiseCampaignRepository:
    async def create(self, created_by: int, draft: CampaignDraft) -> Campaign:
        row = await CampaignRow.create(
            created_by=created_by,
            text=draft.text,
            photo_file_id=draft.photo_file_id,
            button_kind=draft.button.kind if draft.button else None,
            button_value=draft.button.value if draft.button else None,
            audience_kind=draft.audience.kind,
            audience_value=draft.audience.value,
            state=CampaignState.DRAFT.value,
        )
        return _campaign(row)

    async def get(self, campaign_id: int) -> Campaign | None:
        row = await CampaignRow.get_or_none(id=campaign_id)
        return _campaign(row) if row else None

    async def recent(self, limit: int, offset: int = 0) -> list[Campaign]:
        rows = await CampaignRow.all().order_by("-id").offset(offset).limit(limit)
        return [_campaign(r) for r in rows]

    async def count(self) -> int:
        return await CampaignRow.all().count()

    async def transition(
        self,
        campaign_id: int,
        from_states: frozenset[CampaignState],
        to_state: CampaignState,
        scheduled_at: datetime | None = None,
    ) -> bool:
        changes: dict[str, object] = {"state": to_state.value}
        if scheduled_at is not None:
            changes["scheduled_at"] = scheduled_at
        if to_state in (CampaignState.DONE, CampaignState.CANCELLED):
            changes["finished_at"] = _now()
        updated = await CampaignRow.filter(
            id=campaign_id, state__in=[s.value for s in from_states]
        ).update(**changes)
        return updated == 1

    async def start(
        self,
        campaign_id: int,
        from_states: frozenset[CampaignState],
        progress: ProgressMessage | None = None,
    ) -> bool:
        now = _now()
        changes: dict[str, object] = {"state": CampaignState.RUNNING.value, "started_at": now}
        if progress is not None:
            changes["progress_chat_id"] = progress.chat_id
            changes["progress_message_id"] = progress.message_id
        async with in_transaction():
            updated = await CampaignRow.filter(
                id=campaign_id, state__in=[s.value for s in from_states]
            ).update(**changes)
            if updated != 1:
                return False
            row = await CampaignRow.get(id=campaign_id)
            spec = AudienceSpec(row.audience_kind, row.audience_value)
            people = (
                await audience_users(spec, now).order_by("id").values_list("id", "telegram_id")
            )
            rows = [
                DeliveryRow(campaign_id=campaign_id, user_id=uid, chat_id=chat)
                for uid, chat in people
            ]
            for i in range(0, len(rows), INSERT_BATCH):
                await DeliveryRow.bulk_create(rows[i : i + INSERT_BATCH])
        return True

    async def audience_size(self, spec: AudienceSpec) -> int:
        return await audience_users(spec, _now()).count()

    async def counts(self, campaign_id: int) -> DeliveryCounts:
        grouped = (
            await DeliveryRow.filter(campaign_id=campaign_id)
            .annotate(n=Count("id"))
            .group_by("state")
            .values_list("state", "n")
        )
        by_state = {str(state): int(n) for state, n in grouped}
        clicks = await DeliveryRow.filter(
            campaign_id=campaign_id, clicked_at__isnull=False
        ).count()
        fields = ("pending", "sending", "sent", "failed", "blocked", "unknown", "skipped")
        return DeliveryCounts(**{k: by_state.get(k, 0) for k in fields}, clicks=clicks)

    async def due(self, now: datetime) -> list[int]:
        due = CampaignRow.filter(state=CampaignState.SCHEDULED.value, scheduled_at__lte=now)
        return await int_column(due.order_by("scheduled_at"), "id")

    async def record_click(self, campaign_id: int, user_id: int) -> bool | None:
        if not await DeliveryRow.exists(campaign_id=campaign_id, user_id=user_id):
            return None
        updated = await DeliveryRow.filter(
            campaign_id=campaign_id, user_id=user_id, clicked_at__isnull=True
        ).update(clicked_at=_now())
        return updated == 1

    async def set_progress_message(self, campaign_id: int, chat_id: int, message_id: int) -> None:
        await CampaignRow.filter(id=campaign_id).update(
            progress_chat_id=chat_id, progress_message_id=message_id
        )


class TortoiseDeliveryStore:
    """The delivery engine's rows. Every write is conditional on the row's attempt id."""

    async def settle_interrupted(self) -> int:
        return await DeliveryRow.filter(state="sending").update(
            state="unknown", updated_at=_now(), error="interrupted mid-send"
        )

    async def running_campaign_ids(self) -> list[int]:
        return await int_column(CampaignRow.filter(state=CampaignState.RUNNING.value), "id")

    async def next_pending(self, campaign_ids: list[int], limit: int) -> list[Delivery]:
        if not campaign_ids:
            return []
        rows = (
            await DeliveryRow.filter(campaign_id__in=campaign_ids, state="pending")
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=_now()))
            .order_by("id")
            .limit(limit)
            .values(
                "id",
                "campaign_id",
                "user_id",
                "chat_id",
                "attempts",
                "user__language",
                "user__telegram_language",
                "user__marketing_opt_in",
                "user__is_blocked",
            )
        )
        ready: list[Delivery] = []
        skipped: list[int] = []
        for r in rows:
            if not r["user__marketing_opt_in"] or r["user__is_blocked"]:
                skipped.append(r["id"])  # opted out (or blocked) after the campaign started
                continue
            locale = resolve_language(r["user__language"] or r["user__telegram_language"])
            ready.append(
                Delivery(
                    r["id"], r["campaign_id"], r["user_id"], r["chat_id"], locale, r["attempts"]
                )
            )
        if skipped:
            await DeliveryRow.filter(id__in=skipped, state="pending").update(
                state="skipped", updated_at=_now()
            )
        return ready

    async def claim(self, delivery_ids: list[int], attempt_id: str) -> set[int]:
        updated = await DeliveryRow.filter(id__in=delivery_ids, state="pending").update(
            state="sending", attempt_id=attempt_id, updated_at=_now()
        )
        if updated == len(delivery_ids):
            return set(delivery_ids)
        return set(
            await int_column(
                DeliveryRow.filter(id__in=delivery_ids, attempt_id=attempt_id, state="sending"),
                "id",
            )
        )

    async def _settle(self, delivery_id: int, attempt_id: str, **changes: object) -> None:
        await DeliveryRow.filter(id=delivery_id, attempt_id=attempt_id, state="sending").update(
            updated_at=_now(), **changes
        )

    async def mark_sent(self, results: list[tuple[int, str, int]]) -> None:
        # One statement executed for many rows in one round trip (group commit).
        conn = connections.get("default")
        mark = "?" if conn.capabilities.dialect == "sqlite" else "$"
        params = ("?", "?", "?") if mark == "?" else ("$1", "$2", "$3")
        sql = (
            f"UPDATE {DeliveryRow._meta.db_table} SET state='sent', message_id={params[0]} "
            f"WHERE id={params[1]} AND attempt_id={params[2]} AND state='sending'"
        )
        await conn.execute_many(sql, [[mid, did, att] for did, att, mid in results])

    async def mark_blocked(self, delivery_id: int, attempt_id: str, reason: str) -> None:
        await self._settle(delivery_id, attempt_id, state="blocked", error=reason[:200])

    async def mark_failed(self, delivery_id: int, attempt_id: str, reason: str) -> None:
        await self._settle(
            delivery_id, attempt_id, state="failed", error=reason[:200], attempts=F("attempts") + 1
        )

    async def release(
        self, delivery_id: int, attempt_id: str, retry_in: float, counted: bool, reason: str
    ) -> None:
        changes: dict[str, object] = {
            "state": "pending",
            "error": reason[:200],
            "next_attempt_at": _now() + timedelta(seconds=retry_in),
        }
        if counted:
            changes["attempts"] = F("attempts") + 1
        await self._settle(delivery_id, attempt_id, **changes)

    async def finish_if_complete(self, campaign_id: int) -> bool:
        async with in_transaction():
            if await DeliveryRow.filter(
                campaign_id=campaign_id, state__in=["pending", "sending"]
            ).exists():
                return False
            updated = await CampaignRow.filter(
                id=campaign_id, state=CampaignState.RUNNING.value
            ).update(state=CampaignState.DONE.value, finished_at=_now())
        return updated == 1
