"""What shoppers did with goods: the interactions every recommendation is learnt from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol


class InteractionKind(StrEnum):
    VIEW = "view"
    CART = "cart"
    PURCHASE = "purchase"
    FAVOURITE = "favourite"
    SEARCH_CLICK = "search_click"


# How much each kind says about taste. A purchase is the strongest signal; a view the weakest
# (people open cards out of curiosity). Tunable per shop through RecommendConfig.kind_weights.
DEFAULT_KIND_WEIGHTS: Mapping[str, float] = {
    InteractionKind.VIEW: 1.0,
    InteractionKind.SEARCH_CLICK: 1.5,
    InteractionKind.FAVOURITE: 3.0,
    InteractionKind.CART: 3.0,
    InteractionKind.PURCHASE: 5.0,
}

# Kinds that say "these goods go into one basket" (for "bought together").
BASKET_KINDS = frozenset({InteractionKind.CART, InteractionKind.PURCHASE})

MAX_QUERY_LEN = 128


@dataclass(frozen=True, slots=True)
class Interaction:
    """One thing a shopper did with one item.

    `user_id` is None for anonymous events (they count towards trending only). `weight` is the
    signal strength; None means "the configured weight of its kind".
    """

    user_id: int | None
    item_id: int
    kind: InteractionKind
    at: datetime
    weight: float | None = None
    query: str | None = None  # the search query, for SEARCH_CLICK

    def strength(self, kind_weights: Mapping[str, float]) -> float:
        if self.weight is not None:
            return self.weight
        return kind_weights.get(self.kind, 1.0)


class InteractionSink(Protocol):
    """Where interactions go; implementations must return at once (buffer, flush later)."""

    def record(self, interaction: Interaction) -> None: ...


class InteractionSource(Protocol):
    """Where the model builder and "for you" read interactions from."""

    async def since(self, after_id: int, limit: int) -> tuple[list[Interaction], int]:
        """Up to `limit` interactions with id > after_id, oldest first, and the last id read
        (after_id itself when there is nothing new)."""
        ...

    async def recent_for_user(self, user_id: int, limit: int) -> list[Interaction]:
        """The user's latest `limit` interactions, newest first."""
        ...


class EventLog:
    """Records what shoppers do, in the words of the shop; never blocks the caller.

    Handlers and services call these after the thing happened (a card was shown, an order
    paid); the sink buffers and writes in batches.
    """

    def __init__(self, sink: InteractionSink) -> None:
        self._sink = sink

    def _put(
        self, user_id: int | None, item_id: int, kind: InteractionKind, query: str | None = None
    ) -> None:
        self._sink.record(Interaction(user_id, item_id, kind, datetime.now(UTC), query=query))

    def viewed(self, user_id: int | None, item_id: int) -> None:
        """A product card was opened."""
        self._put(user_id, item_id, InteractionKind.VIEW)

    def added_to_cart(self, user_id: int | None, item_id: int) -> None:
        self._put(user_id, item_id, InteractionKind.CART)

    def favourited(self, user_id: int | None, item_id: int) -> None:
        self._put(user_id, item_id, InteractionKind.FAVOURITE)

    def purchased(self, user_id: int | None, item_ids: Sequence[int]) -> None:
        """An order was paid: one event per distinct item in it."""
        for item_id in dict.fromkeys(item_ids):
            self._put(user_id, item_id, InteractionKind.PURCHASE)

    def search_clicked(self, user_id: int | None, query: str, item_id: int) -> None:
        """A search result was opened; the query is kept (trimmed) for later analysis."""
        self._put(user_id, item_id, InteractionKind.SEARCH_CLICK, query.strip()[:MAX_QUERY_LEN])
