"""The audit log: who did what to what, and when, for every admin action.

Domain services call `AuditService.record` once per action they carry out, so an action can't
happen without its line (handlers never write to it themselves).

Each line also says where the action came from (`details["source"]`: "chat", "console" or
"system"). Domain services don't know their adapter, so the adapter says it once for
everything it triggers: the web console wraps each request in `audit_source("console")`; the
chat is the default; actor 0 (jobs) is "system". `record(..., source=...)` overrides both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_

AUDIT_PAGE_SIZE = 10
MAX_AUDIT_PAGE_SIZE = 100
SOURCE_CHAT = "chat"
SOURCE_CONSOLE = "console"
SOURCE_SYSTEM = "system"
SOURCE_LABELS = {
    SOURCE_CHAT: N_("chat"),
    SOURCE_CONSOLE: N_("web console"),
    SOURCE_SYSTEM: N_("system"),
}

# What each recorded action is called on screen (the console's audit log); an action missing
# here is shown by its dotted name. Families ("product", "orders"...) are the filter's groups.
ACTION_LABELS: dict[str, str] = {
    "product.create": N_("Product created"),
    "product.edit": N_("Product edited"),
    "product.activate": N_("Product put on sale"),
    "product.deactivate": N_("Product taken off sale"),
    "product.delete": N_("Product deleted"),
    "category.create": N_("Category created"),
    "category.rename": N_("Category renamed"),
    "category.move": N_("Category moved"),
    "category.reorder": N_("Categories reordered"),
    "category.activate": N_("Category shown"),
    "category.deactivate": N_("Category hidden"),
    "catalog.import": N_("Catalogue imported (CSV)"),
    "catalog.export": N_("Catalogue exported (CSV)"),
    "stock.adjust": N_("Stock adjusted"),
    "orders.process": N_("Order being processed"),
    "orders.ship": N_("Order shipped"),
    "orders.deliver": N_("Order delivered"),
    "orders.cancel": N_("Order cancelled"),
    "orders.refund": N_("Order refunded"),
    "orders.return": N_("Order returned to stock"),
    "orders.note": N_("Order note added"),
    "coupons.create": N_("Coupon created"),
    "coupons.enable": N_("Coupon enabled"),
    "coupons.disable": N_("Coupon disabled"),
    "reviews.hide": N_("Review hidden"),
    "reviews.unhide": N_("Review shown again"),
    "reviews.reply": N_("Review answered"),
    "loyalty.adjust": N_("Loyalty points adjusted"),
    "staff.add_manager": N_("Staff member added"),
    "staff.remove_manager": N_("Staff member removed"),
    "staff.set_role": N_("Staff role changed"),
    "staff.revenue_visibility": N_("Managers' revenue access changed"),
    "subscriptions.plan": N_("Subscription plan changed"),
    "subscriptions.refund": N_("Subscription refunded"),
    "support.maintenance": N_("Maintenance mode switched"),
}
ACTION_FAMILIES: dict[str, str] = {
    "product": N_("Goods"),
    "category": N_("Categories"),
    "catalog": N_("Import & export"),
    "stock": N_("Stock"),
    "orders": N_("Orders"),
    "coupons": N_("Coupons"),
    "reviews": N_("Reviews"),
    "loyalty": N_("Loyalty"),
    "staff": N_("Staff"),
    "subscriptions": N_("Subscriptions"),
    "support": N_("Support"),
}


def action_label(action: str) -> str | None:
    """The msgid naming `action` for people, or None when it has no name yet."""
    return ACTION_LABELS.get(action)


_ACTION_RE = re.compile(r"^[a-z_]{1,30}(\.[a-z_]{1,30})?$")
_source: ContextVar[str | None] = ContextVar("audit_source", default=None)


@contextmanager
def audit_source(source: str) -> Iterator[None]:
    """Every audit line recorded inside this block (this task and tasks it starts) says
    `source`; adapters wrap a request or update in it."""
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)


def current_source(actor: int) -> str:
    """The source an audit line gets when the caller names none."""
    return _source.get() or (SOURCE_SYSTEM if actor == 0 else SOURCE_CHAT)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    actor: int  # Telegram id of the staff member (0: the system)
    action: str  # dotted name, e.g. "product.create", "stock.adjust", "staff.add_manager"
    target: str  # e.g. "product:12", "category:3", "tg:123456"
    details: dict[str, object] = field(default_factory=dict)
    created_at: datetime | None = None

    @property
    def source(self) -> str:
        """ "chat", "console" or "system" (lines written before sources existed: "chat")."""
        value = self.details.get("source")
        if isinstance(value, str) and value:
            return value
        return SOURCE_SYSTEM if self.actor == 0 else SOURCE_CHAT


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Narrows the log: one actor, an action or action family ("staff" = "staff.*"), and a
    half-open time range [since, until) in UTC."""

    actor: int | None = None
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None

    @property
    def empty(self) -> bool:
        return self == AuditFilter()


def _day(raw: str, tz: ZoneInfo) -> datetime | None:
    text = raw.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(N_("Dates look like 2030-05-01.")) from None
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def audit_filter(actor: str, action: str, since: str, until: str, timezone: str) -> AuditFilter:
    """The log's filter from what a person typed or chose: a Telegram id, an action or family
    name, and days (inclusive, in the shop's time zone)."""
    tz = ZoneInfo(timezone)
    actor_text = actor.strip()
    actor_id = None
    if actor_text:
        if not actor_text.isascii() or not actor_text.isdigit() or len(actor_text) > 15:
            raise ValidationError(N_("Choose a person from the list."))
        actor_id = int(actor_text)
    name = action.strip()
    if name and not _ACTION_RE.fullmatch(name):
        raise ValidationError(N_("Choose an action from the list."))
    start = _day(since, tz)
    last = _day(until, tz)
    end = last + timedelta(days=1) if last is not None else None
    if start is not None and end is not None and end <= start:
        raise ValidationError(N_("The first day must not be after the last."))
    return AuditFilter(actor_id, name, start, end)


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

    async def count(self, where: AuditFilter | None = None) -> int: ...

    async def newest(
        self, offset: int, limit: int, where: AuditFilter | None = None
    ) -> list[AuditEntry]: ...

    async def actions(self) -> list[str]:
        """Every action name the log holds, sorted (the filter's choices)."""
        ...

    async def actors(self) -> list[int]:
        """Every actor the log holds, sorted."""
        ...


class AuditService:
    def __init__(self, repo: AuditRepository) -> None:
        self.repo = repo

    async def record(
        self,
        actor: int,
        action: str,
        target: str,
        details: dict[str, object] | None = None,
        *,
        source: str | None = None,
    ) -> None:
        """Append one line; `details` must be JSON-serialisable (ids, numbers, short text).

        `source` ("chat", "console", "system") defaults to the adapter's `audit_source` block.
        """
        data = dict(details or {})
        data["source"] = source or current_source(actor)
        await self.repo.add(actor, action, target, data)

    async def page(
        self, page: int = 1, where: AuditFilter | None = None, page_size: int = AUDIT_PAGE_SIZE
    ) -> AuditPage:
        """Newest first; a forged page number lands on the nearest real page."""
        size = min(max(1, page_size), MAX_AUDIT_PAGE_SIZE)
        narrow = None if where is None or where.empty else where
        # Unfiltered calls keep the two-argument form every repository has always had.
        total = await (self.repo.count() if narrow is None else self.repo.count(narrow))
        last = max(1, math.ceil(total / size))
        page = min(max(1, page), last)
        offset = (page - 1) * size
        if narrow is None:
            items = await self.repo.newest(offset, size)
        else:
            items = await self.repo.newest(offset, size, narrow)
        return AuditPage(items, page, total, size)

    async def actions(self) -> list[str]:
        return await self.repo.actions()

    async def actors(self) -> list[int]:
        return await self.repo.actors()
