"""Import a checked CSV into the catalogue in one transaction; export it back in batches."""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from domain.catalog.csv_rows import (
    ExistingProduct,
    ImportCheck,
    ImportItem,
    check_import,
    decode_csv,
    export_header,
    export_row,
    read_rows,
)
from domain.catalog.merchant_input import SKU_RE
from domain.catalog.types import Category, Product
from domain.staff.audit import AuditService

EXPORT_BATCH = 1000


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int


class TextSink(Protocol):
    def write(self, text: str, /) -> int: ...


class CatalogStore(Protocol):
    async def all_categories(self) -> list[Category]: ...

    async def existing(self, skus: list[str]) -> dict[str, ExistingProduct]:
        """Products already stored under these SKUs."""
        ...

    async def apply_import(
        self, items: list[ImportItem], currency: str, actor: int
    ) -> ImportResult:
        """Create or update every item in ONE transaction (stock changes go through the
        ledger); if anything fails, nothing is stored and the error propagates."""
        ...

    def batches(self, size: int) -> AsyncIterator[list[Product]]:
        """Every product (active or not) in id order, `size` at a time."""
        ...


class CatalogTransfer:
    def __init__(self, store: CatalogStore, audit: AuditService, currency: str) -> None:
        self.store = store
        self.audit = audit
        self.currency = currency

    async def check(self, data: bytes) -> ImportCheck:
        """Decode and validate the whole file; raises ImportRefused for an unusable file."""
        _, rows = read_rows(decode_csv(data))
        categories = {c.id: c for c in await self.store.all_categories()}
        skus = [(cells.get("sku") or "").strip() for _, cells in rows]
        # Only what can be a SKU is looked up (the rest is reported by check_import).
        existing = await self.store.existing([s for s in skus if SKU_RE.fullmatch(s)])
        return check_import(rows, self.currency, categories, existing)

    async def import_file(self, actor: int, data: bytes) -> tuple[ImportCheck, ImportResult]:
        """Check every row; only a fully valid file is applied (all rows or none)."""
        checked = await self.check(data)
        if not checked.ok:
            return checked, ImportResult(0, 0)
        result = await self.store.apply_import(checked.items, self.currency, actor)
        await self.audit.record(
            actor,
            "catalog.import",
            "catalog",
            {"created": result.created, "updated": result.updated},
        )
        return checked, result

    async def export(self, actor: int, sink: TextSink) -> int:
        """Write the whole catalogue as CSV to `sink`, batch by batch; returns the count."""
        categories = {c.id: c for c in await self.store.all_categories()}
        writer = csv.writer(sink)
        writer.writerow(export_header())
        count = 0
        async for batch in self.store.batches(EXPORT_BATCH):
            writer.writerows(export_row(p, categories) for p in batch)
            count += len(batch)
        await self.audit.record(actor, "catalog.export", "catalog", {"products": count})
        return count
