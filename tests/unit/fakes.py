"""In-memory implementations of the domain's repository Protocols, for fast unit tests."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime

from domain.users.service import Address, AddressDraft, TelegramIdentity, User


class InMemoryUserRepository:
    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self.addresses: dict[int, Address] = {}
        self._next_user = 1
        self._next_address = 1

    async def get(self, user_id: int) -> User | None:
        return self.users.get(user_id)

    async def get_by_telegram_id(self, telegram_id: int) -> User | None:
        return next((u for u in self.users.values() if u.telegram_id == telegram_id), None)

    async def get_by_referral_code(self, code: str) -> User | None:
        return next((u for u in self.users.values() if u.referral_code == code), None)

    async def upsert_seen(
        self, identity: TelegramIdentity, referral_code: str
    ) -> tuple[User, bool]:
        now = datetime.now(UTC)
        existing = await self.get_by_telegram_id(identity.telegram_id)
        if existing is not None:
            updated = replace(existing, first_name=identity.first_name, last_seen_at=now)
            self.users[existing.id] = updated
            return updated, False
        user = User(
            id=self._next_user,
            telegram_id=identity.telegram_id,
            first_name=identity.first_name,
            last_name=identity.last_name,
            username=identity.username,
            language=None,
            telegram_language=identity.language_code,
            phone=None,
            display_name=None,
            marketing_opt_in=False,
            is_blocked=False,
            referral_code=referral_code,
            referrer_id=None,
            created_at=now,
            last_seen_at=now,
        )
        self.users[user.id] = user
        self._next_user += 1
        return user, True

    async def set_referrer_once(self, user_id: int, referrer_id: int) -> bool:
        user = self.users[user_id]
        if user.referrer_id is not None:
            return False
        self.users[user_id] = replace(user, referrer_id=referrer_id)
        return True

    async def update_profile(self, user_id: int, **changes: object) -> User:
        self.users[user_id] = replace(self.users[user_id], **changes)  # type: ignore[arg-type]
        return self.users[user_id]

    async def list_addresses(self, user_id: int) -> list[Address]:
        return [a for a in self.addresses.values() if a.user_id == user_id]

    async def get_address(self, user_id: int, address_id: int) -> Address | None:
        found = self.addresses.get(address_id)
        return found if found is not None and found.user_id == user_id else None

    async def add_address(self, user_id: int, draft: AddressDraft, limit: int) -> Address | None:
        count = len(await self.list_addresses(user_id))
        if count >= limit:
            return None
        address = Address(
            **asdict(draft), id=self._next_address, user_id=user_id, is_default=count == 0
        )
        self.addresses[address.id] = address
        self._next_address += 1
        return address

    async def update_address(self, user_id: int, address_id: int, draft: AddressDraft) -> bool:
        if await self.get_address(user_id, address_id) is None:
            return False
        old = self.addresses[address_id]
        self.addresses[address_id] = replace(old, **asdict(draft))
        return True

    async def delete_address(self, user_id: int, address_id: int) -> bool:
        found = await self.get_address(user_id, address_id)
        if found is None:
            return False
        del self.addresses[address_id]
        if found.is_default:
            rest = await self.list_addresses(user_id)
            if rest:
                newest = max(rest, key=lambda a: a.id)
                self.addresses[newest.id] = replace(newest, is_default=True)
        return True

    async def set_default_address(self, user_id: int, address_id: int) -> bool:
        if await self.get_address(user_id, address_id) is None:
            return False
        for address in await self.list_addresses(user_id):
            self.addresses[address.id] = replace(address, is_default=address.id == address_id)
        return True
