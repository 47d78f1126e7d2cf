"""domain.reviews.moderation.ModerationRepository on the reviews table."""

from __future__ import annotations

from domain.reviews.service import Review
from storage.reviews.models import ReviewRow
from storage.reviews.repository import _COLUMNS, _review


class TortoiseReviewModerationRepository:
    async def count_all(self) -> int:
        return await ReviewRow.all().count()

    async def newest(self, offset: int, limit: int) -> list[Review]:
        rows = (
            await ReviewRow.all()
            .order_by("-updated_at", "-id")
            .offset(offset)
            .limit(limit)
            .values(*_COLUMNS)
        )
        return [_review(row) for row in rows]
