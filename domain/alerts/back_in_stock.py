"""Back-in-stock alerts: a shopper asks to be told when a sold-out unit can be bought again.

A subscription is (user, product, variant id or 0). Variant 0 is the product itself when it has
no variants, and "any of its options" when it has; a variant id is that one option. Only a unit
that is active and sold out can be subscribed to, once per shopper.

When sellable stock comes back, by whatever path moved it (an admin adjustment, a CSV import, a
released reservation, a return: every path goes through the inventory ledger, which only
changes numbers the sweep reads), the next sweep finds the subscription due and tells the
shopper once; the subscription then ends (its row is removed).

Once-only delivery follows the delivery engine's rule: a row is *claimed* (waiting -> sending,
with a fresh attempt id) in the database right before the message goes out, and the outcome is
written after. A row still "sending" long after its claim belongs to a process that died between
the two writes; Telegram cannot say whether that message arrived, so the subscription is ended
without a second message (at most once: a duplicate is spam, a missing alert is not).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from domain.campaigns.delivery import Blocked, BlockList, Failed, RetryLater, SendOutcome, Sent
from domain.catalog.types import Localized
from domain.kernel.errors import LimitReached, NotFound, ValidationError
from domain.kernel.i18n import N_

MAX_SUBSCRIPTIONS = 30  # per shopper: the list stays one message (4096 chars, 100 buttons)
STALE_CLAIM = timedelta(minutes=10)  # a claim this old was left by a crashed sender
MAX_FAILED_TRIES = 3  # retryable failures (network) before a subscription is given up
SWEEP_BATCH = 200


class ProductUnavailable(NotFound):
    message = N_("This product is no longer available.")


class AlreadyInStock(ValidationError):
    message = N_("Good news: it's in stock right now, so you can order it straight away.")


class AlreadySubscribed(ValidationError):
    message = N_("You're already on the list: we'll tell you once it's back in stock.")


class SubscriptionNotFound(NotFound):
    message = N_("That alert is no longer active.")


@dataclass(frozen=True, slots=True)
class UnitStock:
    """What subscribing needs to know about a unit right now."""

    product_id: int
    variant_id: int
    active: bool  # the product (and the variant, if one) is on sale
    available: int  # on hand - reserved (summed over active options for "any option")


@dataclass(frozen=True, slots=True)
class StockSubscription:
    """A waiting subscription, as the shopper's list shows it."""

    id: int
    product_id: int
    variant_id: int
    title: Localized
    variant_label: str  # "" for the product itself / any option


@dataclass(frozen=True, slots=True)
class BackInStockNotice:
    """A subscription whose unit is sellable again: who to tell, in which language, about what."""

    subscription_id: int
    user_id: int
    telegram_id: int
    locale: str
    product_id: int
    variant_id: int
    title: Localized
    variant_label: str
    attempts: int = 0


class StockSubscriptionStore(Protocol):
    async def unit(self, product_id: int, variant_id: int) -> UnitStock | None:
        """The unit, or None when it doesn't exist (or the variant isn't the product's)."""
        ...

    async def add(self, user_id: int, product_id: int, variant_id: int, limit: int) -> bool | None:
        """Store a waiting subscription; False when it already exists, None over `limit`."""
        ...

    async def remove(self, user_id: int, subscription_id: int) -> bool:
        """Delete one of the user's own waiting subscriptions; False when there is none."""
        ...

    async def list_for(self, user_id: int) -> list[StockSubscription]:
        """The user's subscriptions to existing products, newest first."""
        ...

    async def due(self, limit: int) -> list[BackInStockNotice]:
        """Waiting subscriptions whose unit is active with available stock, oldest first."""
        ...

    async def claim(self, subscription_id: int, attempt: str, now: datetime) -> bool:
        """waiting -> sending under `attempt`; False when someone else has it (or it's gone)."""
        ...

    async def finish(self, subscription_id: int, attempt: str) -> None:
        """The shopper was told (or can't be): the subscription ends."""
        ...

    async def release(self, subscription_id: int, attempt: str, failed: bool) -> None:
        """Back to waiting (nothing was delivered); `failed` counts one failed try."""
        ...

    async def settle_stale(self, claimed_before: datetime) -> int:
        """End subscriptions claimed before the cut-off and never settled; returns how many."""
        ...


class Pacer(Protocol):
    async def wait_turn(self) -> None:
        """A slot of the shop's one bulk-sending rate (shared with the delivery engine)."""
        ...


@dataclass
class SweepReport:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    deferred: int = 0  # put back for the next sweep (429 or a retryable failure)
    settled_stale: int = 0
    notified: list[int] = field(default_factory=list)  # subscription ids told this sweep


class BackInStockAlerts:
    """Subscribing, the shopper's list, and the sweep that tells subscribers once."""

    def __init__(
        self,
        store: StockSubscriptionStore,
        new_attempt_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.store = store
        self.new_attempt_id = new_attempt_id

    async def subscribe(self, user_id: int, product_id: int, variant_id: int = 0) -> None:
        """Ask to be told when the unit is back. Refuses a missing or inactive product or
        variant, a unit in stock right now, a second subscription and more than the limit."""
        unit = await self.store.unit(product_id, variant_id)
        if unit is None or not unit.active:
            raise ProductUnavailable()
        if unit.available > 0:
            raise AlreadyInStock()
        added = await self.store.add(user_id, product_id, variant_id, MAX_SUBSCRIPTIONS)
        if added is None:
            raise LimitReached(
                N_("You can wait for at most {limit} products. Remove some alerts first."),
                limit=MAX_SUBSCRIPTIONS,
            )
        if not added:
            raise AlreadySubscribed()

    async def unsubscribe(self, user_id: int, subscription_id: int) -> None:
        """Stop waiting; only the user's own subscription can be removed."""
        if not await self.store.remove(user_id, subscription_id):
            raise SubscriptionNotFound()

    async def mine(self, user_id: int) -> list[StockSubscription]:
        return await self.store.list_for(user_id)

    async def notify_due(
        self,
        send: Callable[[BackInStockNotice], Awaitable[SendOutcome]],
        blocklist: BlockList,
        pacer: Pacer | None = None,
        now: datetime | None = None,
    ) -> SweepReport:
        """Tell every subscriber whose unit is sellable again, once each (see the module doc).

        A 429 puts the subscription back and ends this sweep (the next one continues); a 403
        ends the subscription and marks the user blocked.
        """
        moment = now or datetime.now(UTC)
        report = SweepReport(settled_stale=await self.store.settle_stale(moment - STALE_CLAIM))
        seen: set[int] = set()
        while True:
            due = [n for n in await self.store.due(SWEEP_BATCH) if n.subscription_id not in seen]
            if not due:
                return report
            for notice in due:
                seen.add(notice.subscription_id)
                if pacer is not None:
                    await pacer.wait_turn()
                attempt = self.new_attempt_id()
                claimed_at = now or datetime.now(UTC)  # the claim's own time, for settle_stale
                if not await self.store.claim(notice.subscription_id, attempt, claimed_at):
                    continue  # a concurrent sweep has it
                outcome = await send(notice)
                if not await self._record(notice, attempt, outcome, blocklist, report):
                    return report

    async def _record(
        self,
        notice: BackInStockNotice,
        attempt: str,
        outcome: SendOutcome,
        blocklist: BlockList,
        report: SweepReport,
    ) -> bool:
        """Write the outcome; False when the sweep should stop (Telegram asked us to wait)."""
        sid = notice.subscription_id
        if isinstance(outcome, Sent):
            await self.store.finish(sid, attempt)
            report.sent += 1
            report.notified.append(sid)
        elif isinstance(outcome, Blocked):
            await self.store.finish(sid, attempt)
            await blocklist.mark_blocked(notice.user_id)
            report.blocked += 1
        elif isinstance(outcome, RetryLater):
            await self.store.release(sid, attempt, failed=False)
            report.deferred += 1
            return False
        elif isinstance(outcome, Failed):
            if outcome.retryable and notice.attempts + 1 < MAX_FAILED_TRIES:
                await self.store.release(sid, attempt, failed=True)
                report.deferred += 1
            else:
                await self.store.finish(sid, attempt)
                report.failed += 1
        return True
