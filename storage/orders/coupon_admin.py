"""domain.orders.coupons.CouponAdminRepository on the checkout's coupon table."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from domain.orders.coupons import CouponDraft
from domain.orders.pricing import Coupon
from storage.catalog.models import CategoryRow
from storage.orders.carts import coupon_from_row
from storage.orders.models import CouponRow


class TortoiseCouponAdminRepository:
    async def add(self, draft: CouponDraft) -> Coupon | None:
        try:
            row = await CouponRow.create(
                code=draft.code,
                kind=draft.kind.value,
                value=draft.value,
                currency=draft.currency,
                min_order=draft.min_order,
                starts_at=draft.starts_at,
                ends_at=draft.ends_at,
                usage_limit=draft.usage_limit,
                once_per_customer=draft.once_per_customer,
                category_id=draft.category_id,
            )
        except IntegrityError:
            return None
        return coupon_from_row(row)

    async def count(self) -> int:
        return await CouponRow.all().count()

    async def newest(self, offset: int, limit: int) -> list[Coupon]:
        rows = await CouponRow.all().order_by("-id").offset(offset).limit(limit)
        return [coupon_from_row(r) for r in rows]

    async def by_id(self, coupon_id: int) -> Coupon | None:
        row = await CouponRow.get_or_none(id=coupon_id)
        return coupon_from_row(row) if row else None

    async def set_active(self, coupon_id: int, active: bool) -> bool:
        return await CouponRow.filter(id=coupon_id).update(active=active) == 1

    async def category_exists(self, category_id: int) -> bool:
        return await CategoryRow.exists(id=category_id)
