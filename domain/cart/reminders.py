"""Abandoned-cart reminders: one nudge per cart change, only to shoppers who opted in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CartState:
    user_id: int
    telegram_id: int
    locale: str
    items: int  # lines in the cart
    changed_at: datetime  # the cart's last change
    reminded_for: datetime | None  # the change the last reminder was about
    opted_in: bool
    blocked: bool


def needs_reminder(cart: CartState, now: datetime, delay: timedelta) -> bool:
    """A non-empty cart untouched for `delay`, not yet reminded about since its last change."""
    if cart.items <= 0 or not cart.opted_in or cart.blocked:
        return False
    if cart.changed_at > now - delay:
        return False
    return cart.reminded_for is None or cart.reminded_for < cart.changed_at


class CartReminderStore(Protocol):
    async def candidates(self, changed_before: datetime, limit: int) -> list[CartState]:
        """Opted-in users' non-empty carts last changed before this time, not yet reminded."""
        ...

    async def mark_reminded(self, user_id: int, changed_at: datetime) -> bool:
        """Record a reminder for this cart change; False when it was already recorded."""
        ...


class CartReminders:
    def __init__(self, store: CartReminderStore, batch: int = 500) -> None:
        self.store = store
        self.batch = batch

    async def due(self, now: datetime, delay: timedelta) -> tuple[list[CartState], bool]:
        """(carts to remind now, whether more may be waiting): up to one batch, each claimed
        (recorded) before it is returned, so a crash or a second run never reminds twice."""
        found = await self.store.candidates(now - delay, self.batch)
        due = []
        for cart in found:
            if needs_reminder(cart, now, delay) and await self.store.mark_reminded(
                cart.user_id, cart.changed_at
            ):
                due.append(cart)
        return due, len(found) >= self.batch
