"""ShopDetailsRepository and ShopFactsSource on Tortoise."""

from __future__ import annotations

from domain.shop.service import ShopDetails, ShopFacts
from storage.catalog.models import CategoryRow, ProductRow
from storage.compiled import CompiledGet
from storage.orders.models import PaymentRow
from storage.shop.models import OpenChecklistRow, ShopDetailsRow

_ROW_ID = 1
_DETAILS = CompiledGet(ShopDetailsRow, "id")  # the shop's name greets every /start


class TortoiseShopDetailsRepository:
    async def get(self) -> ShopDetails:
        row = await _DETAILS.get(_ROW_ID)
        if row is None:
            return ShopDetails()
        return ShopDetails(row.name, row.description, row.photo_file_id, row.shared)

    async def save(self, details: ShopDetails) -> None:
        await ShopDetailsRow.update_or_create(
            id=_ROW_ID,
            defaults={
                "name": details.name,
                "description": details.description,
                "photo_file_id": details.photo_file_id,
                "shared": details.shared,
            },
        )

    async def open_checklist(self, telegram_id: int) -> tuple[str, ...] | None:
        row = await OpenChecklistRow.get_or_none(telegram_id=telegram_id)
        if row is None:
            return None
        return tuple(s for s in row.done.split(",") if s)

    async def set_open_checklist(self, telegram_id: int, done: tuple[str, ...] | None) -> None:
        if done is None:
            await OpenChecklistRow.filter(telegram_id=telegram_id).delete()
            return
        await OpenChecklistRow.update_or_create(
            telegram_id=telegram_id, defaults={"done": ",".join(done)}
        )


class TortoiseShopFacts:
    async def facts(self) -> ShopFacts:
        first = await ProductRow.filter(active=True).order_by("id").first()
        return ShopFacts(
            categories=await CategoryRow.all().count(),
            products=await ProductRow.all().count(),
            paid_orders=await PaymentRow.all().count(),
            first_product_id=first.id if first is not None else None,
        )
