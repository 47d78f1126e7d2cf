"""SubscriptionRepository on Tortoise. A charge is inserted first under its unique charge id,
in the transaction that starts or renews the subscription, so a repeated payment update stops
before changing anything; renewals and lapses are conditional updates on the status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain.catalog.types import Localized
from domain.subscriptions.rules import (
    PERIOD_SECONDS,
    Benefit,
    ChargeKind,
    Decision,
    Plan,
    Subscription,
    SubStatus,
    lapse_cutoff,
)
from domain.subscriptions.service import (
    ChargeDraft,
    DuplicateCharge,
    Subscriber,
    SubscriptionMoved,
    Summary,
)
from storage.columns import int_column
from storage.compiled import CompiledGet, CompiledRows
from storage.models import UserRow
from storage.subscriptions.models import ChargeRow, PlanRow, SubscriptionRow

_LIVE_TIERS = CompiledRows(  # the membership tier, on every checkout
    SubscriptionRow,
    lambda rows, user_id, cutoff: rows.filter(
        user_id=user_id,
        status=SubStatus.ACTIVE,
        expires_at__gt=cutoff,
        plan__benefit=Benefit.TIER,
    ).values("plan__benefit_value"),
    int,
    datetime,
)
_PLAN_OF = CompiledGet(PlanRow, "product_id")  # every card asks whether it is a plan
_KIND = {
    Decision.START: ChargeKind.FIRST,
    Decision.RENEW: ChargeKind.RENEWAL,
    Decision.REFUND: ChargeKind.REFUND_DUE,
}


def _plan(row: PlanRow) -> Plan:
    return Plan(
        id=row.id,
        product_id=row.product_id,
        title=Localized(row.title_en, row.title_zh),
        price=row.price,
        period=row.period,
        benefit=Benefit(row.benefit),
        benefit_value=row.benefit_value,
        active=row.active,
    )


def _sub(row: SubscriptionRow) -> Subscription:
    return Subscription(
        id=row.id,
        user_id=row.user_id,
        telegram_user_id=row.telegram_user_id,
        plan_id=row.plan_id,
        status=SubStatus(row.status),
        canceled=row.canceled,
        expires_at=row.expires_at,
        charge_id=row.charge_id,
        last_charge_id=row.last_charge_id,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


class TortoiseSubscriptionRepository:
    # ---- plans ----

    async def plans(self, active_only: bool) -> list[Plan]:
        query = PlanRow.all().order_by("id")
        if active_only:
            query = query.filter(active=True)
        return [_plan(r) for r in await query]

    async def plan(self, plan_id: int) -> Plan | None:
        row = await PlanRow.get_or_none(id=plan_id)
        return _plan(row) if row else None

    async def plan_for_product(self, product_id: int) -> Plan | None:
        row = await _PLAN_OF.get(product_id)
        return _plan(row) if row else None

    async def save_plan(
        self, product_id: int, title: Localized, price: int, benefit: Benefit, value: str
    ) -> Plan:
        values = {
            "title_en": title.en[:200],
            "title_zh": title.zh[:200],
            "price": price,
            "period": PERIOD_SECONDS,
            "benefit": benefit.value,
            "benefit_value": value[:300],
            "active": True,
        }
        row, _created = await PlanRow.update_or_create(defaults=values, product_id=product_id)
        return _plan(row)

    # ---- subscriptions ----

    async def find(self, user_id: int, plan_id: int) -> Subscription | None:
        row = await SubscriptionRow.get_or_none(user_id=user_id, plan_id=plan_id)
        return _sub(row) if row else None

    async def get(self, subscription_id: int) -> Subscription | None:
        row = await SubscriptionRow.get_or_none(id=subscription_id)
        return _sub(row) if row else None

    async def for_user(self, user_id: int) -> list[Subscription]:
        rows = await SubscriptionRow.filter(user_id=user_id).order_by("id")
        return [_sub(r) for r in rows]

    async def record_charge(self, draft: ChargeDraft) -> Subscription | None:
        try:
            async with in_transaction():
                try:
                    charge = await ChargeRow.create(
                        subscription_id=draft.subscription_id,
                        plan_id=draft.plan_id,
                        user_id=draft.user_id,
                        telegram_user_id=draft.telegram_user_id,
                        charge_id=draft.charge_id,
                        kind=_KIND[draft.decision],
                        amount=draft.amount,
                        period_end=None if draft.decision is Decision.REFUND else draft.expires_at,
                        created_at=draft.at,
                    )
                except IntegrityError:
                    raise DuplicateCharge(draft.charge_id) from None
                if draft.decision is Decision.REFUND:
                    return await self.get(draft.subscription_id or 0)
                if draft.decision is Decision.RENEW:
                    moved = await SubscriptionRow.filter(
                        id=draft.subscription_id, status=SubStatus.ACTIVE, canceled=False
                    ).update(
                        expires_at=draft.expires_at,
                        last_charge_id=draft.charge_id,
                        updated_at=draft.at,
                    )
                    if moved != 1:
                        raise SubscriptionMoved()
                    return await self.get(draft.subscription_id or 0)
                sub_id = await self._start(draft)
                charge.subscription_id = sub_id
                await charge.save(update_fields=["subscription_id"])
                return await self.get(sub_id)
        except IntegrityError:  # two first payments raced to create the same row
            raise SubscriptionMoved() from None

    async def _start(self, draft: ChargeDraft) -> int:
        values: dict[str, Any] = {
            "status": SubStatus.ACTIVE,
            "canceled": False,
            "expires_at": draft.expires_at,
            "charge_id": draft.charge_id,
            "last_charge_id": draft.charge_id,
            "telegram_user_id": draft.telegram_user_id,
            "started_at": draft.at,
            "ended_at": None,
            "updated_at": draft.at,
        }
        if draft.subscription_id is None:
            row = await SubscriptionRow.create(
                user_id=draft.user_id, plan_id=draft.plan_id, **values
            )
            return row.id
        # Restarted in place, unless it became live again meanwhile.
        moved = (
            await SubscriptionRow.filter(id=draft.subscription_id)
            .filter(~Q(status=SubStatus.ACTIVE) | Q(expires_at__lte=lapse_cutoff(draft.at)))
            .update(**values)
        )
        if moved != 1:
            raise SubscriptionMoved()
        return draft.subscription_id

    async def charge_refunded(self, charge_id: str, at: datetime) -> int | None:
        await ChargeRow.filter(charge_id=charge_id, refunded_at__isnull=True).update(
            refunded_at=at
        )
        row = await ChargeRow.get_or_none(charge_id=charge_id)
        return None if row is None else row.amount

    async def set_canceled(self, subscription_id: int, canceled: bool, at: datetime) -> bool:
        moved = await SubscriptionRow.filter(id=subscription_id, status=SubStatus.ACTIVE).update(
            canceled=canceled, updated_at=at
        )
        return moved == 1

    async def end_refunded(self, subscription_id: int, at: datetime) -> bool:
        moved = await SubscriptionRow.filter(id=subscription_id, status=SubStatus.ACTIVE).update(
            status=SubStatus.REFUNDED, canceled=True, ended_at=at, updated_at=at
        )
        return moved == 1

    async def lapse_due(self, cutoff: datetime, limit: int) -> list[Subscription]:
        due = (
            await SubscriptionRow.filter(status=SubStatus.ACTIVE, expires_at__lte=cutoff)
            .order_by("expires_at")
            .limit(limit)
        )
        lapsed = []
        for row in due:
            # Conditional: a renewal recorded meanwhile, or another replica, wins.
            moved = await SubscriptionRow.filter(
                id=row.id, status=SubStatus.ACTIVE, expires_at__lte=cutoff
            ).update(status=SubStatus.LAPSED, ended_at=cutoff, updated_at=cutoff)
            if moved == 1:
                row.status, row.ended_at = SubStatus.LAPSED, cutoff
                lapsed.append(_sub(row))
        return lapsed

    async def live_tiers(self, user_id: int, now: datetime) -> list[str]:
        rows = await _LIVE_TIERS.dicts(user_id, lapse_cutoff(now))
        return [r["plan__benefit_value"] for r in rows]

    # ---- the merchant ----

    async def subscribers(self, now: datetime, limit: int) -> list[Subscriber]:
        rows = (
            await SubscriptionRow.filter(status=SubStatus.ACTIVE)
            .order_by("expires_at")
            .limit(limit)
            .prefetch_related("plan")
        )
        users = {u.id: u for u in await UserRow.filter(id__in=[r.user_id for r in rows])}
        found = []
        for row in rows:
            user = users.get(row.user_id)
            name = (user.display_name or user.first_name) if user else ""
            found.append(Subscriber(_sub(row), _plan(row.plan), name, row.telegram_user_id))
        return found

    async def summary(self, now: datetime, since: datetime, until: datetime) -> Summary:
        live = SubscriptionRow.filter(status=SubStatus.ACTIVE, expires_at__gt=lapse_cutoff(now))
        active = await live.count()
        canceled = await live.filter(canceled=True).count()
        amounts = await int_column(
            ChargeRow.filter(
                created_at__gte=since,
                created_at__lt=until,
                kind__in=[ChargeKind.FIRST, ChargeKind.RENEWAL],
                refunded_at__isnull=True,
            ),
            "amount",
        )
        charges, stars = len(amounts), sum(amounts)
        return Summary(active, canceled, charges, stars)
