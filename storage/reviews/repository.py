"""ReviewRepository over Tortoise: reviews plus the product's cached rating, kept in step.

Every write that changes what counts (a new or replaced review, hiding, showing) runs in one
transaction that first takes the product row's write lock (a no-op UPDATE), so concurrent
writes for one product serialise and the recomputed average always sees every committed review
(READ COMMITTED on PostgreSQL gives each later statement a fresh snapshot; SQLite has one
writer at a time anyway).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.reviews.service import Review, ReviewDraft
from storage.catalog.models import ProductRow
from storage.reviews.models import ReviewRow

_COLUMNS = (
    "id",
    "product_id",
    "user_id",
    "rating",
    "text",
    "photo",
    "hidden",
    "reply",
    "created_at",
    "updated_at",
    "user__display_name",
    "user__first_name",
)

_RECOMPUTE = """
UPDATE catalog_products SET
  rating_count = (SELECT COUNT(*) FROM reviews WHERE product_id = {p} AND NOT hidden),
  rating_avg = COALESCE(
    (SELECT AVG(rating) FROM reviews WHERE product_id = {p} AND NOT hidden), 0)
WHERE id = {p}
"""


def _review(row: dict[str, Any]) -> Review:
    author = row["user__display_name"] or row["user__first_name"] or "?"
    return Review(
        id=row["id"],
        product_id=row["product_id"],
        user_id=row["user_id"],
        author=author,
        rating=row["rating"],
        text=row["text"] or "",
        photo=row["photo"],
        hidden=bool(row["hidden"]),
        reply=row["reply"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def _lock_product(conn: BaseDBAsyncClient, product_id: int) -> bool:
    """Take the product row's write lock for this transaction; False if it is gone."""
    updated = await (
        ProductRow.filter(id=product_id).using_db(conn).update(rating_count=F("rating_count"))
    )
    return updated == 1


async def _recompute_rating(conn: BaseDBAsyncClient, product_id: int) -> None:
    placeholder = "?" if conn.capabilities.dialect == "sqlite" else "$1"
    sql = _RECOMPUTE.format(p=placeholder)
    params = [product_id] * sql.count("?") if placeholder == "?" else [product_id]
    await conn.execute_query(sql, params)


class TortoiseReviewRepository:
    async def save(self, user_id: int, product_id: int, draft: ReviewDraft) -> Review | None:
        now = datetime.now(UTC)
        async with in_transaction() as conn:
            if not await _lock_product(conn, product_id):
                return None
            row = await ReviewRow.get_or_none(
                user_id=user_id, product_id=product_id, using_db=conn
            )
            if row is None:
                row = await ReviewRow.create(
                    using_db=conn,
                    user_id=user_id,
                    product_id=product_id,
                    rating=draft.rating,
                    text=draft.text,
                    photo=draft.photo,
                    created_at=now,
                    updated_at=now,
                )
            else:
                # Rewriting replaces the words; the merchant's moderation and reply stay.
                await (
                    ReviewRow.filter(id=row.id)
                    .using_db(conn)
                    .update(
                        rating=draft.rating, text=draft.text, photo=draft.photo, updated_at=now
                    )
                )
            await _recompute_rating(conn, product_id)
            review_id = row.id
        return await self.get(review_id)

    async def get(self, review_id: int) -> Review | None:
        rows = await ReviewRow.filter(id=review_id).values(*_COLUMNS)
        return _review(rows[0]) if rows else None

    async def of_user(self, user_id: int, product_id: int) -> Review | None:
        rows = await ReviewRow.filter(user_id=user_id, product_id=product_id).values(*_COLUMNS)
        return _review(rows[0]) if rows else None

    async def count_visible(self, product_id: int) -> int:
        return await ReviewRow.filter(product_id=product_id, hidden=False).count()

    async def list_visible(self, product_id: int, offset: int, limit: int) -> list[Review]:
        rows = (
            await ReviewRow.filter(product_id=product_id, hidden=False)
            .order_by("-updated_at", "-id")
            .offset(offset)
            .limit(limit)
            .values(*_COLUMNS)
        )
        return [_review(row) for row in rows]

    async def set_hidden(self, review_id: int, hidden: bool) -> Review | None:
        found = await ReviewRow.get_or_none(id=review_id)
        if found is None:
            return None
        async with in_transaction() as conn:
            await _lock_product(conn, found.product_id)
            await ReviewRow.filter(id=review_id).using_db(conn).update(hidden=hidden)
            await _recompute_rating(conn, found.product_id)
        return await self.get(review_id)

    async def set_reply(self, review_id: int, reply: str | None) -> Review | None:
        replied_at = datetime.now(UTC) if reply else None
        updated = await ReviewRow.filter(id=review_id).update(reply=reply, replied_at=replied_at)
        return await self.get(review_id) if updated else None
