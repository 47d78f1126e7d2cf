"""Which Telegram update is being handled, so its effects can be applied exactly once.

An update cut off by a crash is handled again after the restart (at least once). An effect
that must not happen twice ("add to cart", "place the order") commits a marker named after the
update in the same database transaction as the change; the replay finds the marker and returns
what the first run produced instead of doing it again. Outside an update (jobs, scripts, tests
calling services directly) there is no current key and nothing is deduplicated.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("kiosk_update_key", default=None)
KEY_MAX_LENGTH = 96  # the effect key column's width


def update_key(update_id: int, bot_id: int | None = None) -> str:
    """The key of one Telegram update (update ids are per bot: with the bot's id, a database
    shared by two bots, or a new token, can't mistake one bot's update for another's)."""
    return f"u{update_id}" if bot_id is None else f"b{bot_id}u{update_id}"


def current_key() -> str | None:
    """The key of the update being handled, or None outside an update."""
    return _current.get()


def effect_key(kind: str) -> str | None:
    """The key of one kind of effect of the current update (an update may have several kinds,
    e.g. "cart_add:12:0" and "order_place"), or None outside an update."""
    key = _current.get()
    if key is None:
        return None
    combined = f"{kind}:{key}"
    if len(combined) > KEY_MAX_LENGTH:
        raise ValueError(f"effect key too long: {combined!r}")
    return combined


@contextmanager
def handling(key: str | None) -> Iterator[None]:
    """Make `key` the current update's key for the duration of the block."""
    token = _current.set(key)
    try:
        yield
    finally:
        _current.reset(token)
