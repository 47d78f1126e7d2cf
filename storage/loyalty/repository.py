"""LoyaltyRepository on Tortoise: the points ledger and its account balance, tier spend,
referral lookups and the loyalty part of an order.

A ledger row and its balance change are one transaction: the row first (its unique key stops
a second recording of the same cause), then `UPDATE accounts SET balance = balance + n` (for a
debit `... WHERE balance >= -n`, affected rows checked). On PostgreSQL a second writer waits
for the row lock and re-checks the WHERE against the committed balance; on SQLite writers are
serialised. So two checkouts spending the same points can't both succeed.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.loyalty.rules import Lot
from domain.loyalty.service import (
    EntryKind,
    LedgerDraft,
    LedgerEntry,
    NotEnoughPoints,
    ReferralLine,
    ReferralReport,
)
from domain.orders.service import OrderDraft
from domain.orders.states import OrderStatus, PaymentStatus
from storage.columns import int_column
from storage.compiled import CompiledRows
from storage.loyalty.models import (
    LoyaltyAccountRow,
    LoyaltyEntryRow,
    LoyaltyOrderRow,
    LoyaltySpendRow,
)
from storage.models import UserRow
from storage.orders.models import OrderRow

_CLOSED = (PaymentStatus.VOID, PaymentStatus.REFUNDED)
_SPENT_SINCE = CompiledRows(  # the membership tier, on every checkout
    LoyaltySpendRow,
    lambda rows, user_id, since: rows.filter(
        user_id=user_id, reversed=False, at__gte=since
    ).values("amount"),
    int,
    datetime,
)
_BALANCE = CompiledRows(  # the checkout's quote reads it
    LoyaltyAccountRow,
    lambda rows, user_id: rows.filter(user_id=user_id).limit(1).values("balance"),
    int,
)
_RETRIES = 8  # take_up_to re-reads the balance when another writer moved it meanwhile


class _KeyTaken(Exception):
    """Rolls the transaction back: this cause is already recorded."""


class _BalanceMoved(Exception):
    """Rolls back a take_up_to whose balance changed between reading and updating."""


def _entry(row: LoyaltyEntryRow) -> LedgerEntry:
    return LedgerEntry(
        id=row.id,
        user_id=row.user_id,
        kind=EntryKind(row.kind),
        points=row.points,
        at=row.created_at,
        order_id=row.order_id,
        reason=row.reason,
        actor=row.actor,
        expires_at=row.expires_at,
    )


async def _ensure_account(user_id: int) -> None:
    """Outside any transaction: a concurrent create just loses the race harmlessly."""
    if await LoyaltyAccountRow.exists(user_id=user_id):
        return
    try:
        await LoyaltyAccountRow.create(user_id=user_id, balance=0)
    except IntegrityError:
        pass


async def _insert(draft: LedgerDraft, points: int, reason: str) -> LoyaltyEntryRow:
    try:
        return await LoyaltyEntryRow.create(
            user_id=draft.user_id,
            kind=draft.kind,
            points=points,
            key=draft.key,
            order_id=draft.order_id,
            reason=reason[:200],
            actor=draft.actor[:40],
            expires_at=draft.expires_at if points > 0 else None,
            created_at=draft.at,
        )
    except IntegrityError:
        raise _KeyTaken() from None


async def _move_balance(user_id: int, points: int) -> bool:
    """balance += points; a debit only where the balance covers it. True when moved."""
    query = LoyaltyAccountRow.filter(user_id=user_id)
    if points < 0:
        query = query.filter(balance__gte=-points)
    return await query.update(balance=F("balance") + points) == 1


async def write_entry(draft: LedgerDraft) -> LedgerEntry:
    """Row + balance inside the caller's transaction (raises _KeyTaken / NotEnoughPoints)."""
    row = await _insert(draft, draft.points, draft.reason)
    if draft.points != 0 and not await _move_balance(draft.user_id, draft.points):
        raise NotEnoughPoints(balance=await TortoiseLoyaltyRepository().balance(draft.user_id))
    return _entry(row)


class TortoiseLoyaltyRepository:
    # ---- the ledger ----

    async def balance(self, user_id: int) -> int:
        rows = await _BALANCE.dicts(user_id)
        return int(rows[0]["balance"]) if rows else 0

    async def add(self, draft: LedgerDraft) -> LedgerEntry | None:
        if draft.points > 0:
            await _ensure_account(draft.user_id)
        try:
            async with in_transaction():
                return await write_entry(draft)
        except _KeyTaken:
            return None

    async def take_up_to(self, draft: LedgerDraft) -> LedgerEntry | None:
        wanted = -draft.points
        for _attempt in range(_RETRIES):
            have = await self.balance(draft.user_id)
            take = max(min(wanted, have), 0)
            reason = draft.reason
            if take < wanted:  # recorded, so the shortfall is visible in the history
                reason = f"{reason} (wanted {wanted}, balance {have})".strip()
            try:
                async with in_transaction():
                    row = await _insert(draft, -take, reason)
                    if take and not await _move_balance(draft.user_id, -take):
                        raise _BalanceMoved()
                    return _entry(row)
            except _KeyTaken:
                return None
            except _BalanceMoved:
                continue
        raise NotEnoughPoints(balance=await self.balance(draft.user_id))

    async def lots(self, user_id: int) -> tuple[list[Lot], int]:
        rows = await LoyaltyEntryRow.filter(user_id=user_id).values_list("points", "expires_at")
        lots = [Lot(int(points), expires) for points, expires in rows if points > 0]
        debits = -sum(int(points) for points, _ in rows if points < 0)
        return lots, debits

    async def history(self, user_id: int, offset: int, limit: int) -> list[LedgerEntry]:
        rows = (
            await LoyaltyEntryRow.filter(user_id=user_id)
            .order_by("-id")
            .offset(offset)
            .limit(limit)
        )
        return [_entry(r) for r in rows]

    async def count_history(self, user_id: int) -> int:
        return await LoyaltyEntryRow.filter(user_id=user_id).count()

    async def points_for_order(self, order_id: int, kind: EntryKind) -> int:
        rows = await int_column(LoyaltyEntryRow.filter(order_id=order_id, kind=kind), "points")
        return sum(int(p) for p in rows)

    async def all_entries(self, user_id: int) -> list[LedgerEntry]:
        rows = await LoyaltyEntryRow.filter(user_id=user_id).order_by("id")
        return [_entry(r) for r in rows]

    # ---- tiers ----

    async def record_spend(self, order_id: int, user_id: int, amount: int, at: datetime) -> bool:
        try:
            await LoyaltySpendRow.create(order_id=order_id, user_id=user_id, amount=amount, at=at)
        except IntegrityError:
            return False
        return True

    async def reverse_spend(self, order_id: int) -> bool:
        return (
            await LoyaltySpendRow.filter(order_id=order_id, reversed=False).update(reversed=True)
            == 1
        )

    async def spend_since(self, user_id: int, since: datetime) -> int:
        return sum(int(r["amount"]) for r in await _SPENT_SINCE.dicts(user_id, since))

    # ---- expiry ----

    def _due(self, now: datetime) -> QuerySet[LoyaltyEntryRow]:
        return LoyaltyEntryRow.filter(points__gt=0, settled=False, expires_at__lte=now)

    async def users_with_due_lots(self, now: datetime, limit: int) -> list[int]:
        ids = await int_column(self._due(now).distinct().limit(limit), "user_id")
        return sorted({int(i) for i in ids})

    async def settle_due_lots(self, user_id: int, now: datetime) -> int:
        ids = [int(i) for i in await int_column(self._due(now).filter(user_id=user_id), "id")]
        if not ids:
            return 0
        await LoyaltyEntryRow.filter(id__in=ids).update(settled=True)
        return max(ids)

    # ---- users and referrals ----

    async def referrer_of(self, user_id: int) -> int | None:
        row = await UserRow.get_or_none(id=user_id).only("id", "referrer_id")
        return row.referrer_id if row else None

    async def user_by_telegram_id(self, telegram_id: int) -> int | None:
        row = await UserRow.get_or_none(telegram_id=telegram_id).only("id")
        return row.id if row else None

    async def referral_report(self, limit: int) -> ReferralReport:
        pairs = await UserRow.filter(referrer_id__not_isnull=True).values_list("id", "referrer_id")
        keys = await LoyaltyEntryRow.filter(kind=EntryKind.REFERRAL).values_list("key", "points")
        rewarded = {int(k.rsplit(":", 1)[1]) for k, _ in keys if k and k.startswith("ref:")}
        invited_by: Counter[int] = Counter(int(r) for _, r in pairs)
        rewarded_by: Counter[int] = Counter(int(r) for u, r in pairs if int(u) in rewarded)
        top_ids = [uid for uid, _ in invited_by.most_common(limit)]
        names = {r.id: r for r in await UserRow.filter(id__in=top_ids)}
        top = tuple(
            ReferralLine(uid, _name(names.get(uid)), invited_by[uid], rewarded_by[uid])
            for uid in top_ids
        )
        return ReferralReport(len(pairs), len(rewarded), sum(int(p) for _, p in keys), top)

    # ---- orders ----

    async def order_benefit(self, order_id: int) -> LoyaltyOrderRow | None:
        return await LoyaltyOrderRow.get_or_none(order_id=order_id)

    async def orders_to_settle(self, since: datetime, limit: int) -> list[int]:
        """Orders changed since `since` whose ledger rules haven't run (a listener missed
        them, e.g. the process stopped right after the transition): completed ones never
        counted, and closed ones (void or refunded) whose points were not given back."""
        recent = OrderRow.filter(updated_at__gte=since)
        completed = set(await int_column(recent.filter(status=OrderStatus.COMPLETED), "id"))
        counted = set(
            await int_column(LoyaltySpendRow.filter(order_id__in=list(completed)), "order_id")
        )
        closed = set(await int_column(recent.filter(payment_status__in=list(_CLOSED)), "id"))
        rows = await LoyaltyEntryRow.filter(order_id__in=list(closed)).values_list(
            "order_id", "kind"
        )
        kinds: dict[int, set[str]] = {}
        for order_id, kind in rows:
            kinds.setdefault(int(order_id), set()).add(str(kind))
        unsettled = {o for o, k in kinds.items() if k & {"earn", "redeem"} and "reversal" not in k}
        return sorted((completed - counted) | unsettled)[:limit]


def _name(row: UserRow | None) -> str:
    if row is None:
        return "?"
    return row.display_name or " ".join(p for p in (row.first_name, row.last_name) if p)


async def record_checkout(draft: OrderDraft, order_id: int) -> None:
    """Place hook of TortoiseOrderRepository, run inside the order's own transaction: the
    loyalty part of the order and its redeem row (NotEnoughPoints rolls the order back)."""
    if not (draft.points_redeemed or draft.tier_discount):
        return
    await LoyaltyOrderRow.create(
        order_id=order_id,
        user_id=draft.user_id,
        points_redeemed=draft.points_redeemed,
        points_discount=draft.points_discount,
        tier_name=draft.tier_name,
        tier_discount=draft.tier_discount,
        created_at=draft.created_at,
    )
    if draft.points_redeemed > 0:
        redeem = LedgerDraft(
            draft.user_id,
            EntryKind.REDEEM,
            -draft.points_redeemed,
            draft.created_at,
            key=f"redeem:{order_id}",
            order_id=order_id,
            reason=f"order #{order_id}",
        )
        try:
            await write_entry(redeem)
        except _KeyTaken:  # a fresh order id can't have one: treat as a refusal all the same
            raise NotEnoughPoints(balance=0) from None
