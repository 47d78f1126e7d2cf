"""Who may manage campaigns: the shop owners in ADMIN_IDS, checked on every update."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.types import User as TgUser


class IsAdmin(Filter):
    """True for owners only. Others don't match, so they reach the fallback router's answer."""

    async def __call__(
        self,
        event: TelegramObject,
        event_from_user: TgUser | None = None,
        admin_ids: frozenset[int] = frozenset(),
    ) -> bool:
        return event_from_user is not None and event_from_user.id in admin_ids
