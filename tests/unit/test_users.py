"""Registration, referral, profile and address rules, against an in-memory repository."""

from __future__ import annotations

import pytest

from domain.kernel.errors import LimitReached, NotFound, ValidationError
from domain.users.service import (
    MAX_ADDRESSES,
    AddressDraft,
    TelegramIdentity,
    UserService,
    normalise_phone,
    parse_start_payload,
    resolve_language,
)
from tests.unit.fakes import InMemoryUserRepository

ALICE = TelegramIdentity(telegram_id=1001, first_name="Alice", language_code="en")
BOB = TelegramIdentity(telegram_id=1002, first_name="Bob", language_code="zh-hans")
HOME = AddressDraft(
    recipient="Alice A",
    phone="+1 555 123 4567",
    city="Springfield",
    street="742 Evergreen Terrace",
    postcode="49007",
)


@pytest.fixture
def users() -> UserService:
    return UserService(InMemoryUserRepository())


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        (None, "none", ""),
        ("", "none", ""),
        ("ref_abcd2345", "referral", "abcd2345"),
        ("p_42", "product", "42"),
        ("p_0", "invalid", "p_0"),
        ("p_-1", "invalid", "p_-1"),
        ("ref_", "invalid", "ref_"),
        ("hello", "invalid", "hello"),
        ("ref_x' OR 1=1 --", "invalid", "ref_x' OR 1=1 --"),
        ("x" * 65, "invalid", "x" * 64),
        ("p_99999999999999999999", "invalid", "p_99999999999999999999"),
    ],
)
def test_start_payload_parsing(raw: str | None, kind: str, value: str) -> None:
    payload = parse_start_payload(raw)
    assert (payload.kind, payload.value) == (kind, value)


async def test_new_user_referral_is_recorded_once(users: UserService) -> None:
    bob, _ = await users.seen(BOB)
    alice, is_new = await users.seen(ALICE)
    result = await users.register(alice, is_new, parse_start_payload(f"ref_{bob.referral_code}"))
    assert result.referral == "recorded"
    assert result.user.referrer_id == bob.id
    # The same link again (or a different one) never changes the referrer.
    carol, _ = await users.seen(TelegramIdentity(telegram_id=1003, first_name="Carol"))
    again, is_new = await users.seen(ALICE)
    second = await users.register(again, is_new, parse_start_payload(f"ref_{carol.referral_code}"))
    assert second.referral == "ignored"
    assert (await users.get(alice.id)).referrer_id == bob.id


async def test_self_and_unknown_referrals_are_refused(users: UserService) -> None:
    alice, is_new = await users.seen(ALICE)
    self_ref = await users.register(
        alice, is_new, parse_start_payload(f"ref_{alice.referral_code}")
    )
    assert self_ref.referral == "self"
    unknown = await users.register(alice, is_new, parse_start_payload("ref_zzzzzzzz"))
    assert unknown.referral == "unknown"
    assert (await users.get(alice.id)).referrer_id is None


async def test_existing_user_cannot_be_claimed_by_a_later_link(users: UserService) -> None:
    alice, _ = await users.seen(ALICE)
    bob, _ = await users.seen(BOB)
    result = await users.register(alice, False, parse_start_payload(f"ref_{bob.referral_code}"))
    assert result.referral == "ignored"
    assert (await users.get(alice.id)).referrer_id is None


@pytest.mark.parametrize("name", ["Zoë 🌸", "أحمد الفلاني", "שרה כהן", "王小明", "A"])
async def test_names_keep_emoji_and_rtl(users: UserService, name: str) -> None:
    alice, _ = await users.seen(ALICE)
    assert (await users.rename(alice.id, f"  {name}  ")).name == name


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "x" * 5000, "bad\x00name", "a\u202ebc"])
async def test_bad_names_are_refused_and_nothing_changes(users: UserService, name: str) -> None:
    alice, _ = await users.seen(ALICE)
    with pytest.raises(ValidationError):
        await users.rename(alice.id, name)
    assert (await users.get(alice.id)).display_name is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 555 123 4567", "+15551234567"),
        ("8613800138000", "+8613800138000"),
        ("(020) 7946-0958", "+02079460958"),
    ],
)
def test_phone_normalisation(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "+1 555 CALL ME", "١٢٣٤٥٦٧٨٩", "+" + "9" * 16])
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        normalise_phone(raw)


def test_language_resolution() -> None:
    assert resolve_language("zh-hans") == "zh"
    assert resolve_language("en-US") == "en"
    assert resolve_language("fr") == "en"
    assert resolve_language(None) == "en"


async def test_address_limit_and_default(users: UserService) -> None:
    alice, _ = await users.seen(ALICE)
    first = await users.add_address(alice.id, HOME)
    assert first.is_default and first.phone == "+15551234567"
    for _ in range(MAX_ADDRESSES - 1):
        await users.add_address(alice.id, HOME)
    with pytest.raises(LimitReached):
        await users.add_address(alice.id, HOME)
    assert len(await users.addresses(alice.id)) == MAX_ADDRESSES
    await users.delete_address(alice.id, first.id)
    remaining = await users.addresses(alice.id)
    assert sum(a.is_default for a in remaining) == 1


async def test_addresses_of_others_are_invisible(users: UserService) -> None:
    alice, _ = await users.seen(ALICE)
    bob, _ = await users.seen(BOB)
    address = await users.add_address(alice.id, HOME)
    with pytest.raises(NotFound):
        await users.address(bob.id, address.id)
    with pytest.raises(NotFound):
        await users.delete_address(bob.id, address.id)
    with pytest.raises(NotFound):
        await users.update_address(bob.id, address.id, HOME)
    assert len(await users.addresses(alice.id)) == 1


@pytest.mark.parametrize(
    "draft",
    [
        AddressDraft("", "+15551234567", "Paris", "1 Rue de Rivoli"),
        AddressDraft("Ann", "nope", "Paris", "1 Rue de Rivoli"),
        AddressDraft("Ann", "+15551234567", "P", "1 Rue de Rivoli"),
        AddressDraft("Ann", "+15551234567", "Paris", "x" * 129),
        AddressDraft("Ann", "+15551234567", "Paris", "1 Rue", postcode="!!!"),
    ],
)
async def test_invalid_addresses_are_refused(users: UserService, draft: AddressDraft) -> None:
    alice, _ = await users.seen(ALICE)
    with pytest.raises(ValidationError):
        await users.add_address(alice.id, draft)
    assert await users.addresses(alice.id) == []


async def test_rtl_and_emoji_address(users: UserService) -> None:
    alice, _ = await users.seen(ALICE)
    draft = AddressDraft("سارة 🌷", "+971501234567", "دبي", "شارع الشيخ زايد 12", None)
    stored = await users.add_address(alice.id, draft)
    assert stored.city == "دبي" and stored.recipient == "سارة 🌷"
