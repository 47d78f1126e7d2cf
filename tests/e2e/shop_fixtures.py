"""Fixtures for the money path: a Kiosk with a card provider AND Stars switched on, and goods."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from demo.harness import Sandboxed
from domain.catalog.service import (
    CatalogService,
    CategoryDraft,
    Localized,
    ProductDraft,
    VariantDraft,
)
from tests.e2e.conftest import need_backends, running_kiosk

PAYMENTS = {"currency": "USD", "provider_token": "284685063:TEST:kiosk-sandbox", "use_stars": True}


@dataclass
class Goods:
    mug_id: int  # $12.00, 5 in stock, no variants
    shirt_id: int  # variants M ($20.00, 3) and L ($22.00, 0)
    shirt_m_id: int
    shirt_l_id: int
    category_id: int


async def seed_goods(catalog: CatalogService) -> Goods:
    category = await catalog.create_category(CategoryDraft(Localized("Home", "家居")))
    mug = await catalog.create_product(
        ProductDraft(
            sku="MUG-1",
            category_id=category.id,
            title=Localized("Mug", "杯子"),
            price=1200,
            on_hand=5,
        )
    )
    shirt = await catalog.create_product(
        ProductDraft(
            sku="TEE-1",
            category_id=category.id,
            title=Localized("T-shirt", "T恤"),
            price=2000,
            variants=(
                VariantDraft("TEE-M", (("Size", "M"),), 2000, on_hand=3),
                VariantDraft("TEE-L", (("Size", "L"),), 2200, on_hand=0),
            ),
        )
    )
    detail = await catalog.detail(shirt.id)
    by_sku = {v.sku: v.id for v in detail.variants}
    return Goods(mug.id, shirt.id, by_sku["TEE-M"], by_sku["TEE-L"], category.id)


@pytest.fixture(params=["polling-sqlite", "webhook-postgres-redis"])
def shop_mode(request: pytest.FixtureRequest) -> str:
    return need_backends(str(request.param))


@pytest_asyncio.fixture
async def shop(
    shop_mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Sandboxed]:
    """Like `kiosk`, with payments on (card provider + Stars) and the scheduler off."""
    async with running_kiosk(
        shop_mode, request, tmp_path, payments=PAYMENTS, scheduler={"enabled": False}
    ) as running:
        yield running
