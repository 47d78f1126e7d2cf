"""Who runs the shop: owners (ADMIN_IDS, from settings) and the managers they appoint.

Roles are keyed by Telegram id, because owners are configured that way and a manager may be
appointed before ever opening the bot. Every admin update asks `StaffService.role_of` again
(the filter in handlers/admin/security.py), so a removed manager loses access at once on this
replica and within `cache_ttl` seconds on the others.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, get_args

from domain.kernel.cache import TtlReload
from domain.kernel.errors import DomainError, NotFound, ValidationError
from domain.kernel.i18n import N_
from domain.staff.audit import AuditService

Role = Literal["owner", "manager"]
ROLE_RANK: dict[str, int] = {"manager": 1, "owner": 2}

# Things an owner may switch off for managers (owners can always do everything).
Permission = Literal["revenue"]
MANAGERS_SEE_REVENUE = "managers_see_revenue"
OWNER_ONLY_ACTIONS = ("staff", "audit")

log = logging.getLogger(__name__)

# Told when someone's role or permissions change (their chat's command menu follows):
# (telegram id, role now or None when off the staff, permissions now). Never raises into
# the change: failures are logged.
StaffListener = Callable[[int, "Role | None", frozenset[Permission]], Awaitable[None]]

_USERNAME_RE = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{3,31})$")
_TELEGRAM_ID_RE = re.compile(r"^\d{1,15}$")


class NotStaff(DomainError):
    message = N_("Only the shop's owners can do that.")


class UnknownPerson(NotFound):
    message = N_(
        "I don't know @{username} yet: they have to open this bot once, or send their "
        "numeric Telegram id instead."
    )


class LastOwner(ValidationError):
    message = N_("The shop must keep at least one owner: appoint another owner first.")


class ConfiguredOwner(ValidationError):
    message = N_(
        "{id} is an owner by configuration (ADMIN_IDS): change the setting to change that."
    )


class NotStaffMember(NotFound):
    message = N_("{id} isn't on the staff.")


class HiddenForward(ValidationError):
    message = N_(
        "That person hides their account in forwarded messages. Send their numeric "
        "Telegram id or @username instead."
    )


@dataclass(frozen=True, slots=True)
class StaffMember:
    telegram_id: int
    role: Role
    name: str = ""  # what we know of them from the users table ("" if never seen)
    username: str | None = None
    configured: bool = False  # an owner from ADMIN_IDS: the console can't change them


@dataclass(frozen=True, slots=True)
class KnownPerson:
    telegram_id: int
    name: str
    username: str | None


@dataclass(frozen=True, slots=True)
class StaffTarget:
    """Whom an owner means: a Telegram id or a @username (parsed from what they sent)."""

    telegram_id: int | None = None
    username: str | None = None


def parse_staff_target(text: str) -> StaffTarget:
    """'123456789' -> id, '@alice' or 'alice' -> username; anything else is refused."""
    raw = (text or "").strip()
    if _TELEGRAM_ID_RE.fullmatch(raw):
        telegram_id = int(raw)
        if telegram_id > 0:
            return StaffTarget(telegram_id=telegram_id)
    match = _USERNAME_RE.fullmatch(raw)
    if match:
        return StaffTarget(username=match.group(1))
    raise ValidationError(
        N_("Forward me a message from the person, or send their Telegram id or @username.")
    )


class StaffRepository(Protocol):
    async def manager_ids(self) -> set[int]:
        """Telegram ids of every current manager."""
        ...

    async def add_manager(self, telegram_id: int, added_by: int) -> bool:
        """False when they already were one."""
        ...

    async def remove_manager(self, telegram_id: int) -> bool:
        """Off the staff, with any owner appointment (one write)."""
        ...

    async def find_person(
        self, telegram_id: int | None, username: str | None
    ) -> KnownPerson | None:
        """A user of the bot by Telegram id or (case-insensitive) username."""
        ...

    async def appointed_owner_ids(self) -> set[int]:
        """Managers an owner promoted to owner (owners beyond ADMIN_IDS)."""
        ...

    async def set_appointed_owner(self, telegram_id: int, owner: bool) -> None: ...

    async def get_flag(self, name: str, default: bool) -> bool: ...

    async def set_flag(self, name: str, value: bool) -> None: ...


class StaffService:
    """Roles, managers and the owner's switches; every change is written to the audit log."""

    def __init__(
        self,
        repo: StaffRepository,
        owners: frozenset[int],
        audit: AuditService,
        cache_ttl: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
        listeners: Sequence[StaffListener] = (),
    ) -> None:
        """`listeners` hear of every change of someone's role or permissions (the chat's
        per-person command menus, bot/runtime/commands.py)."""
        self.repo = repo
        self.listeners: tuple[StaffListener, ...] = tuple(listeners)
        self.owners = owners
        self.audit = audit
        self.cache_ttl = cache_ttl
        self.clock = clock
        self._managers: frozenset[int] = frozenset()
        self._appointed: frozenset[int] = frozenset()
        self._flags: dict[str, bool] = {}
        self._cache = TtlReload(self._load, cache_ttl, clock)  # read on every update

    def invalidate(self) -> None:
        self._cache.invalidate()

    async def _load(self) -> None:
        managers = frozenset(await self.repo.manager_ids())
        self._appointed = frozenset(await self.repo.appointed_owner_ids()) & managers
        revenue = await self.repo.get_flag(MANAGERS_SEE_REVENUE, True)
        self._managers, self._flags = managers, {MANAGERS_SEE_REVENUE: revenue}

    async def _refresh(self) -> None:
        await self._cache.ensure()

    async def role_of(self, telegram_id: int) -> Role | None:
        """'owner', 'manager' or None; cached for a few seconds (replicas converge by TTL)."""
        if telegram_id in self.owners:
            return "owner"
        await self._refresh()
        if telegram_id not in self._managers:
            return None
        return "owner" if telegram_id in self._appointed else "manager"

    async def allowed(
        self, telegram_id: int, min_role: Role = "manager", permission: Permission | None = None
    ) -> bool:
        """Whether this person may use something that needs `min_role` (and `permission`)."""
        role = await self.role_of(telegram_id)
        if role is None or ROLE_RANK[role] < ROLE_RANK[min_role]:
            return False
        if permission == "revenue" and role == "manager":
            return await self.managers_see_revenue()
        return True

    async def access_of(self, telegram_id: int) -> tuple[Role | None, frozenset[Permission]]:
        """Someone's role and the switches that are on for them (owners: every one)."""
        role = await self.role_of(telegram_id)
        if role is None:
            return None, frozenset()
        allowed = [p for p in get_args(Permission) if await self.allowed(telegram_id, role, p)]
        return role, frozenset(allowed)

    async def _tell(self, telegram_ids: Sequence[int]) -> None:
        if not self.listeners:
            return
        self.invalidate()
        for telegram_id in telegram_ids:
            role, permissions = await self.access_of(telegram_id)
            for listener in self.listeners:
                try:
                    await listener(telegram_id, role, permissions)
                except Exception:
                    log.exception("staff listener failed for %s", telegram_id)

    async def managers_see_revenue(self) -> bool:
        await self._refresh()
        return self._flags.get(MANAGERS_SEE_REVENUE, True)

    async def _require_owner(self, actor: int) -> None:
        if await self.role_of(actor) != "owner":
            raise NotStaff()

    async def resolve(self, target: StaffTarget) -> KnownPerson:
        """The person an owner named; an unknown numeric id is still accepted."""
        found = await self.repo.find_person(target.telegram_id, target.username)
        if found is not None:
            return found
        if target.telegram_id is not None:
            return KnownPerson(target.telegram_id, "", None)
        raise UnknownPerson(username=target.username or "")

    async def add_manager(self, actor: int, target: StaffTarget) -> tuple[KnownPerson, bool]:
        """Appoint a manager; returns (person, newly added). Owners stay owners."""
        await self._require_owner(actor)
        person = await self.resolve(target)
        if person.telegram_id in self.owners:
            raise ValidationError(N_("That person is an owner already."))
        added = await self.repo.add_manager(person.telegram_id, actor)
        self.invalidate()
        if added:
            await self.audit.record(actor, "staff.add_manager", f"tg:{person.telegram_id}")
            await self._tell([person.telegram_id])
        return person, added

    async def _owners_without(self, telegram_id: int) -> set[int]:
        self.invalidate()  # decide on the database's truth, not this replica's cache
        await self._refresh()
        return (set(self.owners) | set(self._appointed)) - {telegram_id}

    async def remove_manager(self, actor: int, telegram_id: int) -> bool:
        """Take someone off the staff (a manager, or an owner an owner appointed)."""
        await self._require_owner(actor)
        if telegram_id in self.owners:
            raise ConfiguredOwner(id=telegram_id)
        if not await self._owners_without(telegram_id):
            raise LastOwner()
        removed = await self.repo.remove_manager(telegram_id)
        self.invalidate()
        if removed:
            await self.audit.record(actor, "staff.remove_manager", f"tg:{telegram_id}")
            await self._tell([telegram_id])
        return removed

    async def set_role(self, actor: int, telegram_id: int, role: Role) -> bool:
        """Make a staff member an owner or a manager; False when they had that role already.

        Owners from ADMIN_IDS stay owners; the last owner can't step down.
        """
        await self._require_owner(actor)
        if role not in ROLE_RANK:
            raise ValidationError(N_("Unknown role."))
        if telegram_id in self.owners:
            raise ConfiguredOwner(id=telegram_id)
        current = await self.role_of(telegram_id)
        if current is None:
            raise NotStaffMember(id=telegram_id)
        if current == role:
            return False
        if role == "manager" and not await self._owners_without(telegram_id):
            raise LastOwner()
        await self.repo.set_appointed_owner(telegram_id, role == "owner")
        self.invalidate()
        await self.audit.record(actor, "staff.set_role", f"tg:{telegram_id}", {"role": role})
        await self._tell([telegram_id])
        return True

    async def staff(self) -> list[StaffMember]:
        """Owners first (configured, then appointed), then managers, with what the bot knows."""
        self.invalidate()
        await self._refresh()
        managers = sorted(self._managers - self._appointed)
        groups: list[tuple[Role, list[int], bool]] = [
            ("owner", sorted(self.owners), True),
            ("owner", sorted(self._appointed - self.owners), False),
            ("manager", [m for m in managers if m not in self.owners], False),
        ]
        members: list[StaffMember] = []
        for role, ids, configured in groups:
            for telegram_id in ids:
                person = await self.repo.find_person(telegram_id, None)
                members.append(
                    StaffMember(
                        telegram_id,
                        role,
                        person.name if person else "",
                        person.username if person else None,
                        configured,
                    )
                )
        return members

    async def set_managers_see_revenue(self, actor: int, value: bool) -> None:
        await self._require_owner(actor)
        await self.repo.set_flag(MANAGERS_SEE_REVENUE, value)
        self.invalidate()
        await self.audit.record(
            actor, "staff.revenue_visibility", "managers", {"see_revenue": value}
        )
        await self._refresh()
        await self._tell(sorted(self._managers - self._appointed))
