"""Merchant catalogue storage: create/edit goods with versioning, categories, CSV import/export.

Writes reuse TortoiseCatalogRepository (so search stays indexed) inside our own transactions:
Tortoise turns its inner `in_transaction()` into a savepoint of ours.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from domain.catalog.csv_rows import CategoryPlan, ExistingProduct, ImportItem, merge_localized
from domain.catalog.merchant import SkuTaken
from domain.catalog.service import (
    Category,
    CategoryDraft,
    Localized,
    Product,
    ProductDraft,
    Variant,
)
from domain.catalog.transfer import ImportResult
from domain.inventory.ledger import StockReason
from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_
from storage.admin.models import ProductRevisionRow
from storage.catalog.models import CategoryRow, ProductRow
from storage.catalog.repository import TortoiseCatalogRepository, product_from_row
from storage.columns import int_column
from storage.inventory.ledger import apply_stock_movement


class ImportStockRefused(ValidationError):
    message = N_(
        "Line {line}: stock {stock} is less than open orders hold ({reserved}). "
        "Nothing was imported."
    )


class NoOrderReferences:
    """ProductReferences until orders are wired in: no order refers to any product yet."""

    async def is_referenced(self, product_id: int) -> bool:
        return False


class TortoiseMerchantCatalog:
    """domain.catalog.merchant.MerchantCatalog and domain.catalog.transfer.CatalogStore."""

    def __init__(self, catalog: TortoiseCatalogRepository | None = None) -> None:
        self.catalog = catalog or TortoiseCatalogRepository()

    # ---- goods ----

    async def create_product(self, draft: ProductDraft, actor: int) -> Product:
        async with in_transaction():
            try:
                variants = tuple(replace(v, on_hand=0) for v in draft.variants)
                product = await self.catalog.create_product(
                    replace(draft, on_hand=0, variants=variants)
                )
            except IntegrityError:
                raise SkuTaken(sku=draft.sku) from None
            if draft.on_hand and not draft.variants:
                await apply_stock_movement(
                    product.id, None, draft.on_hand, 0, StockReason.OPENING.value, actor=actor
                )
            # Variants' opening stock is booked too, so every unit starts in the ledger.
            stored = await self.catalog.list_variants(product.id) if draft.variants else []
            opening = {v.sku: v.on_hand for v in draft.variants}
            for variant in stored:
                if opening.get(variant.sku):
                    await apply_stock_movement(
                        product.id,
                        variant.id,
                        opening[variant.sku],
                        0,
                        StockReason.OPENING.value,
                        actor=actor,
                    )
        found = await self.catalog.get_product(product.id)
        assert found is not None
        return found

    async def find_product(self, product_id: int | None, sku: str | None) -> Product | None:
        if product_id is not None:
            row = await ProductRow.get_or_none(id=product_id)
        else:
            row = await ProductRow.get_or_none(sku=sku or "")
        return product_from_row(row) if row is not None else None

    async def list_variants(self, product_id: int) -> list[Variant]:
        return await self.catalog.list_variants(product_id)

    async def version(self, product_id: int) -> int:
        row = await ProductRevisionRow.get_or_none(product_id=product_id)
        if row is None:
            try:
                row = await ProductRevisionRow.create(product_id=product_id, version=0)
            except IntegrityError:  # created by a concurrent reader just now
                row = await ProductRevisionRow.get(product_id=product_id)
        return row.version

    async def update_if_version(
        self, product_id: int, expected: int, changes: dict[str, object]
    ) -> bool | None:
        async with in_transaction() as conn:
            if not await ProductRow.filter(id=product_id).using_db(conn).exists():
                return None
            bumped = (
                await ProductRevisionRow.filter(product_id=product_id, version=expected)
                .using_db(conn)
                .update(version=expected + 1)
            )
            if bumped != 1:
                return False
            await self._update(product_id, changes)
        return True

    async def _update(self, product_id: int, changes: dict[str, object]) -> None:
        try:
            await self.catalog.update_product(product_id, changes)
        except IntegrityError:
            raise SkuTaken(sku=str(changes.get("sku", ""))) from None

    async def set_active(self, product_id: int, active: bool) -> bool:
        return await self.catalog.update_product(product_id, {"active": active})

    async def delete_product(self, product_id: int) -> bool:
        async with in_transaction():
            await ProductRevisionRow.filter(product_id=product_id).delete()
            return await self.catalog.delete_product(product_id)

    # ---- categories ----

    async def all_categories(self) -> list[Category]:
        return await self.catalog.list_categories()

    async def create_category(self, draft: CategoryDraft) -> Category:
        return await self.catalog.create_category(draft)

    async def update_category(self, category_id: int, changes: dict[str, object]) -> bool:
        columns: dict[str, object] = {}
        if "name" in changes:
            name = changes["name"]
            assert isinstance(name, Localized)
            columns.update(name_en=name.en, name_zh=name.zh)
        for key in ("parent_id", "position", "active"):
            if key in changes:
                columns[key] = changes[key]
        async with in_transaction():
            if not await CategoryRow.filter(id=category_id).update(**columns):
                return False
            if "name" in changes or "parent_id" in changes:
                await self._reindex_subtree(category_id)
        return True

    async def _reindex_subtree(self, category_id: int) -> None:
        """Category names are part of each product's search document: refresh them."""
        ids, frontier = [category_id], [category_id]
        while frontier:
            frontier = await int_column(CategoryRow.filter(parent_id__in=frontier), "id")
            ids.extend(frontier)
        rows = await ProductRow.filter(category_id__in=ids).values_list("id", "category_id")
        for product_id, cat_id in rows:
            await self.catalog.update_product(product_id, {"category_id": cat_id})

    async def set_positions(self, positions: dict[int, int]) -> None:
        async with in_transaction():
            for category_id, position in positions.items():
                await CategoryRow.filter(id=category_id).update(position=position)

    # ---- CSV import / export ----

    async def existing(self, skus: list[str]) -> dict[str, ExistingProduct]:
        found: dict[str, ExistingProduct] = {}
        for start in range(0, len(skus), 500):
            rows = await ProductRow.filter(sku__in=skus[start : start + 500]).values_list(
                "id", "sku", "has_variants"
            )
            found.update({sku: ExistingProduct(pid, bool(hv)) for pid, sku, hv in rows})
        return found

    async def apply_import(
        self,
        items: list[ImportItem],
        currency: str,
        actor: int,
        new_categories: list[CategoryPlan],
    ) -> ImportResult:
        created = updated = 0
        async with in_transaction():
            stored: dict[int, int] = {}
            for plan in new_categories:
                parent = stored.get(plan.parent_id, plan.parent_id) if plan.parent_id else None
                draft = CategoryDraft(Localized(plan.name), parent, plan.position)
                stored[plan.temp_id] = (await self.catalog.create_category(draft)).id
            for item in items:
                item = _with_stored_category(item, stored)
                if item.existing_id is None:
                    await self.create_product(_draft(item, currency), actor)
                    created += 1
                else:
                    await self._apply_update(item, actor)
                    updated += 1
        return ImportResult(created, updated, len(new_categories))

    async def _apply_update(self, item: ImportItem, actor: int) -> None:
        assert item.existing_id is not None
        current = await self.catalog.get_product(item.existing_id)
        if current is None:  # deleted between the check and now: the import must not half-apply
            raise DomainError(
                N_("Line {line}: the product was deleted meanwhile."), line=item.line
            )
        changes = dict(item.changes)
        for name in ("title", "description"):
            if name in changes:
                changes[name] = merge_localized(getattr(current, name), changes[name])
        if changes:
            await self._update(current.id, changes)
            # An admin editing this product meanwhile must see a conflict, not overwrite it.
            await ProductRevisionRow.filter(product_id=current.id).update(version=F("version") + 1)
        if item.stock is not None and item.stock != current.on_hand:
            moved = await apply_stock_movement(
                current.id,
                None,
                item.stock - current.on_hand,
                0,
                StockReason.IMPORT.value,
                ref="csv",
                actor=actor,
            )
            if moved is None:
                raise ImportStockRefused(
                    line=item.line, stock=item.stock, reserved=current.reserved
                )

    async def batches(self, size: int) -> AsyncIterator[list[Product]]:
        last_id = 0
        while True:
            rows = await ProductRow.filter(id__gt=last_id).order_by("id").limit(size)
            if not rows:
                return
            yield [product_from_row(r) for r in rows]
            last_id = rows[-1].id


def _with_stored_category(item: ImportItem, stored: dict[int, int]) -> ImportItem:
    """A row naming a category created by this import gets that category's real id."""
    category = item.changes.get("category_id")
    if isinstance(category, int) and category in stored:
        return replace(item, changes={**item.changes, "category_id": stored[category]})
    return item


def _draft(item: ImportItem, currency: str) -> ProductDraft:
    # Each column as its CSV parser returned it (domain.catalog.csv_rows): the values' types
    # differ by column, so they are read as Any and ProductDraft's fields say what they are.
    c: Mapping[str, Any] = item.changes
    title = merge_localized(Localized(""), c["title"])
    description = merge_localized(Localized(""), c.get("description", (None, None)))
    return ProductDraft(
        sku=item.sku,
        category_id=int(c["category_id"]),
        title=title,
        price=int(c["price"]),
        currency=currency,
        description=description,
        brand=str(c.get("brand", "")),
        compare_at=c.get("compare_at"),
        photos=tuple(c.get("photos", ())),
        specs=tuple(c.get("specs", ())),
        tags=tuple(c.get("tags", ())),
        on_hand=item.stock or 0,
        low_stock_threshold=int(c.get("low_stock_threshold", 3)),
        active=bool(c.get("active", True)),
    )
