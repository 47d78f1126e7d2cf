"""Per-update context: drop redelivered updates, current user, locale, throttling, and the
support gate (blocked shoppers, the shop closed for maintenance)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.memory import DisabledEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject, Update
from aiogram.types import User as TgUser
from aiogram.utils.i18n import gettext as _
from redis.asyncio import Redis

from bot.i18n import PoI18n
from domain.support.service import Refusal, SupportService
from domain.users.service import UserService, resolve_language
from handlers.common import esc, identity_of

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateInProgress(Exception):
    """A live process (another replica, or this one) is handling this update right now:
    deliver it again later (the webhook answers 503, so Telegram retries)."""


class Redeliver:
    """What the error handler returns for UpdateInProgress: the webhook turns it into a 503
    (bot/webhook.py) instead of an exception's 500 with a traceback in the log."""


REDELIVER = Redeliver()

# The whole claim in one round trip, with the conversation state read beside it (KEYS[2],
# optional): "claimed" (1, state), "handled" (0, state) or "being handled" (2, state).
# ARGV: lease in ms, 1 when a busy claim is taken over (the single long-polling consumer).
_CLAIM_LUA = """
local state = false
if KEYS[2] then state = redis.call('GET', KEYS[2]) end
if redis.call('SET', KEYS[1], 'busy', 'NX', 'PX', ARGV[1]) then return {1, state} end
local now = redis.call('GET', KEYS[1])
if now == 'busy' and ARGV[2] ~= '1' then return {2, state} end
if now and now ~= 'busy' then return {0, state} end
redis.call('SET', KEYS[1], 'busy', 'PX', ARGV[1])
return {1, state}
"""


class UpdateDeduplicator:
    """Remembers recent update ids; Redis makes the memory shared by all replicas.

    `claim`/`finish`/`release` are at least once: an id is only "done" once handled; while
    handled it is "busy" under a short lease the handler keeps renewing.
    A process killed mid-update stops renewing, so the redelivered update (webhook retry, or
    getUpdates after a restart) is claimed again and handled, instead of ignored and lost.
    """

    LEASE = 5.0  # seconds a busy claim outlives a dead process

    def __init__(
        self,
        redis: Redis | None,
        bot_id: int,
        capacity: int = 50_000,
        single_consumer: bool = False,
    ) -> None:
        self.redis = redis
        self.bot_id = bot_id
        self.capacity = capacity
        # Long polling has one consumer (Telegram refuses a second getUpdates), so a busy
        # claim it didn't make itself was left by its own dead predecessor: take it over.
        self.single_consumer = single_consumer
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._busy: set[int] = set()
        self._claim_script = redis.register_script(_CLAIM_LUA) if redis is not None else None
        self._renewals: dict[int, asyncio.TimerHandle] = {}

    def _key(self, update_id: int) -> str:
        return f"kiosk:upd:{self.bot_id}:{update_id}"

    def _remember(self, update_id: int) -> bool:
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        if len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True

    async def claim(self, update_id: int) -> bool:
        """True: handle the update now (then `finish` or `release` it). False: it was handled
        (or, long polling, this process is handling it: the batch came back before it was
        done). Raises UpdateInProgress if a webhook delivery is being handled, here or by
        another process: answered 200, a copy would count as delivered, and a crash before
        the first copy is done would lose the update."""
        claimed, _ = await self.claim_reading(update_id, None)
        return claimed

    async def claim_reading(self, update_id: int, read_key: str | None) -> tuple[bool, Any]:
        """`claim`, and the value of the Redis key `read_key` (the conversation state) read in
        the same round trip: (claimed, value; None without Redis or without the key)."""
        if update_id in self._busy:
            if self.single_consumer:
                return False, None
            raise UpdateInProgress(update_id)
        self._busy.add(update_id)  # before any await: a second copy here is a duplicate
        try:
            claimed, value = await self._claim(update_id, read_key)
        except BaseException:
            self._busy.discard(update_id)
            raise
        if not claimed:
            self._busy.discard(update_id)
        return claimed, value

    async def _claim(self, update_id: int, read_key: str | None) -> tuple[bool, Any]:
        if self._claim_script is None:
            return self._remember(update_id), None
        keys = [self._key(update_id)] + ([read_key] if read_key is not None else [])
        lease, takeover = int(self.LEASE * 1000), int(self.single_consumer)
        outcome, value = await self._claim_script(keys=keys, args=[lease, takeover])
        if outcome == 2:
            raise UpdateInProgress(update_id)
        return outcome == 1, value

    def keep(self, update_id: int) -> None:
        """Renew the busy lease every LEASE/3 until `finish` or `release` (a slow handler):
        a timer, not a task per update, since nearly every update is done long before."""
        if self.redis is not None and update_id in self._busy:
            loop = asyncio.get_running_loop()
            self._renewals[update_id] = loop.call_later(self.LEASE / 3, self._renew, update_id)

    def _renew(self, update_id: int) -> None:
        assert self.redis is not None
        self._renewals.pop(update_id, None)
        if update_id in self._busy:
            renewal = self.redis.pexpire(self._key(update_id), int(self.LEASE * 1000))
            task = asyncio.ensure_future(renewal)
            task.add_done_callback(_log_failed_renewal)
            self.keep(update_id)

    def _forget(self, update_id: int) -> None:
        self._busy.discard(update_id)
        renewal = self._renewals.pop(update_id, None)
        if renewal is not None:
            renewal.cancel()

    async def finish(self, update_id: int) -> None:
        self._forget(update_id)
        if self.redis is not None:
            await self.redis.set(self._key(update_id), "done", ex=24 * 3600)

    async def release(self, update_id: int) -> None:
        """Handling failed: forget the claim so a redelivery is handled again."""
        self._forget(update_id)
        self._seen.pop(update_id, None)
        if self.redis is not None:
            await self.redis.delete(self._key(update_id))


def _log_failed_renewal(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("renewing an update claim failed: %s", task.exception())


class DedupeMiddleware(BaseMiddleware):
    """Telegram may deliver an update twice; handle each update id once.

    With `fsm` (the Dispatcher's own FSM middleware, created with `disable_fsm=True` so it
    does not run by itself) it also loads the conversation state as aiogram's would, after
    the throttle: on Redis, read in the claim's round trip (one round trip, not two).
    """

    def __init__(
        self,
        dedup: UpdateDeduplicator,
        on_duplicate: Callable[[], None] | None = None,
        fsm: FSMContextMiddleware | None = None,
    ) -> None:
        self.dedup = dedup
        self.on_duplicate = on_duplicate  # metrics count the skipped redeliveries
        self.fsm = fsm

    def _state_key(self, context: Any) -> str | None:
        """The Redis key of the state when it can be read with the claim: the same server,
        and no event isolation (a lock must be taken before the state is read)."""
        fsm = self.fsm
        if fsm is None or context is None or not isinstance(fsm.storage, RedisStorage):
            return None
        if fsm.storage.redis is not self.dedup.redis:
            return None
        if not isinstance(fsm.events_isolation, DisabledEventIsolation):
            return None
        return fsm.storage.key_builder.build(context.key, "state")

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        update_id = event.update_id
        context = self.fsm.resolve_event_context(data["bot"], data) if self.fsm else None
        state_key = self._state_key(context)
        claimed, state = await self.dedup.claim_reading(update_id, state_key)
        if not claimed:
            log.info("update %s delivered again; ignored", update_id)
            if self.on_duplicate is not None:
                self.on_duplicate()
            return None
        self.dedup.keep(update_id)
        try:
            if self.fsm is None or context is None:
                result = await handler(event, data)
            elif state_key is not None:
                data["fsm_storage"], data["state"] = self.fsm.storage, context
                data["raw_state"] = state.decode() if isinstance(state, bytes) else state
                result = await handler(event, data)
            else:  # as aiogram's FSMContextMiddleware: the state is read under the lock
                data["fsm_storage"] = self.fsm.storage
                async with self.fsm.events_isolation.lock(key=context.key):
                    data.update({"state": context, "raw_state": await context.get_state()})
                    result = await handler(event, data)
        except Exception:  # the error router answers it; a redelivery must not run it again
            await self.dedup.finish(update_id)
            raise
        except BaseException:  # cancelled mid-update (shutdown): a redelivery handles it
            await asyncio.shield(self.dedup.release(update_id))
            raise
        await self.dedup.finish(update_id)
        return result


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

    It runs first among Kiosk's middlewares, so a dropped update costs no database or Redis
    round trip (bench/throughput.py --flood measures it); the "slow down" answer is therefore
    in the language Telegram reports for the person, not the one stored in their profile.
    Payment updates are never throttled: dropping a pre-checkout or a successful payment would
    lose money. Over-limit callbacks get a short answer so the client's spinner stops.
    """

    def __init__(self, rate: float, burst: int, i18n: PoI18n, max_users: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.i18n = i18n
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
            locale = resolve_language(tg_user.language_code)
            with self.i18n.context(), self.i18n.use_locale(locale):
                await event.callback_query.answer(_("Slow down a little, please."))
        return None


class SupportGateMiddleware(BaseMiddleware):
    """Nothing of a blocked shopper's is handled, and while the owner has closed the shop
    shoppers get the owner's message instead of the shop; staff are never stopped.

    Runs before the user is registered, so a refused update costs no query: the block list
    and the switch are cached in memory (SupportService.refusal). Money in flight is never
    dropped: a successful payment always goes through, and a pre-checkout or shipping query
    of a closed shop too (a payment started before closing completes); a blocked shopper's
    is refused with a reason. A blocked shopper is told once per `notice_minutes`.
    """

    def __init__(self, i18n: PoI18n, notice_minutes: int, max_users: int = 100_000) -> None:
        self.i18n = i18n
        self.notice_seconds = notice_minutes * 60.0
        self.max_users = max_users
        self._told: OrderedDict[int, float] = OrderedDict()

    def _due(self, user_id: int) -> bool:
        now = time.monotonic()
        last = self._told.pop(user_id, None)
        if last is not None and now - last < self.notice_seconds:
            self._told[user_id] = last
            return False
        self._told[user_id] = now
        if len(self._told) > self.max_users:
            self._told.popitem(last=False)
        return True

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        tg_user: TgUser | None = data.get("event_from_user")
        support: SupportService = data["support"]
        if tg_user is None or tg_user.is_bot:
            return await handler(event, data)
        refusal = await support.refusal(tg_user.id)
        if refusal is None:
            return await handler(event, data)
        message = event.message
        if message is not None and message.successful_payment is not None:
            return await handler(event, data)
        if refusal is Refusal.CLOSED and _is_payment(event):
            return await handler(event, data)
        log.info("update %s from %s refused: %s", event.update_id, tg_user.id, refusal.value)
        with self.i18n.context(), self.i18n.use_locale(resolve_language(tg_user.language_code)):
            await self._tell(event, refusal, support, tg_user.id)
        return None

    async def _tell(
        self, event: Update, refusal: Refusal, support: SupportService, user_id: int
    ) -> None:
        if refusal is Refusal.BLOCKED:
            text = _("We're sorry, but this shop can't serve you.")
            tell = self._due(user_id)
        else:
            note = (await support.maintenance()).message
            text = _("🚧 The shop is closed for now.") + (f"\n\n{esc(note)}" if note else "")
            tell = True
        if event.pre_checkout_query is not None:
            await event.pre_checkout_query.answer(False, error_message=text[:255])
        elif event.shipping_query is not None:
            await event.shipping_query.answer(False, error_message=text[:255])
        elif event.callback_query is not None:
            short = text if len(text) <= 200 else text[:199] + "…"
            await event.callback_query.answer(short if tell else None, show_alert=tell)
        elif event.message is not None and event.message.chat.type == "private" and tell:
            await event.message.answer(text)


def _is_payment(update: Update) -> bool:
    if update.pre_checkout_query is not None or update.shipping_query is not None:
        return True
    message = update.message
    return message is not None and message.successful_payment is not None
