"""The user repository on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import asyncio

import pytest

from domain.kernel.errors import LimitReached
from domain.users.service import (
    MAX_ADDRESSES,
    AddressDraft,
    TelegramIdentity,
    UserService,
    parse_start_payload,
)
from storage.models import AddressRow, UserRow
from storage.users import TortoiseUserRepository

ALICE = TelegramIdentity(
    telegram_id=5_000_000_001,
    first_name="Alice",
    last_name="Liddell",
    username="alice",
    language_code="zh-hans",
)
HOME = AddressDraft(
    recipient="Alice 🌸",
    phone="+15551234567",
    city="Oxford",
    street="Christ Church, St Aldates",
    postcode="OX1 1DP",
)


@pytest.fixture
def users(db: str) -> UserService:
    return UserService(TortoiseUserRepository())


async def test_upsert_creates_once_and_refreshes(users: UserService) -> None:
    first, is_new = await users.seen(ALICE)
    assert is_new and first.locale == "zh" and first.telegram_id == ALICE.telegram_id
    renamed = TelegramIdentity(
        telegram_id=ALICE.telegram_id, first_name="Alicia", language_code="zh-hans"
    )
    again, is_new = await users.seen(renamed)
    assert not is_new and again.id == first.id and again.first_name == "Alicia"
    assert await UserRow.all().count() == 1


async def test_concurrent_first_updates_create_one_user(users: UserService) -> None:
    results = await asyncio.gather(*(users.seen(ALICE) for _ in range(10)))
    assert len({user.id for user, _ in results}) == 1
    assert sum(is_new for _, is_new in results) >= 1
    assert await UserRow.all().count() == 1


async def test_referrer_is_recorded_once(users: UserService) -> None:
    bob, _ = await users.seen(TelegramIdentity(telegram_id=42, first_name="Bob"))
    carol, _ = await users.seen(TelegramIdentity(telegram_id=43, first_name="Carol"))
    alice, is_new = await users.seen(ALICE)
    payloads = [
        parse_start_payload(f"ref_{bob.referral_code}"),
        parse_start_payload(f"ref_{carol.referral_code}"),
    ]
    results = await asyncio.gather(*(users.register(alice, is_new, p) for p in payloads))
    assert sorted(r.referral or "" for r in results) == ["ignored", "recorded"]
    stored = await UserRow.get(telegram_id=ALICE.telegram_id)
    assert stored.referrer_id in (bob.id, carol.id)  # type: ignore[attr-defined]


async def test_profile_changes_persist(users: UserService) -> None:
    alice, _ = await users.seen(ALICE)
    await users.rename(alice.id, "أليس 🌸")
    await users.set_phone(alice.id, "+44 20 7946 0958")
    await users.set_language(alice.id, "en")
    await users.set_marketing(alice.id, True)
    stored = await users.get(alice.id)
    assert (stored.name, stored.phone, stored.locale, stored.marketing_opt_in) == (
        "أليس 🌸",
        "+442079460958",
        "en",
        True,
    )


async def test_address_limit_holds_under_concurrency(users: UserService) -> None:
    alice, _ = await users.seen(ALICE)
    outcomes = await asyncio.gather(
        *(users.add_address(alice.id, HOME) for _ in range(MAX_ADDRESSES + 5)),
        return_exceptions=True,
    )
    assert sum(isinstance(o, LimitReached) for o in outcomes) == 5
    assert await AddressRow.filter(user_id=alice.id).count() == MAX_ADDRESSES
    assert await AddressRow.filter(user_id=alice.id, is_default=True).count() == 1


async def test_forged_address_ids_reach_nothing(users: UserService) -> None:
    alice, _ = await users.seen(ALICE)
    bob, _ = await users.seen(TelegramIdentity(telegram_id=42, first_name="Bob"))
    address = await users.add_address(alice.id, HOME)
    repo = TortoiseUserRepository()
    assert await repo.get_address(bob.id, address.id) is None
    assert not await repo.delete_address(bob.id, address.id)
    assert not await repo.update_address(bob.id, address.id, HOME)
    assert not await repo.set_default_address(bob.id, address.id)
    assert await AddressRow.filter(id=address.id).count() == 1


async def test_deleting_the_default_promotes_another(users: UserService) -> None:
    alice, _ = await users.seen(ALICE)
    first = await users.add_address(alice.id, HOME)
    second = await users.add_address(alice.id, HOME)
    await users.delete_address(alice.id, first.id)
    remaining = await users.addresses(alice.id)
    assert [(a.id, a.is_default) for a in remaining] == [(second.id, True)]
