"""In-memory LoyaltyRepository with the same contract as storage/loyalty (keys unique,
debits refused beyond the balance), for the domain's unit tests."""

from __future__ import annotations

from datetime import datetime

from domain.loyalty.rules import Lot
from domain.loyalty.service import (
    EntryKind,
    LedgerDraft,
    LedgerEntry,
    NotEnoughPoints,
    ReferralReport,
)


class InMemoryLoyaltyRepository:
    def __init__(self) -> None:
        self.entries: list[LedgerEntry] = []
        self.keys: set[str] = set()
        self.settled: set[int] = set()
        self.spend: dict[int, tuple[int, int, datetime, bool]] = {}  # order -> user, amt, at, rev
        self.referrers: dict[int, int] = {}
        self.telegram: dict[int, int] = {}

    async def balance(self, user_id: int) -> int:
        return sum(e.points for e in self.entries if e.user_id == user_id)

    def _append(self, draft: LedgerDraft, points: int, reason: str) -> LedgerEntry:
        entry = LedgerEntry(
            len(self.entries) + 1,
            draft.user_id,
            draft.kind,
            points,
            draft.at,
            draft.order_id,
            reason,
            draft.actor,
            draft.expires_at if points > 0 else None,
        )
        self.entries.append(entry)
        if draft.key:
            self.keys.add(draft.key)
        return entry

    async def add(self, draft: LedgerDraft) -> LedgerEntry | None:
        if draft.key in self.keys:
            return None
        balance = await self.balance(draft.user_id)
        if draft.points < 0 and balance < -draft.points:
            raise NotEnoughPoints(balance=balance)
        return self._append(draft, draft.points, draft.reason)

    async def take_up_to(self, draft: LedgerDraft) -> LedgerEntry | None:
        if draft.key in self.keys:
            return None
        take = min(-draft.points, await self.balance(draft.user_id))
        return self._append(draft, -max(take, 0), draft.reason)

    async def lots(self, user_id: int) -> tuple[list[Lot], int]:
        mine = [e for e in self.entries if e.user_id == user_id]
        return (
            [Lot(e.points, e.expires_at) for e in mine if e.points > 0],
            -sum(e.points for e in mine if e.points < 0),
        )

    async def history(self, user_id: int, offset: int, limit: int) -> list[LedgerEntry]:
        mine = [e for e in reversed(self.entries) if e.user_id == user_id]
        return mine[offset : offset + limit]

    async def count_history(self, user_id: int) -> int:
        return sum(1 for e in self.entries if e.user_id == user_id)

    async def points_for_order(self, order_id: int, kind: EntryKind) -> int:
        return sum(e.points for e in self.entries if e.order_id == order_id and e.kind is kind)

    async def record_spend(self, order_id: int, user_id: int, amount: int, at: datetime) -> bool:
        if order_id in self.spend:
            return False
        self.spend[order_id] = (user_id, amount, at, False)
        return True

    async def reverse_spend(self, order_id: int) -> bool:
        found = self.spend.get(order_id)
        if found is None or found[3]:
            return False
        self.spend[order_id] = (*found[:3], True)
        return True

    async def spend_since(self, user_id: int, since: datetime) -> int:
        return sum(
            a for u, a, at, rev in self.spend.values() if u == user_id and at >= since and not rev
        )

    def _due(self, now: datetime) -> list[LedgerEntry]:
        return [
            e
            for e in self.entries
            if e.points > 0
            and e.expires_at is not None
            and e.expires_at <= now
            and e.id not in self.settled
        ]

    async def users_with_due_lots(self, now: datetime, limit: int) -> list[int]:
        return sorted({e.user_id for e in self._due(now)})[:limit]

    async def settle_due_lots(self, user_id: int, now: datetime) -> int:
        ids = [e.id for e in self._due(now) if e.user_id == user_id]
        self.settled.update(ids)
        return max(ids, default=0)

    async def referrer_of(self, user_id: int) -> int | None:
        return self.referrers.get(user_id)

    async def user_by_telegram_id(self, telegram_id: int) -> int | None:
        return self.telegram.get(telegram_id)

    async def orders_to_settle(self, since: datetime, limit: int) -> list[int]:
        return []

    async def referral_report(self, limit: int) -> ReferralReport:
        given = [e for e in self.entries if e.kind is EntryKind.REFERRAL]
        return ReferralReport(len(self.referrers), 0, sum(e.points for e in given))
