"""A small, exact shop for the catalogue e2e tests (seeded through the real services)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from demo.harness import Sandboxed
from domain.catalog.service import CategoryDraft, Localized, ProductDraft, VariantDraft

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Shop:
    categories: dict[str, int] = field(default_factory=dict)
    products: dict[str, int] = field(default_factory=dict)


async def seed_shop(kiosk: Sandboxed) -> Shop:
    catalog = kiosk.app.services.catalog
    shop = Shop()

    async def category(key: str, en: str, zh: str, parent: str | None = None) -> int:
        draft = CategoryDraft(
            Localized(en, zh), shop.categories.get(parent or ""), len(shop.categories)
        )
        shop.categories[key] = (await catalog.create_category(draft)).id
        return shop.categories[key]

    await category("electronics", "Electronics", "电子产品")
    await category("phones", "Phones", "手机", "electronics")
    await category("audio", "Audio", "音频", "electronics")
    await category("fashion", "Fashion", "服装鞋包")

    async def product(key: str, age_days: int, **kw: object) -> None:
        draft = ProductDraft(created_at=EPOCH + timedelta(days=age_days), **kw)  # type: ignore[arg-type]
        shop.products[key] = (await catalog.create_product(draft)).id

    for n in range(1, 11):  # ten plain phones: two pages of eight
        await product(
            f"phone{n}",
            n,
            sku=f"PH-{n:02d}",
            category_id=shop.categories["phones"],
            title=Localized(f"Basic Phone {n}", f"基础手机 {n}"),
            price=10_000 + n * 1_000,
            brand="Nokia" if n % 2 else "Motorola",
            on_hand=10,
            sales=n,
        )
    await product(
        "huawei",
        30,
        sku="HW-P60",
        category_id=shop.categories["phones"],
        title=Localized("Huawei Smartphone P60", "华为智能手机 P60"),
        description=Localized("A <great> phone & more. " * 80, "一部很棒的手机。" * 200),
        brand="Huawei",
        price=59_900,
        compare_at=69_900,
        on_hand=2,
        low_stock_threshold=3,
        photos=(
            "https://example.com/p60-1.jpg",
            "https://example.com/p60-2.jpg",
            "https://example.com/p60-3.jpg",
        ),
        sales=100,
        views=1000,
        rating_avg=4.5,
        rating_count=2,
    )
    await product(
        "earbuds",
        31,
        sku="AU-1",
        category_id=shop.categories["audio"],
        title=Localized("Wireless Earbuds Air", "无线耳机 Air"),
        brand="Anker",
        price=4_999,
        on_hand=0,
        photos=("https://example.com/earbuds.jpg",),
        sales=50,
    )
    await product(
        "tshirt",
        32,
        sku="TS-1",
        category_id=shop.categories["fashion"],
        title=Localized("Cotton T-Shirt", "纯棉T恤"),
        brand="Uniqlo",
        price=0,
        variants=(
            VariantDraft("TS-1-S", (("Size", "S"),), 1_500, on_hand=5),
            VariantDraft("TS-1-M", (("Size", "M"),), 1_700, on_hand=0, compare_at=2_000),
            VariantDraft("TS-1-L", (("Size", "L"),), 1_900, on_hand=1),
        ),
    )
    return shop
