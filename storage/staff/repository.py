"""StaffRepository and AuditRepository on Tortoise."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.functions import Lower

from domain.staff.audit import AuditEntry
from domain.staff.service import KnownPerson
from storage.admin.models import AuditRow, ManagerRow, ShopFlagRow
from storage.columns import int_column
from storage.models import UserRow


def _person(row: UserRow) -> KnownPerson:
    name = row.display_name or " ".join(p for p in (row.first_name, row.last_name) if p)
    return KnownPerson(row.telegram_id, name, row.username)


class TortoiseStaffRepository:
    async def manager_ids(self) -> set[int]:
        return set(await int_column(ManagerRow.all(), "telegram_id"))

    async def add_manager(self, telegram_id: int, added_by: int) -> bool:
        if await ManagerRow.exists(telegram_id=telegram_id):
            return False
        try:
            await ManagerRow.create(telegram_id=telegram_id, added_by=added_by)
        except IntegrityError:  # two owners added the same person at once: they are a manager
            return False
        return True

    async def remove_manager(self, telegram_id: int) -> bool:
        return await ManagerRow.filter(telegram_id=telegram_id).delete() > 0

    async def find_person(
        self, telegram_id: int | None, username: str | None
    ) -> KnownPerson | None:
        if telegram_id is not None:
            row = await UserRow.get_or_none(telegram_id=telegram_id)
        elif username:
            row = (
                await UserRow.annotate(lower_name=Lower("username"))
                .filter(lower_name=username.lower())
                .order_by("-last_seen_at")
                .first()
            )
        else:
            row = None
        return _person(row) if row is not None else None

    async def get_flag(self, name: str, default: bool) -> bool:
        row = await ShopFlagRow.get_or_none(name=name)
        return default if row is None else row.value

    async def set_flag(self, name: str, value: bool) -> None:
        if not await ShopFlagRow.filter(name=name).update(value=value):
            try:
                await ShopFlagRow.create(name=name, value=value)
            except IntegrityError:
                await ShopFlagRow.filter(name=name).update(value=value)


class TortoiseAuditRepository:
    async def add(self, actor: int, action: str, target: str, details: dict[str, object]) -> None:
        await AuditRow.create(actor=actor, action=action[:64], target=target[:64], details=details)

    async def count(self) -> int:
        return await AuditRow.all().count()

    async def newest(self, offset: int, limit: int) -> list[AuditEntry]:
        rows = await AuditRow.all().order_by("-id").offset(offset).limit(limit)
        return [
            AuditEntry(r.id, r.actor, r.action, r.target, dict(r.details or {}), r.created_at)
            for r in rows
        ]
