"""domain.cart.reminders.CartReminderStore on Tortoise.

A cart's last change is `orders_carts.updated_at` (storage/orders/carts.py touches it on every
line change). A reminder row keeps the `updated_at` it was about, so a later change makes the
cart eligible again and a catch-up run finds nothing it already reminded about.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import RawSQL, Subquery

from domain.cart.reminders import CartState
from domain.users.service import resolve_language
from storage.columns import int_column
from storage.jobs.models import CartReminderRow
from storage.orders.models import CartLineRow, CartRow

# Carts already reminded about their current state (column comparisons only, no parameters).
_REMINDED_CARTS = (
    "SELECT c.id FROM orders_carts c JOIN jobs_cart_reminders r ON r.user_id = c.user_id "
    "WHERE r.reminded_for >= c.updated_at"
)


class TortoiseCartReminderStore:
    async def candidates(self, changed_before: datetime, limit: int) -> list[CartState]:
        rows = (
            await CartRow.filter(
                updated_at__lte=changed_before,
                user__marketing_opt_in=True,
                user__is_blocked=False,
                id__in=Subquery(CartLineRow.all().values("cart_id")),
            )
            .exclude(id__in=RawSQL(f"({_REMINDED_CARTS})"))
            .order_by("updated_at", "id")
            .limit(limit)
            .prefetch_related("user")
        )
        if not rows:
            return []
        counts: dict[int, int] = {}
        for cart_id in await int_column(
            CartLineRow.filter(cart_id__in=[r.id for r in rows]), "cart_id"
        ):
            counts[int(cart_id)] = counts.get(int(cart_id), 0) + 1
        reminded: dict[int, datetime] = dict(
            await CartReminderRow.filter(user_id__in=[r.user_id for r in rows]).values_list(
                "user_id", "reminded_for"
            )
        )
        return [
            CartState(
                user_id=row.user_id,
                telegram_id=row.user.telegram_id,
                locale=resolve_language(row.user.language or row.user.telegram_language),
                items=counts.get(row.id, 0),
                changed_at=row.updated_at,
                reminded_for=reminded.get(row.user_id),
                opted_in=row.user.marketing_opt_in,
                blocked=row.user.is_blocked,
            )
            for row in rows
        ]

    async def mark_reminded(self, user_id: int, changed_at: datetime) -> bool:
        now = datetime.now(UTC)
        updated = await CartReminderRow.filter(
            user_id=user_id, reminded_for__lt=changed_at
        ).update(reminded_for=changed_at, reminded_at=now)
        if updated == 1:
            return True
        if await CartReminderRow.exists(user_id=user_id):
            return False
        try:
            await CartReminderRow.create(user_id=user_id, reminded_for=changed_at, reminded_at=now)
        except IntegrityError:
            return False  # a concurrent run recorded it first
        return True
