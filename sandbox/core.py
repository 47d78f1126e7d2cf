"""The ``Sandbox`` object: public test API plus the dispatcher every Bot API call goes through.

Dispatching centrally lets us record every call (``sb.calls``), apply rate limits uniformly and
wake exactly the user whose chat/query a call concerns, which is what makes user-side waits
deterministic without polling.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .miniapp import MiniAppClient
from .models import ApiCall, ApiError, RateLimits, SandboxError, SandboxMessage
from .ratelimit import RateLimiter
from .state import BotState, ChatState, FileStore
from .validation import Params

if TYPE_CHECKING:
    from .users import SandboxGroup, SandboxUser
    from .webhook import WebhookPusher

_QUERY_KEYS = (
    "callback_query_id",
    "inline_query_id",
    "shipping_query_id",
    "pre_checkout_query_id",
)
log = logging.getLogger("sandbox")
_NO_REPLY = {"sendchataction"}  # keeps a user waiting (settle) but isn't an answer


class Sandbox:
    """A local Telegram: one aiohttp server, any number of bots, simulated users."""

    def __init__(
        self,
        bot_token: str = "123456:TEST-token",
        bot_username: str = "kiosk_demo_bot",
        bot_first_name: str = "Kiosk",
        precheckout_timeout: float = 10.0,
        rate_limits: RateLimits | None = None,
        settle: float = 0.15,
        reply_timeout: float = 5.0,
    ) -> None:
        self.default_token = bot_token
        self.bots: dict[str, BotState] = {}
        self.add_bot(bot_token, bot_username, bot_first_name)
        self.precheckout_timeout = precheckout_timeout
        self.settle = settle
        self.reply_timeout = reply_timeout
        self.callback_query_ttl = 60.0
        self._limiter = RateLimiter(rate_limits or RateLimits())
        self.users: dict[tuple[str, int], SandboxUser] = {}
        self.groups: dict[tuple[str, int], SandboxGroup] = {}
        self.blocked: set[int] = set()
        self.calls: list[ApiCall] = []
        self.refunds: list[dict[str, Any]] = []
        self.charges: dict[str, dict[str, Any]] = {}
        # Stars subscriptions by the charge id of their first payment (sandbox/payments.py)
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.files = FileStore()
        self.dropped_pending_updates = 0
        self.base_url = ""
        self._method_counts: collections.Counter[str] = collections.Counter()
        self._status_counts: collections.Counter[int] = collections.Counter()
        self._seq = 0
        self._last_action = time.monotonic()
        self._webhook_targets: list[str] | None = None
        # Seconds a webhook POST may take before it counts as failed and the update is pushed
        # again (to the next target when there are replicas). Telegram waits about a minute.
        self.webhook_timeout = 60.0
        self.closing = False
        self._runner: web.AppRunner | None = None
        self.pusher: WebhookPusher | None = None
        self.miniapp = MiniAppClient(self)  # telegram-web-app.js, /miniapp/* (payment forms)

    # ------------------------------------------------------------------ lifecycle
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind the HTTP server; ``base_url`` is valid afterwards."""
        from .server import build_app
        from .webhook import WebhookPusher

        self.closing = False
        self.pusher = WebhookPusher(self)
        self._runner = web.AppRunner(build_app(self), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        self.base_url = f"http://{host}:{bound}"
        for bot in self.bots.values():
            if bot.webhook is not None:
                self.pusher.kick(bot)

    async def stop(self) -> None:
        self.closing = True
        for bot in self.bots.values():
            bot.new_update.set()  # release long polls so the server can shut down at once
        if self.pusher is not None:
            await self.pusher.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ test-side API
    def add_bot(self, token: str, username: str, first_name: str) -> BotState:
        if token not in self.bots:
            self.bots[token] = BotState(token, username, first_name)
        return self.bots[token]

    def bot(self, bot_token: str | None = None) -> BotState:
        try:
            return self.bots[bot_token or self.default_token]
        except KeyError:
            raise SandboxError(f"unknown bot token {bot_token!r}; use add_bot()") from None

    def user(
        self,
        user_id: int,
        first_name: str = "User",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        bot_token: str | None = None,
    ) -> SandboxUser:
        """The simulated user ``user_id`` talking to a bot; idempotent per (bot, id)."""
        from .users import SandboxUser

        bot = self.bot(bot_token)
        key = (bot.token, user_id)
        if key not in self.users:
            self.users[key] = SandboxUser(
                self, bot, user_id, first_name, last_name, username, language_code
            )
        return self.users[key]

    def group(
        self,
        chat_id: int,
        title: str = "Staff",
        is_forum: bool = True,
        bot_token: str | None = None,
    ) -> SandboxGroup:
        """A supergroup the bot is an admin of (a forum with topics unless ``is_forum`` is
        False), where users post with ``SandboxGroup.post``; idempotent per (bot, id)."""
        from .users import SandboxGroup

        if chat_id >= 0:
            raise SandboxError("group chat ids are negative (supergroups: -100...)")
        bot = self.bot(bot_token)
        key = (bot.token, chat_id)
        if key not in self.groups:
            self.groups[key] = SandboxGroup(self, bot, chat_id, title, is_forum)
        return self.groups[key]

    def channel(
        self, chat_id: int, title: str = "Members", bot_token: str | None = None
    ) -> ChatState:
        """A private channel the bot is an admin of (allowed to invite and ban users); its
        members join with ``SandboxUser.join_chat`` and are listed in ``.members``."""
        if not str(chat_id).startswith("-100"):
            raise SandboxError("channel chat ids start with -100")
        bot = self.bot(bot_token)
        chat_dict = {"id": chat_id, "type": "channel", "title": title}
        return bot.chats.setdefault(chat_id, ChatState(chat_id, chat_dict))

    def block(self, user_id: int) -> None:
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)

    def chat(self, chat_id: int, bot_token: str | None = None) -> list[SandboxMessage]:
        chat = self.bot(bot_token).chats.get(chat_id)
        return list(chat.messages.values()) if chat else []

    @property
    def errors(self) -> list[ApiCall]:
        return [c for c in self.calls if not c.ok]

    @property
    def rate_limits(self) -> RateLimits:
        return self._limiter.limits

    @rate_limits.setter
    def rate_limits(self, value: RateLimits) -> None:
        self._limiter.limits = value
        self._limiter.reset()

    @property
    def stats(self) -> dict[str, int]:
        out = dict(self._method_counts)
        out.update(
            {
                "total": len(self.calls),
                "errors": sum(1 for c in self.calls if not c.ok),
                "429": self._status_counts[429],
                "403": self._status_counts[403],
            }
        )
        return out

    def set_webhook_targets(self, urls: list[str] | None) -> None:
        """Push updates round-robin to these URLs instead of setWebhook's url (replicas)."""
        self._webhook_targets = list(urls) if urls else None

    async def wait_idle(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until every queued update was handed to a bot and bots were quiet ``settle`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            busy = any(
                not r.delivered.is_set() for b in self.bots.values() for r in b.updates.values()
            ) or any(b.pending_pushes for b in self.bots.values())
            quiet = time.monotonic() - self._last_action >= self.settle
            if not busy and quiet:
                return
            if loop.time() >= deadline:
                pending = sum(len(b.updates) for b in self.bots.values())
                raise SandboxError(f"sandbox not idle after {timeout}s ({pending} pending)")
            await asyncio.sleep(min(0.02, self.settle / 4 or 0.01))

    # ------------------------------------------------------------------ bot-side dispatch
    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    async def handle_call(self, token: str, method: str, p: Params) -> tuple[int, dict[str, Any]]:
        """Run one Bot API method; returns (HTTP status, Telegram JSON body)."""
        from .methods import METHODS, RATE_LIMITED

        bot = self.bots.get(token)
        name = method.lower()
        call = ApiCall(method, p.data, bot_token=token)
        try:
            if bot is None:
                raise ApiError("Unauthorized", 401)
            handler = METHODS.get(name)
            if handler is None:
                raise ApiError("Not Found: method not found", 404)
            if name in RATE_LIMITED and self._limiter.limits.enabled:
                self._limiter.check(_int_or_none(p.data.get("chat_id")))
            try:
                result = await handler(self, bot, p)
            except (ApiError, asyncio.CancelledError):
                raise
            except Exception as e:  # a sandbox bug: make it loud in sb.errors, not a hang
                log.exception("sandbox failed on %s", method)
                raise ApiError(f"Internal Server Error: sandbox bug: {e!r}", 500) from e
            body: dict[str, Any] = {"ok": True, "result": result}
            status = 200
        except ApiError as e:
            status = e.code
            body = {"ok": False, "error_code": e.code, "description": e.description}
            if e.retry_after is not None:
                body["parameters"] = {"retry_after": e.retry_after}
            call.ok, call.error_code, call.description = False, e.code, e.description
            self._status_counts[e.code] += 1
        self.calls.append(call)
        self._method_counts[method] += 1
        if bot is not None and not name.startswith("get"):
            self._last_action = time.monotonic()
            self._notify(bot, name, p, status)
        return status, body

    def _notify(self, bot: BotState, name: str, p: Params, status: int) -> None:
        """Wake the user this call concerns (its chat, its query, or user_id)."""
        uid = _int_or_none(p.data.get("chat_id"))
        if uid is None:
            uid = _int_or_none(p.data.get("user_id"))
        if uid is None:
            for key in _QUERY_KEYS:
                q = bot.queries.get(str(p.data.get(key)))
                if q is not None:
                    uid = q.user_id
                    break
        if uid is None:
            return
        user = self.users.get((bot.token, uid))
        if user is not None:
            user._bot_action(reply=name not in _NO_REPLY and status != 429)


def _int_or_none(v: Any) -> int | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None
