"""Who is calling: the Mini App's initData, checked as Telegram documents it, on every API
call (`Authorization: tma <initData>`); no cookie carries authority, so no CSRF either.

The shopper is taken from initData only and registered or refreshed like the chat's
UserMiddleware does; a per-shopper token bucket keeps one person from flooding the shop.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

from aiogram.utils.web_app import WebAppInitData, safe_parse_webapp_init_data

from domain.kernel.errors import DomainError
from domain.kernel.i18n import N_
from domain.users.service import TelegramIdentity

MAX_INIT_DATA = 4096  # Telegram's initData is well under 1 KB; longer is not from Telegram
START_PARAM_PRODUCT = "p_"


class NotAuthenticated(DomainError):
    """Missing, forged, expired or another bot's initData (HTTP 401)."""

    message = N_("Please open the shop from Telegram again.")


class TooManyRequests(DomainError):
    """Over the per-shopper rate (HTTP 429)."""

    message = N_("Slow down a little, please.")


@dataclass(frozen=True, slots=True)
class Caller:
    """The Telegram user behind a request and where the Mini App was opened from."""

    identity: TelegramIdentity
    start_param: str | None
    auth_date: int


def parse_authorization(header: str | None) -> str:
    """The initData of an `Authorization: tma <initData>` header."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "tma" or not value or len(value) > MAX_INIT_DATA:
        raise NotAuthenticated()
    return value.strip()


def verify_init_data(token: str, init_data: str, max_age: int, now: float | None = None) -> Caller:
    """The caller of a valid initData signed with `token` and at most `max_age` seconds old.

    aiogram checks the HMAC (secret = HMAC_SHA256("WebAppData", token)); the age is ours.
    """
    try:
        data: WebAppInitData = safe_parse_webapp_init_data(token, init_data)
    except (ValueError, TypeError, KeyError):
        raise NotAuthenticated() from None
    user = data.user
    if user is None or user.is_bot:
        raise NotAuthenticated()
    auth_date = int(data.auth_date.timestamp())
    now = time.time() if now is None else now
    if now - auth_date > max_age or auth_date - now > 300:  # a little clock skew allowed
        raise NotAuthenticated(N_("This session has expired. Please open the shop again."))
    identity = TelegramIdentity(
        telegram_id=user.id,
        first_name=user.first_name or "",
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )
    return Caller(identity, data.start_param, auth_date)


def start_product(start_param: str | None) -> int | None:
    """The product of a `startapp=p_<id>` link, else None."""
    if not start_param or not start_param.startswith(START_PARAM_PRODUCT):
        return None
    digits = start_param[len(START_PARAM_PRODUCT) :]
    if not digits.isascii() or not digits.isdigit() or len(digits) > 18 or digits[0] == "0":
        return None
    return int(digits)


class RateLimiter:
    """A token bucket per Telegram user id, in this process (each replica limits its own
    share; the limit is about fairness, not security)."""

    def __init__(self, rate: float, burst: int, max_users: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_users = max_users
        self._buckets: OrderedDict[int, tuple[float, float]] = OrderedDict()

    def allow(self, key: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > self.max_users:
            self._buckets.popitem(last=False)
        return allowed


class RecentlySeen:
    """Shoppers registered or refreshed in the last `ttl` seconds, with the identity they had:
    a page makes many calls a minute, and the chat's UserMiddleware writes the user on each
    update; here one write per shopper per `ttl` (or when a name or language changes) keeps
    API reads free of database writes. Per process, like the rate limiter."""

    def __init__(self, ttl: float = 300.0, max_users: int = 100_000) -> None:
        self.ttl = ttl
        self.max_users = max_users
        self._seen: OrderedDict[int, tuple[TelegramIdentity, int, float]] = OrderedDict()

    def user_id(self, identity: TelegramIdentity, now: float | None = None) -> int | None:
        """The stored user id when `identity` was written recently and is unchanged."""
        now = time.monotonic() if now is None else now
        hit = self._seen.get(identity.telegram_id)
        if hit is None or hit[0] != identity or now - hit[2] > self.ttl:
            return None
        return hit[1]

    def remember(self, identity: TelegramIdentity, user_id: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._seen.pop(identity.telegram_id, None)
        self._seen[identity.telegram_id] = (identity, user_id, now)
        if len(self._seen) > self.max_users:
            self._seen.popitem(last=False)
