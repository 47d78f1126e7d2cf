"""A cheap wake-up for the back-in-stock sweep, fed by the inventory ledger itself.

Every stock change is one `StockMovementRow` written by `apply_stock_movement`
(storage/admin/stock.py), whatever the path: an admin adjustment, a CSV import, a released
reservation, a return. A Tortoise post-save listener on that model calls the registered callbacks
when a movement raises what can be sold (on_hand - reserved goes up). It only says "look now":
the row is written inside the mover's transaction, so the sweep itself (run a moment later)
reads the committed numbers, and the regular sweep stays the safety net.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tortoise.signals import Signals

from storage.admin.models import StockMovementRow

_callbacks: list[Callable[[], None]] = []


def on_stock_back(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` (synchronously, keep it tiny) after such a movement; returns the undo."""
    _callbacks.append(callback)

    def undo() -> None:
        if callback in _callbacks:
            _callbacks.remove(callback)

    return undo


def raises_available(delta_on_hand: int, delta_reserved: int) -> bool:
    """A restock, a return or a released reservation; not a sale (both drop together)."""
    return delta_on_hand - delta_reserved > 0


async def _movement_saved(
    sender: type[StockMovementRow],
    instance: StockMovementRow,
    created: bool,
    using_db: Any,
    update_fields: Iterable[str] | None,
) -> None:
    if created and raises_available(instance.delta_on_hand, instance.delta_reserved):
        for callback in list(_callbacks):
            callback()


StockMovementRow.register_listener(Signals.post_save, _movement_saved)
