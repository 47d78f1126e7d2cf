"""StaffRepository and AuditRepository on Tortoise."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Lower
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.staff.audit import AuditEntry, AuditFilter
from domain.staff.service import KnownPerson
from storage.admin.models import AuditRow, ManagerRow, ShopFlagRow
from storage.columns import int_column
from storage.models import UserRow

# An owner appointed in the console or chat (beyond ADMIN_IDS) is a manager row plus this
# switch: a role is one more fact about a staff member, kept without a schema change.
OWNER_FLAG = "owner:"


def _owner_flag(telegram_id: int) -> str:
    return f"{OWNER_FLAG}{telegram_id}"


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
        async with in_transaction():
            await ShopFlagRow.filter(name=_owner_flag(telegram_id)).delete()
            return await ManagerRow.filter(telegram_id=telegram_id).delete() > 0

    async def appointed_owner_ids(self) -> set[int]:
        names = await ShopFlagRow.filter(name__startswith=OWNER_FLAG, value=True).values_list(
            "name", flat=True
        )
        return {int(str(n)[len(OWNER_FLAG) :]) for n in names}

    async def set_appointed_owner(self, telegram_id: int, owner: bool) -> None:
        if owner:
            await self.set_flag(_owner_flag(telegram_id), True)
        else:
            await ShopFlagRow.filter(name=_owner_flag(telegram_id)).delete()

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


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        row.id, row.actor, row.action, row.target, dict(row.details or {}), row.created_at
    )


def _narrowed(where: AuditFilter | None) -> QuerySet[AuditRow]:
    query = AuditRow.all()
    if where is None:
        return query
    if where.actor is not None:
        query = query.filter(actor=where.actor)
    if where.action:
        if "." in where.action:
            query = query.filter(action=where.action)
        else:  # a family: "staff" means every "staff.*" action
            query = query.filter(Q(action=where.action) | Q(action__startswith=f"{where.action}."))
    if where.since is not None:
        query = query.filter(created_at__gte=where.since)
    if where.until is not None:
        query = query.filter(created_at__lt=where.until)
    return query


class TortoiseAuditRepository:
    async def add(self, actor: int, action: str, target: str, details: dict[str, object]) -> None:
        await AuditRow.create(actor=actor, action=action[:64], target=target[:64], details=details)

    async def count(self, where: AuditFilter | None = None) -> int:
        return await _narrowed(where).count()

    async def newest(
        self, offset: int, limit: int, where: AuditFilter | None = None
    ) -> list[AuditEntry]:
        rows = await _narrowed(where).order_by("-id").offset(offset).limit(limit)
        return [_entry(r) for r in rows]

    async def actions(self) -> list[str]:
        names = await AuditRow.all().distinct().values_list("action", flat=True)
        return sorted(str(n) for n in names)

    async def actors(self) -> list[int]:
        ids = await AuditRow.all().distinct().values_list("actor", flat=True)
        return sorted(int(str(i)) for i in ids)
