"""What every adapter may know about the shop it serves (name, money, time zone, owners)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ShopProfile:
    """The shop's identity and payment set-up, built from settings by the composition root.

    `provider_token` is the payment provider's token from @BotFather ("" when card payments
    are off); invoices need it, and adapters (chat, web) send it only to Telegram.
    """

    name: str
    currency: str
    timezone: str
    default_locale: str
    owner_ids: frozenset[int]
    provider_token: str = ""
