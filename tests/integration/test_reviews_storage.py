"""Reviews in the database: upsert per user and product, the product's rating kept in step."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from domain.catalog.service import CatalogService, CategoryDraft, Localized, ProductDraft
from domain.reviews.service import ReviewDraft
from storage.catalog.models import ProductRow
from storage.catalog.repository import TortoiseCatalogRepository, TortoiseShopperListsRepository
from storage.models import UserRow
from storage.reviews.repository import TortoiseReviewRepository


async def make_user(n: int, name: str = "Alice") -> int:
    row = await UserRow.create(
        telegram_id=5000 + n,
        first_name=name,
        referral_code=f"rv{n:06d}",
        last_seen_at=datetime.now(UTC),
    )
    return row.id


async def make_product() -> int:
    catalog = CatalogService(TortoiseCatalogRepository(), TortoiseShopperListsRepository())
    category = await catalog.create_category(CategoryDraft(Localized("Phones", "手机")))
    product = await catalog.create_product(
        ProductDraft(
            sku="RV-1",
            category_id=category.id,
            title=Localized("Phone"),
            price=100,
            rating_avg=4.9,
            rating_count=321,
        )  # demo figures get replaced by real ones
    )
    return product.id


async def rating_of(product_id: int) -> tuple[float, int]:
    row = await ProductRow.get(id=product_id)
    return round(row.rating_avg, 3), row.rating_count


async def test_save_replaces_and_keeps_the_rating_in_step(db: str) -> None:
    repo = TortoiseReviewRepository()
    product_id = await make_product()
    alice, bob = await make_user(1, "Alice"), await make_user(2, "Bob")
    first = await repo.save(alice, product_id, ReviewDraft(2, "meh"))
    assert first is not None and first.author == "Alice" and first.text == "meh"
    assert await rating_of(product_id) == (2.0, 1)
    await repo.save(bob, product_id, ReviewDraft(5, "", "AgADphoto"))
    again = await repo.save(alice, product_id, ReviewDraft(4, "better"))
    assert again is not None and again.id == first.id and again.rating == 4
    assert await rating_of(product_id) == (4.5, 2)
    assert await repo.count_visible(product_id) == 2
    listed = await repo.list_visible(product_id, 0, 10)
    assert [r.author for r in listed] == ["Alice", "Bob"]  # most recently written first
    assert listed[1].photo == "AgADphoto"


async def test_hidden_reviews_leave_the_average(db: str) -> None:
    repo = TortoiseReviewRepository()
    product_id = await make_product()
    ids = []
    for n, rating in enumerate((1, 5, 5), start=1):
        saved = await repo.save(await make_user(n), product_id, ReviewDraft(rating))
        assert saved is not None
        ids.append(saved.id)
    assert await rating_of(product_id) == (3.667, 3)
    hidden = await repo.set_hidden(ids[0], True)
    assert hidden is not None and hidden.hidden
    assert await rating_of(product_id) == (5.0, 2)
    assert [r.id for r in await repo.list_visible(product_id, 0, 10)] == ids[:0:-1]
    await repo.set_hidden(ids[1], True)
    await repo.set_hidden(ids[2], True)
    assert await rating_of(product_id) == (0.0, 0)
    assert await repo.set_hidden(999_999, True) is None


async def test_reply_is_stored_and_removable(db: str) -> None:
    repo = TortoiseReviewRepository()
    product_id = await make_product()
    saved = await repo.save(await make_user(1), product_id, ReviewDraft(3, "ok"))
    assert saved is not None
    replied = await repo.set_reply(saved.id, "Thanks!")
    assert replied is not None and replied.reply == "Thanks!"
    rewritten = await repo.save(saved.user_id, product_id, ReviewDraft(4, "good"))
    assert rewritten is not None and rewritten.reply == "Thanks!"
    cleared = await repo.set_reply(saved.id, None)
    assert cleared is not None and cleared.reply is None
    assert await repo.set_reply(424242, "x") is None


async def test_a_missing_product_is_reported_not_crashed(db: str) -> None:
    repo = TortoiseReviewRepository()
    assert await repo.save(await make_user(1), 987654, ReviewDraft(5)) is None


@pytest.mark.parametrize("writers", [12])
async def test_concurrent_reviews_count_every_one(db: str, writers: int) -> None:
    repo = TortoiseReviewRepository()
    product_id = await make_product()
    users = [await make_user(n) for n in range(1, writers + 1)]
    ratings = [1 + n % 5 for n in range(writers)]
    await asyncio.gather(
        *(repo.save(u, product_id, ReviewDraft(r)) for u, r in zip(users, ratings, strict=True))
    )
    assert await rating_of(product_id) == (round(sum(ratings) / writers, 3), writers)
