"""SQL filters of the audiences in domain/shop_audiences.py."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q, RawSQL, Subquery

from domain.campaigns.shop_audiences import (
    BUYERS_OF_CATEGORY,
    HAS_CART,
    parse_category_id,
    register_kinds,
)
from storage.campaigns.audiences import register_audience_filter
from storage.orders.models import CartLineRow, CartRow

# Users with a paid order holding a product of the category or one below it. The category id
# is re-validated as an integer before it is put into the statement.
_BUYERS_SQL = """
SELECT o.user_id FROM orders_orders o
JOIN orders_order_lines l ON l.order_id = o.id
JOIN catalog_products p ON p.id = l.product_id
WHERE o.paid_at IS NOT NULL AND p.category_id IN (
  WITH RECURSIVE tree(id) AS (
    SELECT {category_id}
    UNION
    SELECT c.id FROM catalog_categories c JOIN tree t ON c.parent_id = t.id
  )
  SELECT id FROM tree
)
"""


def buyers_of_category(value: str, now: datetime) -> Q:
    category_id = int(parse_category_id(value))
    return Q(id__in=RawSQL(f"({_BUYERS_SQL.format(category_id=category_id)})"))


def has_cart(value: str, now: datetime) -> Q:
    carts = CartRow.filter(id__in=Subquery(CartLineRow.all().values("cart_id")))
    return Q(id__in=Subquery(carts.values("user_id")))


def register_shop_audiences() -> None:
    """Register the kinds (domain) and their SQL filters; called by bot/wiring.build_services."""
    register_kinds()
    register_audience_filter(BUYERS_OF_CATEGORY, buyers_of_category)
    register_audience_filter(HAS_CART, has_cart)
