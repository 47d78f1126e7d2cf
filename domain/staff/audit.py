"""The audit log: who did what to what, and when, for every admin action.

Domain services call `AuditService.record` once per action they carry out, so an action can't
happen without its line (handlers never write to it themselves).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

AUDIT_PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    actor: int  # Telegram id of the staff member (0: the system)
    action: str  # dotted name, e.g. "product.create", "stock.adjust", "staff.add_manager"
    target: str  # e.g. "product:12", "category:3", "tg:123456"
    details: dict[str, object] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    items: list[AuditEntry]
    page: int
    total: int
    page_size: int = AUDIT_PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


class AuditRepository(Protocol):
    async def add(
        self, actor: int, action: str, target: str, details: dict[str, object]
    ) -> None: ...

    async def count(self) -> int: ...

    async def newest(self, offset: int, limit: int) -> list[AuditEntry]: ...


class AuditService:
    def __init__(self, repo: AuditRepository) -> None:
        self.repo = repo

    async def record(
        self, actor: int, action: str, target: str, details: dict[str, object] | None = None
    ) -> None:
        """Append one line; `details` must be JSON-serialisable (ids, numbers, short text)."""
        await self.repo.add(actor, action, target, dict(details or {}))

    async def page(self, page: int = 1) -> AuditPage:
        """Newest first; a forged page number lands on the nearest real page."""
        total = await self.repo.count()
        last = max(1, math.ceil(total / AUDIT_PAGE_SIZE))
        page = min(max(1, page), last)
        items = await self.repo.newest((page - 1) * AUDIT_PAGE_SIZE, AUDIT_PAGE_SIZE)
        return AuditPage(items, page, total)
