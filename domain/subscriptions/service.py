"""Subscriptions in Telegram Stars: plans, invoice links, charges, cancel/re-enable, lapses,
refunds, and the benefits a live subscription grants.

Every charge is recorded once under its unique telegram_payment_charge_id, in the same
transaction as what it does to the subscription (start, renew, or nothing when it must be
refunded), so a repeated successful_payment changes nothing. Telegram is asked to cancel,
re-enable or refund through a `StarsGateway` the adapter passes in (the chat's Bot); the
database is changed only after Telegram said yes.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.catalog.types import Localized
from domain.kernel.errors import DomainError, NotFound, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.signing import PayloadMac
from domain.kernel.text import whole_number
from domain.staff.audit import AuditService
from domain.subscriptions.rules import (
    MAX_STARS,
    PERIOD_SECONDS,
    STARS,
    Benefit,
    ChargeKind,
    Decision,
    Plan,
    Subscription,
    SubStatus,
    can_cancel,
    can_resume,
    decide,
    from_unix,
    lapse_cutoff,
    next_expiry,
)

PAYLOAD_PREFIX = "sub."
BATCH = 200
_LINK_RE = re.compile(r"^https://[^\s/]+/\S{1,200}$")
_CHANNEL_RE = re.compile(r"^-100\d{5,15}$")  # a channel's or supergroup's chat id


class SubscriptionNotFound(NotFound):
    message = N_("That subscription doesn't exist.")


class PlanNotFound(NotFound):
    message = N_("That subscription plan doesn't exist.")


class AlreadySubscribed(DomainError):
    message = N_("You are already subscribed to this plan.")


class SubscriptionRefused(DomainError):
    """Pre-checkout said no to a subscription payment (shown in Telegram's payment form)."""

    message = N_("This subscription can't be paid now. Please open it again from /profile.")


class DuplicateCharge(Exception):
    """This telegram_payment_charge_id is already recorded (not a DomainError: no message)."""


class SubscriptionMoved(Exception):
    """The subscription changed between reading and writing (e.g. cancelled meanwhile)."""


@dataclass(frozen=True, slots=True)
class ChargeDraft:
    plan_id: int
    user_id: int
    telegram_user_id: int
    charge_id: str
    amount: int
    decision: Decision
    expires_at: datetime  # the new end of the period (START/RENEW)
    at: datetime
    subscription_id: int | None  # the row it renews or restarts, if any


@dataclass(frozen=True, slots=True)
class Subscriber:
    """A subscription with its plan and buyer, as the merchant lists them."""

    subscription: Subscription
    plan: Plan
    name: str
    telegram_id: int


@dataclass(frozen=True, slots=True)
class Summary:
    """Subscriptions for the reports: live now, of which cancelled (not renewing), and the
    charges (count and Stars, refunds excluded) recorded in a period."""

    active: int
    canceled: int
    charges: int
    stars: int


class SubscriptionRepository(Protocol):
    async def plans(self, active_only: bool) -> list[Plan]: ...

    async def plan(self, plan_id: int) -> Plan | None: ...

    async def plan_for_product(self, product_id: int) -> Plan | None: ...

    async def save_plan(
        self, product_id: int, title: Localized, price: int, benefit: Benefit, value: str
    ) -> Plan:
        """Create the product's plan, or change it (one plan per product)."""
        ...

    async def find(self, user_id: int, plan_id: int) -> Subscription | None: ...

    async def get(self, subscription_id: int) -> Subscription | None: ...

    async def for_user(self, user_id: int) -> list[Subscription]: ...

    async def record_charge(self, draft: ChargeDraft) -> Subscription | None:
        """Insert the charge (DuplicateCharge if known) and apply its decision in one
        transaction: START creates or restarts the row, RENEW extends it only while it is
        active and not cancelled (SubscriptionMoved otherwise, nothing written), REFUND only
        records the money (refund due). Returns the subscription after it."""
        ...

    async def charge_refunded(self, charge_id: str, at: datetime) -> int | None:
        """Mark the charge refunded; returns the Stars it charged (None if unknown)."""
        ...

    async def set_canceled(self, subscription_id: int, canceled: bool, at: datetime) -> bool:
        """Flip renewals off/on while active; False when it is no longer active."""
        ...

    async def end_refunded(self, subscription_id: int, at: datetime) -> bool:
        """Active -> refunded (benefit ends now), once."""
        ...

    async def lapse_due(self, cutoff: datetime, limit: int) -> list[Subscription]:
        """Active subscriptions that expired at or before `cutoff`, moved to lapsed (each
        returned by exactly one caller)."""
        ...

    async def live_tiers(self, user_id: int, now: datetime) -> list[str]:
        """Tier names granted by the user's live subscriptions."""
        ...

    async def subscribers(self, now: datetime, limit: int) -> list[Subscriber]: ...

    async def summary(self, now: datetime, since: datetime, until: datetime) -> Summary: ...


class StarsGateway(Protocol):
    """Telegram, as the adapter reaches it (chat: the Bot)."""

    async def edit_subscription(self, telegram_user_id: int, charge_id: str, cancel: bool) -> None:
        """editUserStarSubscription(user_id, telegram_payment_charge_id, is_canceled)."""
        ...

    async def refund(self, telegram_user_id: int, charge_id: str) -> None:
        """refundStarPayment(user_id, telegram_payment_charge_id)."""
        ...


class ChannelGateway(Protocol):
    """The private channel of a CHANNEL plan, as the adapter reaches it (the bot is its
    admin, allowed to invite and ban users)."""

    async def invite(self, chat_id: int, telegram_user_id: int, until: datetime) -> str:
        """A new invite link one person can use, valid until `until`."""
        ...

    async def remove(self, chat_id: int, telegram_user_id: int) -> None:
        """Remove the member (a kick: a later subscription's link lets them in again)."""
        ...


class ChannelUnavailable(DomainError):
    message = N_(
        "The members' channel can't be reached right now. Please get your invite link from "
        "/subscriptions a little later; if it keeps failing, tell the shop."
    )


class PaidOutcome(StrEnum):
    STARTED = "started"
    RENEWED = "renewed"
    REFUNDED = "refunded"  # money that bought nothing went straight back
    DUPLICATE = "duplicate"  # this charge was already recorded: say nothing


@dataclass(frozen=True, slots=True)
class PaidResult:
    outcome: PaidOutcome
    plan: Plan | None = None
    subscription: Subscription | None = None
    amount: int = 0


@dataclass(frozen=True, slots=True)
class SubscriptionInvoice:
    """What createInvoiceLink needs for a plan (Stars, one price, the 30-day period)."""

    plan: Plan
    payload: str
    currency: str = STARS
    period: int = PERIOD_SECONDS


@dataclass(frozen=True, slots=True)
class Lapsed:
    subscription: Subscription
    plan: Plan


@dataclass(frozen=True, slots=True)
class MySubscription:
    subscription: Subscription
    plan: Plan
    live: bool
    link: str = ""  # the invite link while live (LINK plans)


@dataclass(frozen=True, slots=True)
class PlanChoice:
    plan: Plan
    mine: Subscription | None = None


@dataclass(frozen=True, slots=True)
class ShopperView:
    subscriptions: list[MySubscription] = field(default_factory=list)
    plans: list[PlanChoice] = field(default_factory=list)  # plans on sale


class SubscriptionSigner:
    """HMAC-signed subscription payloads: `sub.<plan>.<user>.<nonce>.<mac>` (under 64 bytes)."""

    def __init__(self, secret: bytes) -> None:
        self._mac = PayloadMac(b"kiosk-subscription:", secret)

    def sign(self, plan_id: int, user_id: int) -> str:
        nonce = secrets.token_hex(4)
        return self._mac.sign(PAYLOAD_PREFIX[:-1], str(plan_id), str(user_id), nonce)

    def verify(self, payload: str) -> tuple[int, int]:
        """(plan id, user id) of a payload we signed; SubscriptionRefused otherwise."""
        parts = self._mac.open(payload, 4)
        if parts is None or parts[0] != PAYLOAD_PREFIX[:-1]:
            raise SubscriptionRefused(N_("This invoice is not valid."))
        plan_id, user_id = whole_number(parts[1]), whole_number(parts[2])
        if plan_id is None or user_id is None:
            raise SubscriptionRefused(N_("This invoice is not valid."))
        return plan_id, user_id


def is_subscription_payload(payload: str | None) -> bool:
    return bool(payload) and str(payload).startswith(PAYLOAD_PREFIX)


class SubscriptionService:
    """Plans, shoppers' subscriptions and their charges."""

    def __init__(
        self,
        repo: SubscriptionRepository,
        signer: SubscriptionSigner,
        audit: AuditService,
        tiers: Sequence[str] = (),
    ) -> None:
        """`tiers` are the loyalty tiers' names a plan may grant."""
        self.repo = repo
        self.signer = signer
        self.audit = audit
        self.tiers = tuple(tiers)

    # ---- plans (owner) ----

    async def save_plan(
        self, actor: int, product_id: int, title: Localized, price: int, benefit: str, value: str
    ) -> Plan:
        """Sell a product as a 30-day Stars subscription granting a tier or an invite link."""
        if not 1 <= price <= MAX_STARS:
            raise ValidationError(
                N_("A subscription costs from 1 to {max} Stars a month."), max=MAX_STARS
            )
        try:
            kind = Benefit(benefit)
        except ValueError:
            raise ValidationError(N_("The benefit must be “tier”, “link” or “channel”.")) from None
        value = value.strip()
        if kind is Benefit.TIER:
            match = next((t for t in self.tiers if t.lower() == value.lower()), None)
            if match is None:
                raise ValidationError(
                    N_("Unknown tier. The tiers are: {tiers}."), tiers=", ".join(self.tiers)
                )
            value = match
        elif kind is Benefit.CHANNEL:
            if not _CHANNEL_RE.fullmatch(value):
                raise ValidationError(
                    N_(
                        "Give the channel by its chat id, e.g. -1001234567890, and make the "
                        "bot its admin (allowed to invite and ban users)."
                    )
                )
        elif not _LINK_RE.fullmatch(value):
            raise ValidationError(
                N_("The invite link must start with https://, e.g. https://t.me/+AbCdEf.")
            )
        plan = await self.repo.save_plan(product_id, title, price, kind, value)
        await self.audit.record(
            actor,
            "subscriptions.plan",
            f"product:{product_id}",
            {"plan": plan.id, "price": price, "benefit": kind.value},
        )
        return plan

    async def plans(self) -> list[Plan]:
        return await self.repo.plans(active_only=True)

    async def plan_for_product(self, product_id: int) -> Plan | None:
        plan = await self.repo.plan_for_product(product_id)
        return plan if plan is not None and plan.active else None

    # ---- the shopper ----

    async def shopper_view(self, user_id: int, now: datetime) -> ShopperView:
        """The shopper's subscriptions (live ones with their link) and the plans on sale."""
        plans = {p.id: p for p in await self.repo.plans(active_only=False)}
        mine: list[MySubscription] = []
        by_plan: dict[int, Subscription] = {}
        for sub in await self.repo.for_user(user_id):
            plan = plans.get(sub.plan_id)
            if plan is None:
                continue
            live = sub.live(now)
            link = plan.benefit_value if live and plan.benefit is Benefit.LINK else ""
            mine.append(MySubscription(sub, plan, live, link))
            by_plan[plan.id] = sub
        on_sale = [PlanChoice(p, by_plan.get(p.id)) for p in plans.values() if p.active]
        return ShopperView(mine, on_sale)

    async def invoice(self, user_id: int, plan_id: int, now: datetime) -> SubscriptionInvoice:
        """A signed invoice for `plan_id`; refused when the plan is off or already live."""
        plan = await self.repo.plan(plan_id)
        if plan is None or not plan.active:
            raise PlanNotFound()
        sub = await self.repo.find(user_id, plan_id)
        if sub is not None and sub.live(now):
            raise AlreadySubscribed()
        return SubscriptionInvoice(plan, self.signer.sign(plan.id, user_id))

    async def pre_checkout(
        self, user_id: int, payload: str, currency: str, total_amount: int, now: datetime
    ) -> Plan:
        """Every check before Telegram takes the Stars of a first payment."""
        plan_id, owner = self.signer.verify(payload)
        if owner != user_id:
            raise SubscriptionRefused(N_("This invoice was made for someone else."))
        plan = await self.repo.plan(plan_id)
        if plan is None or not plan.active:
            raise SubscriptionRefused(N_("This subscription plan is no longer offered."))
        if currency != STARS or total_amount != plan.price:
            raise SubscriptionRefused(
                N_("The price of this subscription changed. Please open it again.")
            )
        sub = await self.repo.find(user_id, plan_id)
        if sub is not None and sub.live(now):
            raise SubscriptionRefused(AlreadySubscribed.message)
        return plan

    async def paid(
        self,
        user_id: int,
        telegram_user_id: int,
        payload: str,
        currency: str,
        total_amount: int,
        charge_id: str,
        recurring: bool,
        first: bool,
        expiration: int | None,
        now: datetime,
        gateway: StarsGateway,
    ) -> PaidResult:
        """Record a subscription payment once. Money that can't buy anything (a renewal of a
        cancelled or ended subscription, a second first payment) is refunded at once."""
        plan_id, _owner = self.signer.verify(payload)
        plan = await self.repo.plan(plan_id)
        if plan is None:
            raise SubscriptionRefused(N_("This subscription plan is no longer offered."))
        telegram_expiry = from_unix(expiration)
        for _attempt in range(3):
            sub = await self.repo.find(user_id, plan_id)
            decision = decide(sub, recurring, first, now)
            if currency != STARS:
                decision = Decision.REFUND  # Stars only; anything else can't be a subscription
            current = sub.expires_at if sub is not None and sub.live(now) else None
            draft = ChargeDraft(
                plan_id,
                user_id,
                telegram_user_id,
                charge_id,
                total_amount,
                decision,
                next_expiry(current, telegram_expiry, plan.period, now),
                now,
                sub.id if sub is not None else None,
            )
            try:
                updated = await self.repo.record_charge(draft)
            except DuplicateCharge:
                return PaidResult(PaidOutcome.DUPLICATE, plan)
            except SubscriptionMoved:
                continue  # cancelled or ended meanwhile: decide again
            if decision is Decision.REFUND:
                await gateway.refund(telegram_user_id, charge_id)
                await self.repo.charge_refunded(charge_id, now)
                return PaidResult(PaidOutcome.REFUNDED, plan, updated, total_amount)
            outcome = PaidOutcome.STARTED if decision is Decision.START else PaidOutcome.RENEWED
            return PaidResult(outcome, plan, updated, total_amount)
        raise RuntimeError(f"subscription charge {charge_id} kept moving")

    async def _own(self, user_id: int, subscription_id: int) -> Subscription:
        sub = await self.repo.get(subscription_id)
        if sub is None or sub.user_id != user_id:
            raise SubscriptionNotFound()  # someone else's looks exactly like a missing one
        return sub

    async def set_renewal(
        self, user_id: int, subscription_id: int, cancel: bool, now: datetime, gw: StarsGateway
    ) -> Subscription:
        """Cancel renewals (the benefit stays until the period ends) or re-enable them."""
        sub = await self._own(user_id, subscription_id)
        allowed = can_cancel(sub, now) if cancel else can_resume(sub, now)
        if not allowed:
            raise ValidationError(
                N_("This subscription is already cancelled or has ended.")
                if cancel
                else N_("This subscription can't be re-enabled: it has ended or is renewing.")
            )
        await gw.edit_subscription(sub.telegram_user_id, sub.charge_id, cancel)
        if not await self.repo.set_canceled(sub.id, cancel, now):
            raise ValidationError(N_("This subscription has ended."))
        return await self.repo.get(sub.id) or sub

    async def invite_link(
        self, user_id: int, subscription_id: int, now: datetime, gw: ChannelGateway
    ) -> str:
        """A fresh single-use invite to the channel of the user's own live CHANNEL
        subscription (after paying, or again from /subscriptions), valid while it is paid."""
        sub = await self._own(user_id, subscription_id)
        plan = await self.repo.plan(sub.plan_id)
        if plan is None or plan.channel_id is None:
            raise SubscriptionNotFound()
        if not sub.live(now):
            raise ValidationError(N_("This subscription has ended."))
        return await gw.invite(plan.channel_id, sub.telegram_user_id, sub.expires_at)

    async def end_benefit(self, sub: Subscription, plan: Plan, gw: ChannelGateway) -> None:
        """After a lapse or a refund: a CHANNEL plan's member leaves the channel (tiers and
        links simply stop applying)."""
        if plan.channel_id is not None:
            await gw.remove(plan.channel_id, sub.telegram_user_id)

    # ---- the merchant ----

    async def subscribers(self, now: datetime, limit: int = 30) -> list[Subscriber]:
        return await self.repo.subscribers(now, limit)

    async def refund(
        self, actor: int, subscription_id: int, now: datetime, gw: StarsGateway
    ) -> tuple[Subscription, Plan, int]:
        """Give back the last payment of a live subscription: renewals stop, the benefit ends
        now. Returns the subscription, its plan and the Stars refunded (the amount of that
        payment, whatever the plan costs now)."""
        sub = await self.repo.get(subscription_id)
        if sub is None:
            raise SubscriptionNotFound()
        plan = await self.repo.plan(sub.plan_id)
        if plan is None or sub.status is not SubStatus.ACTIVE:
            raise ValidationError(N_("Only an active subscription can be refunded."))
        if not sub.canceled:
            await gw.edit_subscription(sub.telegram_user_id, sub.charge_id, True)
            await self.repo.set_canceled(sub.id, True, now)
        await gw.refund(sub.telegram_user_id, sub.last_charge_id)
        charged = await self.repo.charge_refunded(sub.last_charge_id, now)
        # refundStarPayment gives back the whole charge: what was paid then, which is not
        # the plan's price if the merchant has changed it since.
        stars = plan.price if charged is None else charged
        await self.repo.end_refunded(sub.id, now)
        await self.audit.record(
            actor,
            "subscriptions.refund",
            f"subscription:{sub.id}",
            {"plan": plan.id, "stars": stars},
        )
        return await self.repo.get(sub.id) or sub, plan, stars

    async def summary(self, now: datetime, since: datetime, until: datetime) -> Summary:
        return await self.repo.summary(now, since, until)

    # ---- the clock ----

    async def lapse_due(self, now: datetime) -> list[Lapsed]:
        """Subscriptions whose period ended without a renewal lose their benefit (once)."""
        lapsed = []
        for sub in await self.repo.lapse_due(lapse_cutoff(now), BATCH):
            plan = await self.repo.plan(sub.plan_id)
            if plan is not None:
                lapsed.append(Lapsed(sub, plan))
        return lapsed

    # ---- benefits ----

    async def granted_tiers(self, user_id: int, now: datetime) -> list[str]:
        """Loyalty tiers the user's live subscriptions grant (domain.loyalty asks)."""
        return await self.repo.live_tiers(user_id, now)


__all__ = [
    "PAYLOAD_PREFIX",
    "AlreadySubscribed",
    "Benefit",
    "ChannelGateway",
    "ChannelUnavailable",
    "ChargeDraft",
    "ChargeKind",
    "Decision",
    "DuplicateCharge",
    "Plan",
    "PlanNotFound",
    "StarsGateway",
    "SubStatus",
    "Subscription",
    "SubscriptionMoved",
    "SubscriptionNotFound",
    "SubscriptionRefused",
    "SubscriptionRepository",
    "SubscriptionService",
    "SubscriptionSigner",
    "Summary",
    "is_subscription_payload",
]
