"""Price-drop alerts: an opted-in shopper hears when a favourite gets cheaper.

The rule, per (shopper, favourite product):
- The *reference* is the price the shopper was last shown in an alert, or the price the sweep
  last saw, whichever is later. It is set without an alert the first time the sweep sees the
  favourite (and again after the shopper switches the setting on: old references are
  forgotten, so a drop that happened while they were opted out is not announced).
- The product's price is its own price, which for a product with variants is its lowest
  option's price (the "from" price the card shows): favourites are per product.
- Price below the reference: one alert "reference -> price", and the price becomes the new
  reference. So each drop is announced once, and a second alert needs a further drop.
- Price above the reference: the reference rises to it silently. So a rise followed by the same
  drop again is a new drop (announced again); a merchant's short "back to full price" is not
  lost on the shopper.
- A change of currency resets the reference silently (prices in two currencies don't compare).
- Inactive products are skipped (their reference stays); deleted ones and removed favourites
  lose their reference with them.

Once-only: the reference is moved by compare-and-set before the message is sent; a crash after
that write loses the alert rather than sending it twice. A 429 moves it back (nothing was sent)
so the next sweep tries again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from domain.alerts.back_in_stock import Pacer, SweepReport
from domain.campaigns.delivery import Blocked, BlockList, Failed, RetryLater, SendOutcome, Sent
from domain.catalog.types import Localized

PRICE_BATCH = 500
MAX_BATCHES = 50  # per sweep; what is left is picked up by the next one


class PriceChange(Enum):
    NONE = "none"
    BASELINE = "baseline"  # first sight or a new currency: remember silently
    RISE = "rise"  # remember silently
    DROP = "drop"  # announce


@dataclass(frozen=True, slots=True)
class Reference:
    price: int
    currency: str


@dataclass(frozen=True, slots=True)
class FavouritePrice:
    """A favourite of an opted-in shopper whose price differs from its reference (or has none)."""

    user_id: int
    telegram_id: int
    locale: str
    product_id: int
    title: Localized
    has_variants: bool
    price: int
    currency: str
    reference: Reference | None

    @property
    def current(self) -> Reference:
        return Reference(self.price, self.currency)


def classify(price: int, currency: str, reference: Reference | None) -> PriceChange:
    """What a price means against the reference (the rule in the module docstring)."""
    if reference is None or reference.currency != currency:
        return PriceChange.BASELINE
    if price < reference.price:
        return PriceChange.DROP
    if price > reference.price:
        return PriceChange.RISE
    return PriceChange.NONE


class PriceWatchStore(Protocol):
    async def enabled(self, user_id: int) -> bool: ...

    async def set_enabled(self, user_id: int, on: bool) -> None:
        """Switch the setting; switching on forgets the user's old references."""
        ...

    async def changed(self, after_user_id: int, limit: int) -> list[FavouritePrice]:
        """Favourites of opted-in users (user id > after_user_id, by user then product) of
        active products whose price or currency differs from the reference, or with none."""
        ...

    async def move_reference(
        self, user_id: int, product_id: int, expected: Reference | None, new: Reference
    ) -> bool:
        """Compare-and-set the reference; False when it was not `expected` any more."""
        ...


class PriceDropAlerts:
    """The opt-in setting and the sweep that announces each drop once."""

    def __init__(self, store: PriceWatchStore) -> None:
        self.store = store

    async def enabled(self, user_id: int) -> bool:
        """Whether the shopper gets price-drop alerts (off unless they switched it on)."""
        return await self.store.enabled(user_id)

    async def set_enabled(self, user_id: int, on: bool) -> bool:
        await self.store.set_enabled(user_id, on)
        return on

    async def notify_due(
        self,
        send: Callable[[FavouritePrice], Awaitable[SendOutcome]],
        blocklist: BlockList,
        pacer: Pacer | None = None,
    ) -> SweepReport:
        """Move references and announce drops (see the module docstring for the rule)."""
        report = SweepReport()
        after = 0
        for _batch in range(MAX_BATCHES):
            rows = await self.store.changed(after, PRICE_BATCH)
            if not rows:
                break
            for row in rows:
                if not await self._handle(row, send, blocklist, pacer, report):
                    return report
            # Rows of the last user may continue in the next batch: resume at that user.
            after = rows[-1].user_id if len(rows) < PRICE_BATCH else rows[-1].user_id - 1
            if len(rows) < PRICE_BATCH:
                break
        return report

    async def _handle(
        self,
        row: FavouritePrice,
        send: Callable[[FavouritePrice], Awaitable[SendOutcome]],
        blocklist: BlockList,
        pacer: Pacer | None,
        report: SweepReport,
    ) -> bool:
        change = classify(row.price, row.currency, row.reference)
        if change is PriceChange.NONE:
            return True
        if change is not PriceChange.DROP:
            await self.store.move_reference(
                row.user_id, row.product_id, row.reference, row.current
            )
            return True
        if pacer is not None:
            await pacer.wait_turn()
        if not await self.store.move_reference(
            row.user_id, row.product_id, row.reference, row.current
        ):
            return True  # another sweep announced it
        outcome = await send(row)
        if isinstance(outcome, Sent):
            report.sent += 1
            report.notified.append(row.product_id)
        elif isinstance(outcome, Blocked):
            await blocklist.mark_blocked(row.user_id)
            report.blocked += 1
        elif isinstance(outcome, RetryLater):  # nothing was sent: announce it next time
            assert row.reference is not None  # a drop always has a reference
            await self.store.move_reference(
                row.user_id, row.product_id, row.current, row.reference
            )
            report.deferred += 1
            return False
        elif isinstance(outcome, Failed):
            report.failed += 1  # at most once: no retry of a message that may have arrived
        return True
