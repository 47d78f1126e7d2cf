"""In-memory stand-ins for the reviews domain's Protocols."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from domain.catalog.types import Localized, Product, ProductNotFound
from domain.reviews.service import Review, ReviewDraft


def product(product_id: int, active: bool = True) -> Product:
    return Product(
        id=product_id,
        sku=f"SKU-{product_id}",
        category_id=1,
        title=Localized(f"P{product_id}"),
        description=Localized(""),
        brand="",
        price=100,
        currency="USD",
        compare_at=None,
        photos=(),
        specs=(),
        tags=(),
        on_hand=1,
        reserved=0,
        low_stock_threshold=1,
        active=active,
        has_variants=False,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


class FakeProducts:
    def __init__(self, *ids: int) -> None:
        self.products = {i: product(i) for i in ids}

    async def product(self, product_id: int) -> Product:
        found = self.products.get(product_id)
        if found is None or not found.active:
            raise ProductNotFound()
        return found


class FakePurchases:
    def __init__(self) -> None:
        self.received: set[tuple[int, int]] = set()

    async def has_received(self, user_id: int, product_id: int) -> bool:
        return (user_id, product_id) in self.received


class InMemoryReviewRepository:
    """Keeps reviews and each product's (avg, count) of visible reviews, like the real one."""

    def __init__(self, products: FakeProducts) -> None:
        self.products = products
        self.reviews: dict[int, Review] = {}
        self.ratings: dict[int, tuple[float, int]] = {}
        self._next = 1
        self._clock = datetime(2026, 1, 1, tzinfo=UTC)

    def _tick(self) -> datetime:
        self._clock += timedelta(seconds=1)
        return self._clock

    def _recompute(self, product_id: int) -> None:
        visible = [
            r.rating for r in self.reviews.values() if r.product_id == product_id and not r.hidden
        ]
        avg = sum(visible) / len(visible) if visible else 0.0
        self.ratings[product_id] = (avg, len(visible))

    async def save(self, user_id: int, product_id: int, draft: ReviewDraft) -> Review | None:
        if product_id not in self.products.products:
            return None
        now = self._tick()
        existing = await self.of_user(user_id, product_id)
        if existing is None:
            review = Review(
                self._next,
                product_id,
                user_id,
                f"user{user_id}",
                draft.rating,
                draft.text,
                draft.photo,
                False,
                None,
                now,
                now,
            )
            self._next += 1
        else:
            review = replace(
                existing, rating=draft.rating, text=draft.text, photo=draft.photo, updated_at=now
            )
        self.reviews[review.id] = review
        self._recompute(product_id)
        return review

    async def get(self, review_id: int) -> Review | None:
        return self.reviews.get(review_id)

    async def of_user(self, user_id: int, product_id: int) -> Review | None:
        return next(
            (
                r
                for r in self.reviews.values()
                if r.user_id == user_id and r.product_id == product_id
            ),
            None,
        )

    def _visible(self, product_id: int) -> list[Review]:
        found = [r for r in self.reviews.values() if r.product_id == product_id and not r.hidden]
        return sorted(found, key=lambda r: (r.updated_at, r.id), reverse=True)

    async def count_visible(self, product_id: int) -> int:
        return len(self._visible(product_id))

    async def list_visible(self, product_id: int, offset: int, limit: int) -> list[Review]:
        return self._visible(product_id)[offset : offset + limit]

    async def set_hidden(self, review_id: int, hidden: bool) -> Review | None:
        review = self.reviews.get(review_id)
        if review is None:
            return None
        self.reviews[review_id] = replace(review, hidden=hidden)
        self._recompute(review.product_id)
        return self.reviews[review_id]

    async def set_reply(self, review_id: int, reply: str | None) -> Review | None:
        review = self.reviews.get(review_id)
        if review is None:
            return None
        self.reviews[review_id] = replace(review, reply=reply)
        return self.reviews[review_id]
