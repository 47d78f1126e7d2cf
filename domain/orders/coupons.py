"""Coupons as the merchant manages them: a step-by-step draft with a validated value at each
step, the list with usage, and disabling. Checkout reads the same coupons (domain.orders.pricing);
usage is counted there, by a conditional increment when an order is placed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from domain.catalog.merchant_input import parse_price
from domain.kernel.errors import DomainError, NotFound, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import whole_number
from domain.orders.pricing import Coupon, CouponKind, normalise_code
from domain.staff.audit import AuditService

COUPON_PAGE_SIZE = 8
MAX_USES = 1_000_000


class CouponCodeTaken(DomainError):
    message = N_("A coupon with the code {code} already exists.")


class CouponNotFound(NotFound):
    message = N_("That coupon doesn't exist.")


@dataclass(frozen=True, slots=True)
class CouponDraft:
    code: str
    kind: CouponKind
    value: int
    currency: str
    min_order: int = 0
    usage_limit: int | None = None
    once_per_customer: bool = False
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    category_id: int | None = None


@dataclass(frozen=True, slots=True)
class CouponPage:
    items: list[Coupon]
    page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / COUPON_PAGE_SIZE))


class CouponAdminRepository(Protocol):
    async def add(self, draft: CouponDraft) -> Coupon | None:
        """Store a coupon; None when its code is taken."""
        ...

    async def count(self) -> int: ...

    async def newest(self, offset: int, limit: int) -> list[Coupon]: ...

    async def by_id(self, coupon_id: int) -> Coupon | None: ...

    async def set_active(self, coupon_id: int, active: bool) -> bool: ...

    async def category_exists(self, category_id: int) -> bool: ...


def parse_code(text: str) -> str:
    return normalise_code(text)


def parse_value(text: str, kind: CouponKind, currency: str) -> int:
    """A percentage 1-100 or an amount of money greater than zero."""
    if kind is CouponKind.PERCENT:
        raw = (text or "").strip().rstrip("%").strip()
        percent = whole_number(raw)
        if percent is None or not 1 <= percent <= 100:
            raise ValidationError(N_("Send a whole percentage from 1 to 100."))
        return percent
    amount = parse_price(text, currency)
    if amount <= 0:
        raise ValidationError(N_("The discount must be more than zero."))
    return amount


def parse_min_order(text: str, currency: str) -> int:
    """'0' or '-' for no minimum, else an amount."""
    if (text or "").strip() in ("-", "0"):
        return 0
    return parse_price(text, currency)


def parse_limit(text: str) -> int | None:
    """Total uses: a whole number, or '-' / '0' for unlimited."""
    raw = (text or "").strip()
    if raw in ("-", "0"):
        return None
    uses = whole_number(raw)
    if uses is None or uses > MAX_USES:
        raise ValidationError(N_("Send a whole number of uses, or - for no limit."))
    return uses


def parse_window(text: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """'-' for always, 'YYYY-MM-DD YYYY-MM-DD' (both days included, UTC) or one end date."""
    raw = (text or "").strip()
    if raw == "-":
        return None, None
    parts = raw.replace("..", " ").split()
    try:
        days = [date.fromisoformat(p) for p in parts]
    except ValueError:
        days = []
    if len(days) not in (1, 2):
        raise ValidationError(
            N_("Send two dates like 2025-06-01 2025-06-30, one end date, or - for always.")
        )
    start = datetime.combine(days[0], time(0), tzinfo=UTC) if len(days) == 2 else None
    end = datetime.combine(days[-1], time(0), tzinfo=UTC) + timedelta(days=1)
    if start is not None and start >= end:
        raise ValidationError(N_("The first date must come before the second."))
    if end <= now:
        raise ValidationError(N_("That window is already over."))
    return start, end


class CouponAdmin:
    """Create, list and disable coupons (each change audited)."""

    def __init__(self, repo: CouponAdminRepository, audit: AuditService, currency: str) -> None:
        self.repo = repo
        self.audit = audit
        self.currency = currency

    async def create(self, actor: int, draft: CouponDraft) -> Coupon:
        """Store a finished draft (its parts were validated step by step; checked again)."""
        normalise_code(draft.code)
        if draft.kind is CouponKind.PERCENT and not 1 <= draft.value <= 100:
            raise ValidationError(N_("Send a whole percentage from 1 to 100."))
        if draft.value <= 0 or draft.min_order < 0:
            raise ValidationError(N_("The discount must be more than zero."))
        if draft.category_id is not None and not await self.repo.category_exists(
            draft.category_id
        ):
            raise ValidationError(N_("That category doesn't exist (any more)."))
        coupon = await self.repo.add(draft)
        if coupon is None:
            raise CouponCodeTaken(code=draft.code)
        await self.audit.record(
            actor,
            "coupons.create",
            f"coupon:{coupon.id}",
            {"code": coupon.code, "kind": coupon.kind.value, "value": coupon.value},
        )
        return coupon

    async def page(self, page: int = 1) -> CouponPage:
        total = await self.repo.count()
        last = max(1, math.ceil(total / COUPON_PAGE_SIZE))
        page = min(max(1, page), last)
        items = await self.repo.newest((page - 1) * COUPON_PAGE_SIZE, COUPON_PAGE_SIZE)
        return CouponPage(items, page, total)

    async def get(self, coupon_id: int) -> Coupon:
        found = await self.repo.by_id(coupon_id)
        if found is None:
            raise CouponNotFound()
        return found

    async def set_active(self, actor: int, coupon_id: int, active: bool) -> Coupon:
        """Disable (or enable again) a coupon; carts holding it see it refused at checkout."""
        if not await self.repo.set_active(coupon_id, active):
            raise CouponNotFound()
        action = "coupons.enable" if active else "coupons.disable"
        await self.audit.record(actor, action, f"coupon:{coupon_id}")
        return await self.get(coupon_id)
