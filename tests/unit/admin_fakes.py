"""In-memory fakes for the admin domain (staff roles, audit log)."""

from __future__ import annotations

from domain.staff.audit import AuditEntry
from domain.staff.service import KnownPerson


class InMemoryAudit:
    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []

    async def add(self, actor: int, action: str, target: str, details: dict[str, object]) -> None:
        self.entries.append(AuditEntry(len(self.entries) + 1, actor, action, target, details))

    async def count(self) -> int:
        return len(self.entries)

    async def newest(self, offset: int, limit: int) -> list[AuditEntry]:
        return list(reversed(self.entries))[offset : offset + limit]


class InMemoryStaff:
    def __init__(self, people: list[KnownPerson] | None = None) -> None:
        self.managers: set[int] = set()
        self.owners: set[int] = set()  # appointed owners (among the managers)
        self.flags: dict[str, bool] = {}
        self.people = people or []
        self.loads = 0

    async def manager_ids(self) -> set[int]:
        self.loads += 1
        return set(self.managers)

    async def add_manager(self, telegram_id: int, added_by: int) -> bool:
        if telegram_id in self.managers:
            return False
        self.managers.add(telegram_id)
        return True

    async def remove_manager(self, telegram_id: int) -> bool:
        if telegram_id not in self.managers:
            return False
        self.managers.discard(telegram_id)
        self.owners.discard(telegram_id)
        return True

    async def appointed_owner_ids(self) -> set[int]:
        return set(self.owners)

    async def set_appointed_owner(self, telegram_id: int, owner: bool) -> None:
        if owner:
            self.owners.add(telegram_id)
        else:
            self.owners.discard(telegram_id)

    async def find_person(
        self, telegram_id: int | None, username: str | None
    ) -> KnownPerson | None:
        for p in self.people:
            if telegram_id is not None and p.telegram_id == telegram_id:
                return p
            if username and p.username and p.username.lower() == username.lower():
                return p
        return None

    async def get_flag(self, name: str, default: bool) -> bool:
        return self.flags.get(name, default)

    async def set_flag(self, name: str, value: bool) -> None:
        self.flags[name] = value
