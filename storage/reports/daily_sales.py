"""domain.reports.daily.SalesSource on Tortoise: paid orders of a time window and their lines."""

from __future__ import annotations

from datetime import datetime

from domain.reports.daily import PaidOrder, SoldLine
from storage.orders.models import OrderLineRow, OrderRow

CHUNK = 500


class TortoiseSalesSource:
    async def paid_between(
        self, start: datetime, end: datetime
    ) -> tuple[list[PaidOrder], list[SoldLine]]:
        rows = await OrderRow.filter(paid_at__gte=start, paid_at__lt=end).values_list(
            "id", "pay_currency", "pay_amount"
        )
        orders = [PaidOrder(int(i), str(c), int(a)) for i, c, a in rows]
        ids = [order.order_id for order in orders]
        lines: list[SoldLine] = []
        for i in range(0, len(ids), CHUNK):
            found = await OrderLineRow.filter(order_id__in=ids[i : i + CHUNK]).values_list(
                "order_id", "product_id", "title_en", "title_zh", "quantity"
            )
            lines.extend(
                SoldLine(int(o), int(p), str(te), str(tz or ""), int(q))
                for o, p, te, tz, q in found
            )
        return orders, lines
