"""Product reviews: who may write one, what it may say, and what counts towards the rating.

One review per user and product (writing again replaces it). Only people who received the
product may review it; the order history that proves it arrives through `PurchaseVerifier`.
Hidden reviews (merchant moderation) are neither listed nor counted in the average.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.catalog.types import PAGE_SIZE, Page, Product, ProductNotFound, clamp_page
from domain.kernel.errors import DomainError, NotFound, ValidationError
from domain.kernel.i18n import N_

MAX_TEXT = 1000
MAX_REPLY = 1000
MAX_PHOTO_ID = 255
REVIEWS_PAGE_SIZE = 5

# Control characters never belong in a review; newlines and tabs do (people write paragraphs).
_KEEP_CONTROLS = {"\n", "\t"}
_FORBIDDEN_CATEGORIES = {"Cc", "Cs", "Co", "Cn"}


class ReviewNotFound(NotFound):
    message = N_("That review doesn't exist (any more).")


class NotEligibleToReview(DomainError):
    message = N_("You can review a product once you have received it in an order.")


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    product_id: int
    user_id: int
    author: str  # the name shown above the review
    rating: int  # 1..5
    text: str  # "" when the reviewer only rated
    photo: str | None  # Telegram file id
    hidden: bool
    reply: str | None  # the merchant's answer, shown under the review
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewDraft:
    rating: int
    text: str = ""
    photo: str | None = None


class ReviewRepository(Protocol):
    async def save(self, user_id: int, product_id: int, draft: ReviewDraft) -> Review | None:
        """Insert or replace the user's review of the product and refresh the product's
        rating_avg/rating_count (visible reviews only) in the same transaction.
        None when the product no longer exists."""
        ...

    async def get(self, review_id: int) -> Review | None: ...

    async def of_user(self, user_id: int, product_id: int) -> Review | None: ...

    async def count_visible(self, product_id: int) -> int: ...

    async def list_visible(self, product_id: int, offset: int, limit: int) -> list[Review]:
        """Visible reviews of a product, most recently written first."""
        ...

    async def set_hidden(self, review_id: int, hidden: bool) -> Review | None:
        """Hide or show a review and refresh the product's rating atomically."""
        ...

    async def set_reply(self, review_id: int, reply: str | None) -> Review | None: ...


class PurchaseVerifier(Protocol):
    async def has_received(self, user_id: int, product_id: int) -> bool:
        """Whether the user has the product in a delivered or completed order."""
        ...


class ProductLookup(Protocol):
    async def product(self, product_id: int) -> Product:
        """The active product, or ProductNotFound (CatalogService satisfies this)."""
        ...


def clean_review_text(raw: str | None, *, limit: int = MAX_TEXT) -> str:
    """Normalise free review text: NFC, no control characters, at most two blank lines,
    trimmed; refuses text longer than `limit` characters."""
    text = unicodedata.normalize("NFC", raw or "").replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in _KEEP_CONTROLS or category not in _FORBIDDEN_CATEGORIES:
            kept.append(" " if ch == "\t" else ch)
    lines = [" ".join(line.split()) for line in "".join(kept).split("\n")]
    while "\n\n\n" in (joined := "\n".join(lines)):
        lines = joined.replace("\n\n\n", "\n\n").split("\n")
    cleaned = "\n".join(lines).strip()
    if len(cleaned) > limit:
        raise ValidationError(
            N_("A review can be at most {max} characters long; yours has {count}."),
            max=limit,
            count=len(cleaned),
        )
    return cleaned


def validate_rating(rating: object) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError(N_("A rating is a whole number of stars from 1 to 5."))
    return rating


class ReviewService:
    """Writing, listing and moderating product reviews."""

    def __init__(
        self, repo: ReviewRepository, purchases: PurchaseVerifier, products: ProductLookup
    ) -> None:
        self.repo = repo
        self.purchases = purchases
        self.products = products

    async def can_review(self, user_id: int, product_id: int) -> bool:
        """Whether the user may write (or rewrite) a review of this active product."""
        await self.products.product(product_id)
        return await self.purchases.has_received(user_id, product_id)

    async def ensure_can_review(self, user_id: int, product_id: int) -> None:
        """Raise NotEligibleToReview (or ProductNotFound) unless the user may review it."""
        if not await self.can_review(user_id, product_id):
            raise NotEligibleToReview()

    async def write(
        self,
        user_id: int,
        product_id: int,
        rating: int,
        text: str | None = None,
        photo: str | None = None,
    ) -> Review:
        """Create or replace the user's review; the product's rating follows at once."""
        draft = ReviewDraft(
            rating=validate_rating(rating),
            text=clean_review_text(text),
            photo=_clean_photo(photo),
        )
        await self.ensure_can_review(user_id, product_id)
        saved = await self.repo.save(user_id, product_id, draft)
        if saved is None:
            raise ProductNotFound()
        return saved

    async def visible(self, review_id: int) -> Review:
        """One review as shoppers may see it (ReviewNotFound when hidden or gone)."""
        review = await self.repo.get(review_id)
        if review is None or review.hidden:
            raise ReviewNotFound()
        return review

    async def mine(self, user_id: int, product_id: int) -> Review | None:
        """The user's own review of the product, hidden or not (to edit it)."""
        return await self.repo.of_user(user_id, product_id)

    async def reviews(
        self, product_id: int, page: int = 1, page_size: int = REVIEWS_PAGE_SIZE
    ) -> Page[Review]:
        """Visible reviews, newest first; a forged page number lands on the nearest page."""
        await self.products.product(product_id)
        page_size = min(max(1, page_size), PAGE_SIZE)
        total = await self.repo.count_visible(product_id)
        page = clamp_page(page, page_size, total)
        items = await self.repo.list_visible(product_id, (page - 1) * page_size, page_size)
        return Page(items, page, page_size, total)

    # ---- merchant moderation ----

    async def hide(self, review_id: int) -> Review:
        """Hide a review: it disappears from the list and from the average."""
        return _found(await self.repo.set_hidden(review_id, True))

    async def unhide(self, review_id: int) -> Review:
        """Show a hidden review again; it counts towards the average again."""
        return _found(await self.repo.set_hidden(review_id, False))

    async def reply(self, review_id: int, text: str | None) -> Review:
        """Answer a review publicly; empty text removes the answer."""
        cleaned = clean_review_text(text, limit=MAX_REPLY)
        return _found(await self.repo.set_reply(review_id, cleaned or None))


def _clean_photo(photo: str | None) -> str | None:
    if photo is None or not photo.strip():
        return None
    if len(photo) > MAX_PHOTO_ID or any(ch.isspace() for ch in photo):
        raise ValidationError(N_("That photo can't be attached. Please send it again."))
    return photo


def _found(review: Review | None) -> Review:
    if review is None:
        raise ReviewNotFound()
    return review
