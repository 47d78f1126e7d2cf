"""Who may reach a staff screen, checked on every update at the moment of use.

One filter (`IsStaff`) and one gate: every staff router is included under `staff_gate`, whose
message and button filters check the role once (aiogram's public router filters; a parent's
filter result reaches its sub-routers' handlers as `staff_role`). Owner-only routers add
`IsStaff("owner")` on themselves. A person without the role simply doesn't match, so the
update falls through to handlers/fallback.py and gets exactly the answer an unknown command or
a stale button gets: no admin screen ever reveals itself to a shopper.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from aiogram.types import User as TgUser

from domain.staff.service import Permission, Role, StaffService

# The role each staff router requires beyond the gate's, by router name: read by
# tests/e2e/test_authorization.py to build the table of what must be refused to whom.
ROUTER_ROLES: dict[str, Role] = {}


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
    """A router for the staff gate; owner-only routers also check the owner role themselves."""
    router = Router(name=name)
    ROUTER_ROLES[name] = min_role
    if min_role != "manager":
        router.message.filter(IsStaff(min_role))
        router.callback_query.filter(IsStaff(min_role))
    return router


def staff_gate(routers: list[Router]) -> Router:
    """One parent for every staff router: the role is checked once per update."""
    gate = Router(name="staff")
    gate.message.filter(IsStaff())
    gate.callback_query.filter(IsStaff())
    gate.include_routers(*routers)
    return gate


# In a dialog step, a /command is not an answer: it goes on to its own handler (or the
# unknown-command reply) instead of being taken as a title, a quantity...
NOT_COMMAND = ~F.text.startswith("/")
