"""domain.reports.service.ReportSource on the orders tables (plus catalogue names and the
recommender's event log for the funnel)."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.functions import Count

from domain.reports.service import LineRow, PaidRow, RefundRow
from storage.catalog.models import CategoryRow, ProductRow
from storage.columns import datetime_column
from storage.orders.models import OrderLineRow, OrderRow
from storage.orders.models import RefundRow as RefundModel
from storage.recs.models import RecsEventRow


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class TortoiseReportSource:
    async def paid(self, start: datetime, end: datetime) -> list[PaidRow]:
        rows = await (
            OrderRow.filter(paid_at__gte=start, paid_at__lt=end)
            .order_by("paid_at", "id")
            .values("id", "user_id", "pay_currency", "pay_amount", "paid_at", "status")
        )
        return [
            PaidRow(
                r["id"],
                r["user_id"],
                r["pay_currency"],
                int(r["pay_amount"]),
                _aware(r["paid_at"]),
                r["status"],
            )
            for r in rows
        ]

    async def placed(self, start: datetime, end: datetime) -> list[datetime]:
        found = await datetime_column(
            OrderRow.filter(created_at__gte=start, created_at__lt=end), "created_at"
        )
        return [_aware(at) for at in found]

    async def lines(self, order_ids: list[int], locale: str) -> list[LineRow]:
        if not order_ids:
            return []
        rows = await OrderLineRow.filter(order_id__in=order_ids).values(
            "order_id", "product_id", "title_en", "title_zh", "quantity"
        )
        product_ids = {r["product_id"] for r in rows}
        category_of = dict(
            await ProductRow.filter(id__in=product_ids).values_list("id", "category_id")
        )
        names = {
            c["id"]: (c["name_zh"] if locale.startswith("zh") and c["name_zh"] else c["name_en"])
            for c in await CategoryRow.filter(id__in=set(category_of.values())).values(
                "id", "name_en", "name_zh"
            )
        }
        zh = locale.startswith("zh")
        out = []
        for r in rows:
            category_id = category_of.get(r["product_id"])
            title = r["title_zh"] if zh and r["title_zh"] else r["title_en"]
            category = names.get(category_id, "—") if category_id is not None else "—"
            out.append(
                LineRow(
                    r["order_id"],
                    r["product_id"],
                    title,
                    category_id,
                    category,
                    int(r["quantity"]),
                )
            )
        return out

    async def refunds(self, start: datetime, end: datetime) -> list[RefundRow]:
        rows = await RefundModel.filter(created_at__gte=start, created_at__lt=end).values(
            "order_id", "currency", "amount", "created_at"
        )
        return [
            RefundRow(r["order_id"], r["currency"], int(r["amount"]), _aware(r["created_at"]))
            for r in rows
        ]

    async def first_paid(self, user_ids: list[int]) -> dict[int, datetime]:
        first: dict[int, datetime] = {}
        if not user_ids:
            return first
        rows = await OrderRow.filter(user_id__in=user_ids, paid_at__isnull=False).values_list(
            "user_id", "paid_at"
        )
        for user_id, paid_at in rows:
            at = _aware(paid_at)
            if user_id not in first or at < first[user_id]:
                first[user_id] = at
        return first

    async def events(self, start: datetime, end: datetime) -> dict[str, int]:
        window = RecsEventRow.filter(created_at__gte=start, created_at__lt=end)
        rows = await (
            window.filter(kind__in=["view", "cart"])
            .annotate(n=Count("id"))
            .group_by("kind")
            .values("kind", "n")
        )
        return {str(r["kind"]): int(r["n"]) for r in rows}
