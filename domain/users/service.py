"""Shoppers: registration, profile, referral, addresses."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from domain.kernel.errors import LimitReached, NotFound, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import clean_line

MAX_ADDRESSES = 10
SUPPORTED_LANGUAGES = ("en", "zh")
_REFERRAL_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass(frozen=True, slots=True)
class TelegramIdentity:
    """What Telegram tells us about the person behind an update."""

    telegram_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class User:
    id: int
    telegram_id: int
    first_name: str
    last_name: str | None
    username: str | None
    language: str | None  # chosen in the bot; None means "follow Telegram's"
    telegram_language: str | None
    phone: str | None
    display_name: str | None  # the name the shopper typed for orders, if any
    marketing_opt_in: bool
    is_blocked: bool
    referral_code: str
    referrer_id: int | None
    created_at: datetime
    last_seen_at: datetime

    @property
    def name(self) -> str:
        if self.display_name:
            return self.display_name
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def locale(self) -> str:
        return resolve_language(self.language or self.telegram_language)


@dataclass(frozen=True, slots=True)
class AddressDraft:
    """An address as typed, before it is stored."""

    recipient: str
    phone: str
    city: str
    street: str
    postcode: str | None = None


@dataclass(frozen=True, slots=True)
class Address(AddressDraft):
    id: int = 0
    user_id: int = 0
    is_default: bool = False

    def one_line(self) -> str:
        parts = [self.street, self.city, self.postcode or ""]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Registration:
    """Result of /start: the user, whether they are new, and what happened to a referral."""

    user: User
    is_new: bool
    referral: str | None = None  # "recorded", "self", "unknown", "ignored" or None
    notes: list[str] = field(default_factory=list)


class UserRepository(Protocol):
    async def get_by_telegram_id(self, telegram_id: int) -> User | None: ...

    async def get_by_referral_code(self, code: str) -> User | None: ...

    async def get(self, user_id: int) -> User | None: ...

    async def upsert_seen(
        self, identity: TelegramIdentity, referral_code: str
    ) -> tuple[User, bool]:
        """Create the user if absent (returns is_new True) else refresh names and last seen."""
        ...

    async def set_referrer_once(self, user_id: int, referrer_id: int) -> bool:
        """Set the referrer only if none is set yet; True when this call set it."""
        ...

    async def update_profile(self, user_id: int, **changes: object) -> User: ...

    async def list_addresses(self, user_id: int) -> list[Address]: ...

    async def get_address(self, user_id: int, address_id: int) -> Address | None: ...

    async def add_address(self, user_id: int, draft: AddressDraft, limit: int) -> Address | None:
        """Store the address unless the user already has `limit`; None when over the limit."""
        ...

    async def update_address(self, user_id: int, address_id: int, draft: AddressDraft) -> bool: ...

    async def delete_address(self, user_id: int, address_id: int) -> bool: ...

    async def set_default_address(self, user_id: int, address_id: int) -> bool: ...


def resolve_language(code: str | None) -> str:
    """Map a Telegram language code (e.g. 'zh-hans', 'en-US') to a supported catalogue."""
    if not code:
        return SUPPORTED_LANGUAGES[0]
    base = code.lower().replace("_", "-").split("-")[0]
    return base if base in SUPPORTED_LANGUAGES else SUPPORTED_LANGUAGES[0]


def new_referral_code() -> str:
    """An 8-character code that is unguessable and readable aloud (no 0/o, 1/l/i)."""
    return "".join(secrets.choice(_REFERRAL_ALPHABET) for _ in range(8))


# ---- start payloads ---------------------------------------------------------------------------

_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class StartPayload:
    kind: str  # "none", "referral", "product" or "invalid"
    value: str = ""

    @property
    def product_id(self) -> int:
        return int(self.value)


def parse_start_payload(raw: str | None) -> StartPayload:
    """Understand a deep-link payload; anything unexpected is 'invalid', never an exception."""
    if raw is None or raw.strip() == "":
        return StartPayload("none")
    raw = raw.strip()
    if not _PAYLOAD_RE.fullmatch(raw):
        return StartPayload("invalid", raw[:64])
    if raw.startswith("ref_") and re.fullmatch(r"[a-z0-9]{4,32}", raw[4:]):
        return StartPayload("referral", raw[4:])
    if raw.startswith("p_") and re.fullmatch(r"[1-9][0-9]{0,17}", raw[2:]):
        return StartPayload("product", raw[2:])
    return StartPayload("invalid", raw)


class UserService:
    """Registration and profile rules over a UserRepository."""

    def __init__(self, repo: UserRepository) -> None:
        self.repo = repo

    async def seen(self, identity: TelegramIdentity) -> tuple[User, bool]:
        """Upsert the user behind an update; returns (user, is_new)."""
        return await self.repo.upsert_seen(identity, new_referral_code())

    async def register(self, user: User, is_new: bool, payload: StartPayload) -> Registration:
        """Handle /start for a user just upserted by `seen`: record a referrer once, if new.

        Only a brand-new user can be referred, so an existing customer can't be "claimed" by
        whoever sends them a link later; self-referrals and unknown codes are reported.
        """
        if payload.kind != "referral":
            return Registration(user, is_new)
        referrer = await self.repo.get_by_referral_code(payload.value)
        if referrer is None:
            return Registration(user, is_new, referral="unknown")
        if referrer.id == user.id:
            return Registration(user, is_new, referral="self")
        if not is_new or user.referrer_id is not None:
            return Registration(user, is_new, referral="ignored")
        if not await self.repo.set_referrer_once(user.id, referrer.id):
            return Registration(user, is_new, referral="ignored")
        return Registration(replace(user, referrer_id=referrer.id), is_new, referral="recorded")

    async def get(self, user_id: int) -> User:
        user = await self.repo.get(user_id)
        if user is None:
            raise NotFound()
        return user

    async def rename(self, user_id: int, raw_name: str) -> User:
        name = clean_line(raw_name, field=N_("Name"), max_len=64)
        return await self.repo.update_profile(user_id, display_name=name)

    async def set_phone(self, user_id: int, raw_phone: str) -> User:
        return await self.repo.update_profile(user_id, phone=normalise_phone(raw_phone))

    async def set_language(self, user_id: int, language: str) -> User:
        if language not in SUPPORTED_LANGUAGES:
            raise ValidationError(N_("That language isn't available."))
        return await self.repo.update_profile(user_id, language=language)

    async def set_marketing(self, user_id: int, opt_in: bool) -> User:
        return await self.repo.update_profile(user_id, marketing_opt_in=opt_in)

    async def mark_blocked(self, user_id: int, blocked: bool) -> User:
        return await self.repo.update_profile(user_id, is_blocked=blocked)

    # ---- addresses ----

    async def addresses(self, user_id: int) -> list[Address]:
        return await self.repo.list_addresses(user_id)

    async def address(self, user_id: int, address_id: int) -> Address:
        found = await self.repo.get_address(user_id, address_id)
        if found is None:
            raise NotFound(N_("That address doesn't exist (any more)."))
        return found

    async def add_address(self, user_id: int, draft: AddressDraft) -> Address:
        stored = await self.repo.add_address(user_id, validate_address(draft), MAX_ADDRESSES)
        if stored is None:
            raise LimitReached(
                N_("You can keep at most {limit} addresses. Delete one first."),
                limit=MAX_ADDRESSES,
            )
        return stored

    async def update_address(self, user_id: int, address_id: int, draft: AddressDraft) -> Address:
        if not await self.repo.update_address(user_id, address_id, validate_address(draft)):
            raise NotFound(N_("That address doesn't exist (any more)."))
        return await self.address(user_id, address_id)

    async def delete_address(self, user_id: int, address_id: int) -> None:
        if not await self.repo.delete_address(user_id, address_id):
            raise NotFound(N_("That address doesn't exist (any more)."))

    async def make_default_address(self, user_id: int, address_id: int) -> None:
        if not await self.repo.set_default_address(user_id, address_id):
            raise NotFound(N_("That address doesn't exist (any more)."))


_PHONE_STRIP = re.compile(r"[\s().-]")


def normalise_phone(raw: str) -> str:
    """Keep a leading + and digits; 7-15 digits as E.164 allows."""
    text = _PHONE_STRIP.sub("", (raw or "").strip())
    digits = text[1:] if text.startswith("+") else text
    if not digits.isascii() or not digits.isdigit() or not 7 <= len(digits) <= 15:
        raise ValidationError(
            N_("That doesn't look like a phone number. Use digits, e.g. +1 555 123 4567.")
        )
    return "+" + digits


def validate_postcode(raw: str | None) -> str | None:
    if raw is None or raw.strip() in ("", "-"):
        return None
    code = " ".join(raw.split()).upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9 -]{1,11}", code):
        raise ValidationError(
            N_("A postcode is 2-12 letters or digits (spaces and dashes allowed).")
        )
    return code


ADDRESS_FIELDS = ("recipient", "phone", "city", "street", "postcode")


def validate_address_field(name: str, raw: str | None) -> str | None:
    """Check one field as it is typed, so the dialog can ask again for just that field."""
    if name == "recipient":
        return clean_line(raw or "", field=N_("Recipient"), max_len=64)
    if name == "phone":
        return normalise_phone(raw or "")
    if name == "city":
        return clean_line(raw or "", field=N_("City"), max_len=64, min_len=2)
    if name == "street":
        return clean_line(raw or "", field=N_("Street address"), max_len=128, min_len=3)
    if name == "postcode":
        return validate_postcode(raw)
    raise ValueError(f"unknown address field {name!r}")


def validate_address(draft: AddressDraft) -> AddressDraft:
    """Check every field of an address; raises ValidationError naming the bad field."""
    values = {name: validate_address_field(name, getattr(draft, name)) for name in ADDRESS_FIELDS}
    return AddressDraft(**values)  # type: ignore[arg-type]
