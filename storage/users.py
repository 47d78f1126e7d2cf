"""UserRepository on Tortoise: users and their addresses."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.users.service import Address, AddressDraft, TelegramIdentity, User
from storage.compiled import CompiledGet, CompiledRows
from storage.models import AddressRow, UserRow

# last_seen is for reports and "inactive for N days" audiences: minute precision is plenty, and
# not rewriting the row on every update keeps the hot path to a single indexed read.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)
_BY_TELEGRAM_ID = CompiledGet(UserRow, "telegram_id")  # every update reads it
_BY_ID = CompiledGet(UserRow, "id")  # telling a buyer about their order
_ADDRESSES = CompiledRows(  # the checkout's address step
    AddressRow, lambda rows, user_id: rows.filter(user_id=user_id).order_by("id"), int
)
_ADDRESS = CompiledGet(AddressRow, "id", "user_id")  # only the owner's: forged ids find nothing


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        telegram_id=row.telegram_id,
        first_name=row.first_name,
        last_name=row.last_name,
        username=row.username,
        language=row.language,
        telegram_language=row.telegram_language,
        phone=row.phone,
        display_name=row.display_name,
        marketing_opt_in=row.marketing_opt_in,
        is_blocked=row.is_blocked,
        referral_code=row.referral_code,
        referrer_id=row.referrer_id,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
    )


def _address(row: AddressRow) -> Address:
    return Address(
        id=row.id,
        user_id=row.user_id,
        recipient=row.recipient,
        phone=row.phone,
        city=row.city,
        street=row.street,
        postcode=row.postcode,
        is_default=row.is_default,
    )


class TortoiseUserRepository:
    async def get(self, user_id: int) -> User | None:
        row = await _BY_ID.get(user_id)
        return _user(row) if row else None

    async def get_by_telegram_id(self, telegram_id: int) -> User | None:
        row = await UserRow.get_or_none(telegram_id=telegram_id)
        return _user(row) if row else None

    async def get_by_referral_code(self, code: str) -> User | None:
        row = await UserRow.get_or_none(referral_code=code)
        return _user(row) if row else None

    async def upsert_seen(
        self, identity: TelegramIdentity, referral_code: str
    ) -> tuple[User, bool]:
        now = datetime.now(UTC)
        row = await _BY_TELEGRAM_ID.get(identity.telegram_id)
        if row is None:
            try:
                row = await UserRow.create(
                    telegram_id=identity.telegram_id,
                    first_name=identity.first_name[:128],
                    last_name=(identity.last_name or None) and identity.last_name[:128],
                    username=identity.username,
                    telegram_language=identity.language_code,
                    referral_code=referral_code,
                    last_seen_at=now,
                )
                return _user(row), True
            except IntegrityError:
                # Two updates of a brand-new user raced; the other one created the row.
                row = await UserRow.get(telegram_id=identity.telegram_id)
        changes: dict[str, object] = {}
        fresh: dict[str, object] = {
            "first_name": identity.first_name[:128],
            "last_name": (identity.last_name or None) and identity.last_name[:128],
            "username": identity.username,
            "telegram_language": identity.language_code,
        }
        for key, value in fresh.items():
            if getattr(row, key) != value:
                changes[key] = value
        if row.is_blocked:
            changes["is_blocked"] = False  # they wrote to us, so they unblocked the bot
        if changes or now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
            changes["last_seen_at"] = now
            await UserRow.filter(id=row.id).update(**changes)
            for key, value in changes.items():
                setattr(row, key, value)
        return _user(row), False

    async def set_referrer_once(self, user_id: int, referrer_id: int) -> bool:
        updated = await UserRow.filter(id=user_id, referrer_id=None).update(
            referrer_id=referrer_id
        )
        return updated == 1

    async def update_profile(self, user_id: int, **changes: object) -> User:
        await UserRow.filter(id=user_id).update(**changes)
        return _user(await UserRow.get(id=user_id))

    async def list_addresses(self, user_id: int) -> list[Address]:
        rows = await _ADDRESSES.models(user_id)
        return [_address(r) for r in rows]

    async def get_address(self, user_id: int, address_id: int) -> Address | None:
        row = await _ADDRESS.get(address_id, user_id)  # checkout reads it at every step
        return _address(row) if row else None

    async def add_address(self, user_id: int, draft: AddressDraft, limit: int) -> Address | None:
        async with in_transaction():
            # Lock the owner so two concurrent adds can't both see 9 and make 11 (PostgreSQL);
            # on SQLite Tortoise serialises transactions on its single connection.
            await UserRow.filter(id=user_id).select_for_update().first()
            count = await AddressRow.filter(user_id=user_id).count()
            if count >= limit:
                return None
            row = await AddressRow.create(user_id=user_id, is_default=count == 0, **asdict(draft))
        return _address(row)

    async def update_address(self, user_id: int, address_id: int, draft: AddressDraft) -> bool:
        updated = await AddressRow.filter(id=address_id, user_id=user_id).update(**asdict(draft))
        return updated == 1

    async def delete_address(self, user_id: int, address_id: int) -> bool:
        async with in_transaction():
            row = await AddressRow.get_or_none(id=address_id, user_id=user_id)
            if row is None:
                return False
            await row.delete()
            if row.is_default:
                newest = await AddressRow.filter(user_id=user_id).order_by("-id").first()
                if newest is not None:
                    await AddressRow.filter(id=newest.id).update(is_default=True)
        return True

    async def set_default_address(self, user_id: int, address_id: int) -> bool:
        async with in_transaction():
            if not await AddressRow.exists(id=address_id, user_id=user_id):
                return False
            await AddressRow.filter(user_id=user_id).update(is_default=False)
            await AddressRow.filter(id=address_id, user_id=user_id).update(is_default=True)
        return True
