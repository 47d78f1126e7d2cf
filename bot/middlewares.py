"""Per-update context: drop redelivered updates, current user, locale, throttling."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from aiogram.types import User as TgUser
from aiogram.utils.i18n import gettext as _
from redis.asyncio import Redis

from bot.i18n import PoI18n
from domain.users import UserService
from handlers.common import identity_of

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateDeduplicator:
    """Remembers recent update ids; Redis makes the memory shared by all replicas."""

    def __init__(self, redis: Redis | None, bot_id: int, capacity: int = 50_000) -> None:
        self.redis = redis
        self.bot_id = bot_id
        self.capacity = capacity
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def first_time(self, update_id: int) -> bool:
        if self.redis is not None:
            key = f"kiosk:upd:{self.bot_id}:{update_id}"
            return bool(await self.redis.set(key, 1, nx=True, ex=24 * 3600))
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True


class DedupeMiddleware(BaseMiddleware):
    """Telegram may deliver an update twice; handle each update id once."""

    def __init__(self, dedup: UpdateDeduplicator) -> None:
        self.dedup = dedup

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if not await self.dedup.first_time(event.update_id):
            log.info("update %s delivered again; ignored", event.update_id)
            return None
        return await handler(event, data)


class UserMiddleware(BaseMiddleware):
    """Registers or refreshes the person behind every update and puts it in `user`."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        if tg_user is not None and not tg_user.is_bot:
            users: UserService = data["users"]
            data["user"], data["user_is_new"] = await users.seen(identity_of(tg_user))
        return await handler(event, data)


class LocaleMiddleware(BaseMiddleware):
    """Sets the gettext locale for the update: the user's choice, else Telegram's language."""

    def __init__(self, i18n: PoI18n) -> None:
        self.i18n = i18n

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user = data.get("user")
        locale = user.locale if user is not None else self.i18n.default_locale
        data["i18n"] = self.i18n
        data["locale"] = locale
        with self.i18n.context(), self.i18n.use_locale(locale):
            return await handler(event, data)


class ThrottleMiddleware(BaseMiddleware):
    """Token bucket per user so one person flooding the bot can't slow everyone else.

    Payment updates are never throttled: dropping a pre-checkout or a successful payment would
    lose money. Over-limit callbacks get a short answer so the client's spinner stops.
    """

    def __init__(self, rate: float, burst: int, max_users: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_users = max_users
        self._buckets: OrderedDict[int, tuple[float, float]] = OrderedDict()

    def allow(self, user_id: int, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(user_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[user_id] = (tokens, now)
        if len(self._buckets) > self.max_users:
            self._buckets.popitem(last=False)
        return allowed

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        if _is_payment(event):
            return await handler(event, data)
        tg_user: TgUser | None = data.get("event_from_user")
        if tg_user is None or self.allow(tg_user.id):
            return await handler(event, data)
        log.info("throttled update %s from user %s", event.update_id, tg_user.id)
        if event.callback_query is not None:
            await event.callback_query.answer(_("Slow down a little, please."))
        return None


def _is_payment(update: Update) -> bool:
    if update.pre_checkout_query is not None or update.shipping_query is not None:
        return True
    message = update.message
    return message is not None and message.successful_payment is not None
