"""Role checks for every admin message and button, at the moment of use.

A person without the role simply doesn't match, so the update falls through to
handlers/fallback.py and gets exactly the answer an unknown command or a stale button gets —
no admin screen ever reveals itself to a shopper, and the texts live in one place.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.types import User as TgUser

from domain.staff import Permission, Role, StaffService


class IsStaff(Filter):
    """Matches when the sender holds at least `min_role` (and `permission`, if given)."""

    def __init__(self, min_role: Role = "manager", permission: Permission | None = None) -> None:
        self.min_role: Role = min_role
        self.permission: Permission | None = permission

    async def __call__(
        self,
        event: TelegramObject,
        event_from_user: TgUser | None = None,
        staff: StaffService | None = None,
    ) -> bool | dict[str, object]:
        if event_from_user is None or staff is None:
            return False
        if not await staff.allowed(event_from_user.id, self.min_role, self.permission):
            return False
        return {"staff_role": await staff.role_of(event_from_user.id)}


def staff_router(name: str, min_role: Role = "manager") -> Router:
    """A router whose messages and callbacks all require `min_role`."""
    router = Router(name=name)
    router.message.filter(IsStaff(min_role))
    router.callback_query.filter(IsStaff(min_role))
    return router


# In a dialog step, a /command is not an answer: it goes on to its own handler (or the
# unknown-command reply) instead of being taken as a title, a quantity...
NOT_COMMAND = ~F.text.startswith("/")
