"""Review rules: eligibility, one review per user and product, text limits, moderation."""

from __future__ import annotations

import pytest

from domain.catalog.types import ProductNotFound
from domain.kernel.errors import ValidationError
from domain.reviews.service import (
    NotEligibleToReview,
    ReviewNotFound,
    ReviewService,
    clean_review_text,
)
from tests.unit.review_fakes import (
    FakeProducts,
    FakePurchases,
    InMemoryReviewRepository,
    product,
)


@pytest.fixture
def world() -> tuple[ReviewService, InMemoryReviewRepository, FakePurchases, FakeProducts]:
    products = FakeProducts(1, 2)
    purchases = FakePurchases()
    repo = InMemoryReviewRepository(products)
    return ReviewService(repo, purchases, products), repo, purchases, products


async def test_only_buyers_who_received_the_product_may_review(world) -> None:  # type: ignore[no-untyped-def]
    service, repo, purchases, _ = world
    assert not await service.can_review(10, 1)
    with pytest.raises(NotEligibleToReview):
        await service.write(10, 1, 5, "great")
    assert repo.reviews == {}
    purchases.received.add((10, 1))
    assert await service.can_review(10, 1)
    assert not await service.can_review(10, 2)  # another product is not covered
    review = await service.write(10, 1, 5, "great")
    assert review.rating == 5 and review.text == "great"


async def test_writing_again_replaces_the_review(world) -> None:  # type: ignore[no-untyped-def]
    service, repo, purchases, _ = world
    purchases.received |= {(10, 1), (11, 1)}
    first = await service.write(10, 1, 2, "meh")
    await service.write(11, 1, 4)
    second = await service.write(10, 1, 5, "better after an update", photo="AgADphoto")
    assert second.id == first.id
    assert len(repo.reviews) == 2
    assert repo.ratings[1] == (4.5, 2)
    mine = await service.mine(10, 1)
    assert mine is not None and mine.photo == "AgADphoto" and mine.rating == 5


@pytest.mark.parametrize("rating", [0, 6, -1, True, 4.5, "5"])
async def test_rating_must_be_one_to_five_stars(world, rating: object) -> None:  # type: ignore[no-untyped-def]
    service, repo, purchases, _ = world
    purchases.received.add((10, 1))
    with pytest.raises(ValidationError):
        await service.write(10, 1, rating)  # type: ignore[arg-type]
    assert repo.reviews == {}


async def test_text_is_limited_and_cleaned(world) -> None:  # type: ignore[no-untyped-def]
    service, _, purchases, _ = world
    purchases.received.add((10, 1))
    with pytest.raises(ValidationError) as refused:
        await service.write(10, 1, 3, "x" * 1001)
    assert refused.value.params == {"max": 1000, "count": 1001}
    review = await service.write(10, 1, 3, "  Good\x00 value\r\n\n\n\n\nwould   buy\tagain  ")
    assert review.text == "Good value\n\nwould buy again"
    assert clean_review_text("x" * 1000) == "x" * 1000
    assert clean_review_text(None) == ""


async def test_bad_photo_ids_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    service, _, purchases, _ = world
    purchases.received.add((10, 1))
    with pytest.raises(ValidationError):
        await service.write(10, 1, 3, photo="a b")
    with pytest.raises(ValidationError):
        await service.write(10, 1, 3, photo="x" * 300)


async def test_inactive_product_cannot_be_reviewed_or_listed(world) -> None:  # type: ignore[no-untyped-def]
    service, _, purchases, products = world
    products.products[3] = product(3, active=False)
    purchases.received.add((10, 3))
    with pytest.raises(ProductNotFound):
        await service.write(10, 3, 5)
    with pytest.raises(ProductNotFound):
        await service.reviews(3)


async def test_hidden_reviews_are_neither_listed_nor_counted(world) -> None:  # type: ignore[no-untyped-def]
    service, repo, purchases, _ = world
    for user in (10, 11, 12):
        purchases.received.add((user, 1))
    await service.write(10, 1, 1, "spam spam")
    await service.write(11, 1, 5)
    await service.write(12, 1, 4)
    assert repo.ratings[1] == (pytest.approx(10 / 3), 3)
    spam = await service.mine(10, 1)
    assert spam is not None
    await service.hide(spam.id)
    assert repo.ratings[1] == (4.5, 2)
    page = await service.reviews(1)
    assert [r.user_id for r in page.items] == [12, 11] and page.total == 2
    await service.unhide(spam.id)
    assert repo.ratings[1][1] == 3
    with pytest.raises(ReviewNotFound):
        await service.hide(999)


async def test_merchant_reply_and_its_removal(world) -> None:  # type: ignore[no-untyped-def]
    service, _, purchases, _ = world
    purchases.received.add((10, 1))
    review = await service.write(10, 1, 2, "arrived late")
    answered = await service.reply(review.id, "  Sorry! We changed couriers.  ")
    assert answered.reply == "Sorry! We changed couriers."
    assert (await service.reply(review.id, "   ")).reply is None
    with pytest.raises(ValidationError):
        await service.reply(review.id, "y" * 1001)
    with pytest.raises(ReviewNotFound):
        await service.reply(404, "hello")


async def test_forged_review_page_lands_on_the_nearest_page(world) -> None:  # type: ignore[no-untyped-def]
    service, _, purchases, _ = world
    for user in range(20, 32):
        purchases.received.add((user, 1))
        await service.write(user, 1, 4)
    page = await service.reviews(1, page=99)
    assert (page.page, page.pages, len(page.items)) == (3, 3, 2)
    assert (await service.reviews(1, page=-5)).page == 1
    empty = await service.reviews(2, page=7)
    assert (empty.page, empty.total, empty.items) == (1, 0, [])


async def test_a_hidden_review_cannot_be_opened_by_id(world) -> None:  # type: ignore[no-untyped-def]
    service, _, purchases, _ = world
    purchases.received.add((10, 1))
    review = await service.write(10, 1, 4, photo="AgADphoto")
    assert (await service.visible(review.id)).photo == "AgADphoto"
    await service.hide(review.id)
    with pytest.raises(ReviewNotFound):
        await service.visible(review.id)
    with pytest.raises(ReviewNotFound):
        await service.visible(12345)
