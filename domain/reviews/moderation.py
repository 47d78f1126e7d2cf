"""Review moderation for staff: the newest reviews first (hidden ones too), hide/unhide and a
public reply, each audited. The rules themselves live in domain.reviews.service.ReviewService."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from domain.reviews.service import Review, ReviewNotFound, ReviewService
from domain.staff.audit import AuditService

MODERATION_PAGE_SIZE = 5
MAX_PAGE_SIZE = 50


class ModerationRepository(Protocol):
    async def count_all(self) -> int: ...

    async def newest(self, offset: int, limit: int) -> list[Review]:
        """Every review (hidden too), most recently written first."""
        ...


@dataclass(frozen=True, slots=True)
class ReviewPage:
    items: list[Review]
    page: int
    total: int
    page_size: int = MODERATION_PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


class ReviewModeration:
    def __init__(
        self, repo: ModerationRepository, reviews: ReviewService, audit: AuditService
    ) -> None:
        self.repo = repo
        self.reviews = reviews
        self.audit = audit

    async def page(self, page: int = 1, page_size: int = MODERATION_PAGE_SIZE) -> ReviewPage:
        """Newest first; a stale page number lands on the nearest real page (the chat shows
        MODERATION_PAGE_SIZE a page, the web console more; at most MAX_PAGE_SIZE)."""
        size = min(max(1, page_size), MAX_PAGE_SIZE)
        total = await self.repo.count_all()
        last = max(1, math.ceil(total / size))
        page = min(max(1, page), last)
        offset = (page - 1) * size
        return ReviewPage(await self.repo.newest(offset, size), page, total, size)

    async def get(self, review_id: int) -> Review:
        found = await self.reviews.repo.get(review_id)
        if found is None:
            raise ReviewNotFound()
        return found

    async def set_hidden(self, actor: int, review_id: int, hidden: bool) -> Review:
        """Hide (gone from the card and the rating) or show again."""
        if hidden:
            review = await self.reviews.hide(review_id)
        else:
            review = await self.reviews.unhide(review_id)
        action = "reviews.hide" if hidden else "reviews.unhide"
        await self.audit.record(
            actor, action, f"review:{review_id}", {"product": review.product_id}
        )
        return review

    async def reply(self, actor: int, review_id: int, text: str) -> Review:
        """Answer publicly under the review ('-' removes the answer)."""
        review = await self.reviews.reply(review_id, "" if text.strip() == "-" else text)
        await self.audit.record(
            actor,
            "reviews.reply",
            f"review:{review_id}",
            {"product": review.product_id, "removed": review.reply is None},
        )
        return review
