"""Import a checked CSV into the catalogue in one transaction; export it back in batches."""

from __future__ import annotations

import csv
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from domain.catalog.csv_rows import (
    CategoryPlan,
    ExistingProduct,
    ImportCheck,
    ImportItem,
    check_import,
    decode_csv,
    export_header,
    export_row,
    read_rows,
    template_csv,
)
from domain.catalog.merchant_input import SKU_RE
from domain.catalog.types import Category, Product
from domain.kernel.errors import DomainError
from domain.kernel.i18n import N_
from domain.staff.audit import AuditService

EXPORT_BATCH = 1000
PREVIEW_TTL = 3600  # seconds an uploaded file waits for "Import" before it must be sent again


class PreviewExpired(DomainError):
    message = N_("That import preview has expired. Upload the file again.")


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int
    categories: int = 0  # categories the import created first


class TextSink(Protocol):
    def write(self, text: str, /) -> int: ...


class CatalogStore(Protocol):
    async def all_categories(self) -> list[Category]: ...

    async def existing(self, skus: list[str]) -> dict[str, ExistingProduct]:
        """Products already stored under these SKUs."""
        ...

    async def apply_import(
        self,
        items: list[ImportItem],
        currency: str,
        actor: int,
        new_categories: list[CategoryPlan],
    ) -> ImportResult:
        """Create the planned categories (parents first; their temp ids in items and plans
        mapped to the stored ids), then create or update every item, in ONE transaction
        (stock changes go through the ledger); if anything fails, nothing is stored and the
        error propagates."""
        ...

    def batches(self, size: int) -> AsyncIterator[list[Product]]:
        """Every product (active or not) in id order, `size` at a time."""
        ...


class PreviewStore(Protocol):
    """Uploaded files waiting for confirmation, by key, for `ttl` seconds (shared by every
    replica in production: storage.catalog.console.RedisPreviewStore)."""

    async def put(self, key: str, data: bytes, ttl: int) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...


class MemoryPreviewStore:
    """PreviewStore in this process's memory (one process: tests, the demo without Redis)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, capacity: int = 64) -> None:
        self.clock = clock
        self.capacity = capacity
        self._items: dict[str, tuple[float, bytes]] = {}

    async def put(self, key: str, data: bytes, ttl: int) -> None:
        now = self.clock()
        self._items = {k: v for k, v in self._items.items() if v[0] > now}
        while len(self._items) >= self.capacity:
            self._items.pop(next(iter(self._items)))
        self._items[key] = (now + ttl, data)

    async def get(self, key: str) -> bytes | None:
        hit = self._items.get(key)
        return hit[1] if hit is not None and hit[0] > self.clock() else None

    async def delete(self, key: str) -> None:
        self._items.pop(key, None)


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """A checked upload waiting for confirmation; `key` names it for the apply."""

    key: str
    check: ImportCheck


class CatalogTransfer:
    def __init__(
        self,
        store: CatalogStore,
        audit: AuditService,
        currency: str,
        previews: PreviewStore | None = None,
    ) -> None:
        self.store = store
        self.audit = audit
        self.currency = currency
        self.previews: PreviewStore = previews or MemoryPreviewStore()

    @staticmethod
    def _preview_key(actor: int, key: str) -> str:
        return f"{actor}:{key}"  # a preview is only ever found by the person who uploaded it

    async def preview(self, actor: int, data: bytes) -> ImportPreview:
        """Check an upload without applying anything and keep the file for `apply_preview`.
        Raises ImportRefused for an unusable file (nothing is kept then)."""
        checked = await self.check(data)
        key = secrets.token_urlsafe(12)
        await self.previews.put(self._preview_key(actor, key), data, PREVIEW_TTL)
        return ImportPreview(key, checked)

    async def previewed(self, actor: int, key: str) -> ImportPreview:
        """The preview again (checked afresh: the catalogue may have changed)."""
        data = await self.previews.get(self._preview_key(actor, key))
        if data is None:
            raise PreviewExpired()
        return ImportPreview(key, await self.check(data))

    async def apply_preview(
        self, actor: int, key: str, *, create_missing: bool = False
    ) -> tuple[ImportCheck, ImportResult]:
        """Import a previewed file: re-validated now, applied all or nothing; the preview is
        used up once applied (a second press imports nothing twice)."""
        name = self._preview_key(actor, key)
        data = await self.previews.get(name)
        if data is None:
            raise PreviewExpired()
        checked, result = await self.import_file(actor, data, create_missing=create_missing)
        if checked.ok:
            await self.previews.delete(name)
        return checked, result

    async def check(self, data: bytes, *, create_missing: bool = False) -> ImportCheck:
        """Decode and validate the whole file; raises ImportRefused for an unusable file.
        Missing categories are listed, or planned for creation with `create_missing`."""
        _, rows = read_rows(decode_csv(data))
        categories = {c.id: c for c in await self.store.all_categories()}
        skus = [(cells.get("sku") or "").strip() for _, cells in rows]
        # Only what can be a SKU is looked up (the rest is reported by check_import).
        existing = await self.store.existing([s for s in skus if SKU_RE.fullmatch(s)])
        return check_import(
            rows, self.currency, categories, existing, create_missing=create_missing
        )

    async def import_file(
        self, actor: int, data: bytes, *, create_missing: bool = False
    ) -> tuple[ImportCheck, ImportResult]:
        """Check every row (again: a preview may be stale); only a fully valid file is
        applied, all rows or none, with the missing categories when `create_missing`.
        The chat and the console both import through here."""
        checked = await self.check(data, create_missing=create_missing)
        if not checked.ok:
            return checked, ImportResult(0, 0)
        result = await self.store.apply_import(
            checked.items, self.currency, actor, checked.new_categories
        )
        await self.audit.record(
            actor,
            "catalog.import",
            "catalog",
            {
                "created": result.created,
                "updated": result.updated,
                "categories": [plan.path for plan in checked.new_categories],
            },
        )
        return checked, result

    async def template(self) -> str:
        """A CSV file that imports as it is (see csv_rows.template_csv)."""
        categories = {c.id: c for c in await self.store.all_categories()}
        return template_csv(categories, self.currency)

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
