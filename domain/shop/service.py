"""The shop's own details (name, description, photo) and the owner's setup checklist.

The details are what the owner types in the chat; until then the configured name
(SHOP__NAME) stands. The checklist's steps tick themselves from the real state of the shop
(categories exist, products exist, a paid order exists...), never from a "done" button, so an
owner who set the shop up some other way (CSV import, the web console) sees it done too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.kernel.money import money
from domain.kernel.shop import ShopProfile
from domain.staff.audit import AuditService

# Telegram's limits for setMyName, setMyDescription and setMyShortDescription.
NAME_LIMIT = 64
DESCRIPTION_LIMIT = 512
SHORT_DESCRIPTION_LIMIT = 120

StepKey = Literal["profile", "payments", "category", "product", "test_order", "share"]
STEPS: tuple[StepKey, ...] = ("profile", "payments", "category", "product", "test_order", "share")


@dataclass(frozen=True, slots=True)
class ShopDetails:
    name: str = ""  # "" until the owner names the shop: the configured name stands
    description: str = ""
    photo_file_id: str = ""  # a Telegram file id of the shop's photo
    shared: bool = False  # the owner has looked at the share links

    def short_description(self) -> str:
        """The description cut to Telegram's short-description limit."""
        text = " ".join(self.description.split())
        if len(text) <= SHORT_DESCRIPTION_LIMIT:
            return text
        return text[: SHORT_DESCRIPTION_LIMIT - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class ShopFacts:
    """What the checklist reads from the shop's real state."""

    categories: int
    products: int
    paid_orders: int
    first_product_id: int | None = None


@dataclass(frozen=True, slots=True)
class PaymentSetup:
    """How the shop takes money, from settings (PAYMENTS__*, CHECKOUT__MINOR_UNITS_PER_STAR)."""

    currency: str
    provider_token: str  # "" when card payments are off
    stars: bool
    minor_units_per_star: int

    @property
    def card_mode(self) -> Literal["off", "test", "live"]:
        """Telegram's test providers' tokens carry ":TEST:"; a live token charges real cards."""
        if not self.provider_token:
            return "off"
        return "test" if ":TEST:" in self.provider_token else "live"

    @property
    def configured(self) -> bool:
        return self.card_mode != "off" or self.stars

    @property
    def test_mode(self) -> bool:
        """A test order costs nothing real: a test card provider (Stars are always real)."""
        return self.card_mode == "test"

    def stars_for(self, amount: int) -> int:
        """Whole Stars for `amount` minor units of the currency (rounded up, at least 1),
        the rule invoices use (domain.orders.pricing.stars_amount)."""
        return max(math.ceil(amount / self.minor_units_per_star), 1)

    def rate_text(self, locale: str) -> str:
        """The rate as a person reads it: "2¢" is "$0.02" per Star."""
        return money(self.minor_units_per_star, self.currency, locale)


@dataclass(frozen=True, slots=True)
class Checklist:
    done: tuple[StepKey, ...]
    facts: ShopFacts
    details: ShopDetails

    @property
    def total(self) -> int:
        return len(STEPS)

    @property
    def complete(self) -> bool:
        return len(self.done) == len(STEPS)

    def is_done(self, step: StepKey) -> bool:
        return step in self.done


class ShopDetailsRepository(Protocol):
    async def get(self) -> ShopDetails:
        """The stored details (all empty when never set)."""
        ...

    async def save(self, details: ShopDetails) -> None: ...

    async def open_checklist(self, telegram_id: int) -> tuple[str, ...] | None:
        """The steps the owner's open checklist showed done; None when it isn't open."""
        ...

    async def set_open_checklist(self, telegram_id: int, done: tuple[str, ...] | None) -> None: ...


class ShopFactsSource(Protocol):
    async def facts(self) -> ShopFacts: ...


def clean_text(raw: str, limit: int, what: str) -> str:
    text = (raw or "").strip()
    if not text:
        raise ValidationError(N_("Please send the {what} as text."), what=what)
    if len(text) > limit:
        raise ValidationError(
            N_("That's too long: at most {limit} characters, please."), limit=limit
        )
    return text


class ShopSettingsService:
    """The shop's details and the setup checklist; every change is in the audit log."""

    def __init__(
        self,
        repo: ShopDetailsRepository,
        facts: ShopFactsSource,
        profile: ShopProfile,
        payments: PaymentSetup,
        audit: AuditService,
    ) -> None:
        self.repo = repo
        self.facts_source = facts
        self.profile = profile
        self.payments = payments
        self.audit = audit

    async def details(self) -> ShopDetails:
        return await self.repo.get()

    async def name(self) -> str:
        """The shop's name: the owner's, else the configured one."""
        return (await self.repo.get()).name or self.profile.name

    async def set_name(self, actor: int, raw: str) -> ShopDetails:
        name = clean_text(raw, NAME_LIMIT, N_("name"))
        return await self._change(actor, "shop.name", name=name)

    async def set_description(self, actor: int, raw: str) -> ShopDetails:
        text = clean_text(raw, DESCRIPTION_LIMIT, N_("description"))
        return await self._change(actor, "shop.description", description=text)

    async def set_photo(self, actor: int, file_id: str) -> ShopDetails:
        if not file_id:
            raise ValidationError(N_("Please send a photo."))
        return await self._change(actor, "shop.photo", photo_file_id=file_id)

    async def mark_shared(self) -> None:
        details = await self.repo.get()
        if not details.shared:
            await self.repo.save(replace(details, shared=True))

    async def _change(self, actor: int, action: str, **values: object) -> ShopDetails:
        details = replace(await self.repo.get(), **values)  # type: ignore[arg-type]
        await self.repo.save(details)
        shown: dict[str, object] = {k: v for k, v in values.items() if k != "photo_file_id"}
        await self.audit.record(actor, action, "shop", shown)
        return details

    async def shown(self, telegram_id: int, checklist: Checklist) -> None:
        """The owner was just shown `checklist`: it stays open until complete."""
        await self.repo.set_open_checklist(
            telegram_id, None if checklist.complete else checklist.done
        )

    async def newly_done(self, telegram_id: int) -> tuple[Checklist, list[StepKey]] | None:
        """For an owner whose checklist is open: the checklist now and the steps done since
        they last saw it (None when it isn't open)."""
        seen = await self.repo.open_checklist(telegram_id)
        if seen is None:
            return None
        checklist = await self.checklist()
        return checklist, [s for s in checklist.done if s not in seen]

    async def checklist(self) -> Checklist:
        """Which steps are done, read from the shop as it is now."""
        details = await self.repo.get()
        facts = await self.facts_source.facts()
        done_if: dict[StepKey, bool] = {
            "profile": bool(details.name and details.description),
            "payments": self.payments.configured,
            "category": facts.categories > 0,
            "product": facts.products > 0,
            "test_order": facts.paid_orders > 0,
            "share": details.shared,
        }
        return Checklist(tuple(s for s in STEPS if done_if[s]), facts, details)
