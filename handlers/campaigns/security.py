"""Who may manage campaigns: shop staff (owners in ADMIN_IDS and the managers they appoint),
checked on every update through the admin roles (handlers/admin/security.py)."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.types import User as TgUser

from domain.staff import StaffService


class IsAdmin(Filter):
    """True for owners and managers. Others don't match, so they reach the fallback's answer."""

    async def __call__(
        self,
        event: TelegramObject,
        event_from_user: TgUser | None = None,
        admin_ids: frozenset[int] = frozenset(),
        staff: StaffService | None = None,
    ) -> bool:
        if event_from_user is None:
            return False
        if staff is None:  # no admin wiring (unit set-ups): owners only
            return event_from_user.id in admin_ids
        return await staff.allowed(event_from_user.id, "manager")
