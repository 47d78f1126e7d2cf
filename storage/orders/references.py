"""domain.catalog.merchant.ProductReferences on the orders tables: an order line keeps its
product."""

from __future__ import annotations

from storage.orders.models import OrderLineRow


class OrderLineReferences:
    """A product that appears on any order line may only be deactivated, never deleted."""

    async def is_referenced(self, product_id: int) -> bool:
        return await OrderLineRow.exists(product_id=product_id)
