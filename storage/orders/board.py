"""domain.orders.board.OrderBoardRepository on Tortoise: the order repository plus the
merchant's views by status."""

from __future__ import annotations

from tortoise.functions import Count

from domain.orders.service import Order
from domain.orders.states import OrderStatus
from storage.orders.models import OrderRow
from storage.orders.repository import TortoiseOrderRepository


class TortoiseOrderBoardRepository(TortoiseOrderRepository):
    async def status_counts(self) -> dict[str, int]:
        rows = await (
            OrderRow.all().annotate(n=Count("id")).group_by("status").values("status", "n")
        )
        return {str(r["status"]): int(r["n"]) for r in rows}

    async def by_status(self, status: OrderStatus, offset: int, limit: int) -> list[Order]:
        rows = await (
            OrderRow.filter(status=status.value).order_by("-id").offset(offset).limit(limit)
        )
        return await self._with_lines(list(rows))
