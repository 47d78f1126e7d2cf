"""The in-process mode of bench/throughput.py: Kiosk's own cost per update, no emulator.

The real Kiosk is built by its composition root (`create_app`, hence `bot/wiring.py`'s
`build_services`, `build_bot`, `build_dispatcher`) from the settings `demo/harness.py` gives,
except that the Bot's session is `LocalSession`: every Bot API call is serialised as the
aiohttp session would serialise it, answered in process with a valid result echoing what was
sent (a sendMessage answers a Message with the text and reply_markup sent, so the next
simulated press uses the callback data the bot really sent), and that answer goes through
aiogram's own `check_response` (JSON decoding and model validation), as over HTTP.
Updates are fed with `Dispatcher.feed_raw_update`, so they are validated into models as the
webhook and polling paths do.

The simulated users (`LocalUser`) offer the part of `sandbox.SandboxUser` the shopper journey
of bench/_shoppers.py uses, so both modes run the very same journey. The bare echo bot
(bench/_echo_bot.py) is measured the same way in the same run.

Figures: updates/s, main-thread CPU per update (`time.thread_time`; includes the simulated
users and the local session, for Kiosk and echo alike), SQL statements per update (calls into
aiosqlite/asyncpg, BEGIN/COMMIT included), Redis round trips per update (packets sent by the
redis client: a pipeline is one) and Bot API calls per update.
"""

from __future__ import annotations

import cProfile
import itertools
import logging
import pstats
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod

from bench._shoppers import Run, ShopPlan, echo_user, shopper
from bot.wiring import KeepAnswerModels
from sandbox.models import ApiError, NoReply, SandboxError, bad
from sandbox.textparse import parse_text

BOT_ID = 7000000001
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Kiosk", "username": "kiosk_demo_bot"}
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendInvoice",
        "sendAnimation",
        "sendVideo",
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
    }
)


# ---- counting what the bot asks of its backends ----


@dataclass
class Tally:
    """Calls into the database drivers, Redis packets and Bot API calls since `reset`."""

    sql: int = 0
    redis: int = 0
    api: Counter[str] = field(default_factory=Counter)
    statements: Counter[str] | None = None  # by text, when asked for (--statements)

    def reset(self) -> None:
        self.sql, self.redis = 0, 0
        self.api.clear()
        if self.statements is not None:
            self.statements.clear()


TALLY = Tally()
_installed = False


def _counting(cls: type, name: str, kind: str) -> None:
    original = getattr(cls, name)

    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        if kind == "sql":
            TALLY.sql += 1
            if TALLY.statements is not None:
                text = args[0] if args and isinstance(args[0], str) else name.upper()
                TALLY.statements[" ".join(text.split())[:160]] += 1
        else:
            TALLY.redis += 1
        return await original(self, *args, **kwargs)

    counted.__qualname__ = original.__qualname__
    setattr(cls, name, counted)


def install_counters() -> None:
    """Wrap the drivers' statement methods and the redis client's packet writer (once)."""
    global _installed
    if _installed:
        return
    _installed = True
    import aiosqlite
    import asyncpg.connection
    from redis.asyncio.connection import AbstractConnection

    for name in (
        "execute",
        "executemany",
        "execute_fetchall",
        "execute_insert",
        "executescript",
        "commit",
        "rollback",
    ):
        _counting(aiosqlite.Connection, name, "sql")
    for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval"):
        _counting(asyncpg.connection.Connection, name, "sql")
    _counting(AbstractConnection, "send_packed_command", "redis")


# ---- the simulated Telegram: chats, messages, open queries ----


@dataclass
class LocalMessage:
    """A message in a chat, as the client shows it (`raw` is the Bot API Message object)."""

    raw: dict[str, Any]
    from_bot: bool
    deleted: bool = False

    @property
    def message_id(self) -> int:
        return int(self.raw["message_id"])

    @property
    def content(self) -> str:
        raw = self.raw
        if "invoice" in raw:
            return str(raw["invoice"]["title"])
        return str(raw.get("text") or raw.get("caption") or "")

    def buttons(self) -> Iterator[dict[str, Any]]:
        markup = self.raw.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", ()):
            yield from row

    def button_texts(self) -> list[str]:
        return [b["text"] for b in self.buttons()]


class World:
    """What Telegram would hold for one bot: the private chats and their users' sessions."""

    def __init__(self, loads: Callable[[Any], Any]) -> None:
        self.loads = loads
        self.users: dict[int, LocalUser] = {}
        self.update_ids = itertools.count(1)
        self.query_ids = itertools.count(1)
        self.unknown: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()  # calls Telegram would refuse, by reason

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        """The result Telegram would give `method` called with the (serialised) `params`."""
        if method == "getMe":
            return {
                **BOT_USER,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": True,
            }
        if method in MESSAGE_METHODS:
            if "inline_message_id" in params:
                return True
            return self._message(method, params)
        user = self._user_of(params)
        if user is not None:
            user.replies += 1
            if method == "answerPreCheckoutQuery":
                user.pre_checkout = params
            elif method == "answerShippingQuery":
                user.shipping = params
            elif method == "deleteMessage" and int(params["message_id"]) in user.messages:
                user.messages[int(params["message_id"])].deleted = True
        if method in ("getMyCommands",):
            return []
        if method not in _TRUE_METHODS:
            self.unknown[method] += 1
        return True

    def _user_of(self, params: dict[str, Any]) -> LocalUser | None:
        for key in ("callback_query_id", "pre_checkout_query_id", "shipping_query_id"):
            if key in params:
                return self.users.get(int(params[key].split(":")[0]))
        if "chat_id" in params:
            return self.users.get(int(params["chat_id"]))
        return None

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users[int(params["chat_id"])]
        user.replies += 1
        old = None
        if method.startswith("edit"):
            old = user.messages[int(params["message_id"])]
            raw = dict(old.raw, edit_date=int(time.time()))
            raw.pop("reply_markup", None)  # an edit without a keyboard removes it
        else:
            raw = {
                "message_id": user.next_message_id(),
                "date": int(time.time()),
                "chat": user.chat,
                "from": BOT_USER,
            }
        mode = params.get("parse_mode")
        if "text" in params:
            _set_text(raw, "text", params["text"], mode)
        if "caption" in params:
            _set_text(raw, "caption", params["caption"], mode)
        if "media" in params:
            media = self.loads(params["media"])
            raw.pop("text", None)
            raw.pop("entities", None)
            raw["photo"] = _photo()
            if media.get("caption"):
                _set_text(raw, "caption", media["caption"], media.get("parse_mode", mode))
        if "photo" in params:
            raw["photo"] = _photo()
        if "document" in params:
            raw["document"] = {"file_id": "BQACAgIAAxkBAAI", "file_unique_id": "AgADdoc"}
        if method == "sendInvoice":
            prices = self.loads(params["prices"])
            raw["invoice"] = {
                "title": params["title"],
                "description": params["description"],
                "start_parameter": params.get("start_parameter", ""),
                "currency": params["currency"],
                "total_amount": sum(int(p["amount"]) for p in prices),
            }
            user.invoices[raw["message_id"]] = params
        if "reply_markup" in params:
            markup = self.loads(params["reply_markup"])
            if "inline_keyboard" in markup:
                raw["reply_markup"] = markup
        if old is not None and "media" not in params and _same(old.raw, raw):
            raise bad(
                "message is not modified: specified new message content and reply markup "
                "are exactly the same as a current content and reply markup of the message"
            )
        user.messages[raw["message_id"]] = LocalMessage(raw, from_bot=True)
        return raw


@lru_cache(maxsize=4096)
def _parsed(text: str, mode: str | None) -> tuple[str, list[dict[str, Any]] | None]:
    """Telegram's own parsing of a formatted text (server side: cached, so the simulated
    Telegram costs the bot's thread as little as possible)."""
    return parse_text(text, mode)


def _set_text(raw: dict[str, Any], key: str, text: str, mode: str | None) -> None:
    plain, entities = _parsed(text, mode)
    raw[key] = plain
    entities_key = "entities" if key == "text" else "caption_entities"
    if entities:
        raw[entities_key] = entities
    else:
        raw.pop(entities_key, None)


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    keys = ("text", "entities", "caption", "caption_entities", "reply_markup")
    return all(old.get(k) == new.get(k) for k in keys)


_TRUE_METHODS = frozenset(
    {
        "answerCallbackQuery",
        "answerPreCheckoutQuery",
        "answerShippingQuery",
        "deleteMessage",
        "setMyCommands",
        "setChatMenuButton",
        "deleteWebhook",
        "setWebhook",
        "sendChatAction",
        "answerInlineQuery",
        "setMyDescription",
        "setMyShortDescription",
        "deleteMyCommands",
    }
)


def _photo() -> list[dict[str, Any]]:
    return [
        {
            "file_id": "AgACAgIAAxkBAAI",
            "file_unique_id": "AQADph",
            "width": 800,
            "height": 800,
            "file_size": 40000,
        }
    ]


class LocalSession(KeepAnswerModels):  # the production session keeps them too
    """A Bot API session answered by `World`, with the client-side work of a real one:
    the request is serialised field by field as AiohttpSession does, the answer is JSON text
    decoded and validated by aiogram's `check_response`. Counts every call in TALLY."""

    def __init__(self, world: World, like: BaseSession | None = None) -> None:
        if like is None:
            super().__init__()
        else:  # the same JSON functions as the session it stands in for
            super().__init__(api=like.api, json_loads=like.json_loads, json_dumps=like.json_dumps)
        self.world = world

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> Any:
        name = method.__api_method__
        TALLY.api[name] += 1
        files: dict[str, Any] = {}
        params = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files)
            if prepared:
                params[key] = prepared
        for file in files.values():  # what aiohttp would upload
            file.read(bot)
        try:
            answer = {"ok": True, "result": self.world.answer(name, params)}
            status = 200
        except ApiError as exc:  # Telegram's refusal, raised by check_response as over HTTP
            self.world.refused[f"{name}: {exc.description[:60]}"] += 1
            answer = {"ok": False, "error_code": exc.code, "description": exc.description}
            status = exc.code
        content = self.json_dumps(answer)
        response = self.check_response(bot=bot, method=method, status_code=status, content=content)
        return response.result

    async def close(self) -> None:
        return None

    async def stream_content(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError("the in-process bench downloads nothing")


# ---- simulated users: the SandboxUser interface bench/_shoppers.py uses ----


@dataclass
class PaymentOutcome:
    ok: bool
    error: str | None = None


class LocalUser:
    """One user in a private chat with the bot, feeding updates straight to the Dispatcher."""

    def __init__(self, world: World, feed: Feed, user_id: int, first_name: str) -> None:
        self.world, self.feed = world, feed
        self.id = self.user_id = user_id
        self.first_name = first_name
        self.user_dict = {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": "en",
        }
        self.chat = {"id": user_id, "type": "private", "first_name": first_name}
        self.messages: dict[int, LocalMessage] = {}
        self.invoices: dict[int, dict[str, Any]] = {}
        self.replies = 0
        self.pre_checkout: dict[str, Any] | None = None
        self.shipping: dict[str, Any] | None = None
        self.sb = SimpleNamespace(reply_timeout=5.0)  # how long `until` waits for a screen
        self._ids = itertools.count(1)
        self.reached_payment = False
        world.users[user_id] = self

    def next_message_id(self) -> int:
        return next(self._ids)

    async def _feed(self, update: dict[str, Any], expect_reply: bool, what: str) -> None:
        replies0 = self.replies
        await self.feed(update)
        started = getattr(self, "bench_t0", None)
        if started is not None:  # reply latency: sent -> handled
            self.bench_sink.append((time.perf_counter() - started) * 1000)  # type: ignore[attr-defined]
            self.bench_t0 = None
        if expect_reply and self.replies == replies0:
            raise NoReply(f"{self.first_name} ({self.id}): no reply to {what}")

    def _update(self, **payload: Any) -> dict[str, Any]:
        return {"update_id": next(self.world.update_ids), **payload}

    def _say(self, **fields: Any) -> dict[str, Any]:
        raw = {
            "message_id": self.next_message_id(),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user_dict,
            **fields,
        }
        self.messages[raw["message_id"]] = LocalMessage(raw, from_bot=False)
        return raw

    async def send(self, text: str, expect_reply: bool = True) -> None:
        fields: dict[str, Any] = {"text": text}
        if text.startswith("/") and len(text) > 1:
            length = len(text.split(maxsplit=1)[0])
            fields["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        await self._feed(self._update(message=self._say(**fields)), expect_reply, repr(text))

    async def press(self, text: str) -> None:
        for msg in reversed(self.bot_messages):
            for button in msg.buttons():
                if button["text"] == text and "callback_data" in button:
                    return await self._callback(msg, button["callback_data"])
        raise SandboxError(f"no inline button {text!r}\n{self.transcript()}")

    async def press_data(self, data: str) -> None:
        if not self.bot_messages:
            raise SandboxError("no bot message to attach a callback query to")
        await self._callback(self.bot_messages[-1], data)

    async def _callback(self, msg: LocalMessage, data: str) -> None:
        query = {
            "id": f"{self.id}:{next(self.world.query_ids)}",
            "from": self.user_dict,
            "message": msg.raw,
            "chat_instance": f"{BOT_ID}{self.id}",
            "data": data,
        }
        await self._feed(self._update(callback_query=query), True, f"press {data!r}")

    async def pay_invoice(self) -> PaymentOutcome:
        """Telegram's payment form: shipping query when flexible, pre-checkout, payment."""
        self.reached_payment = True
        msg = next((m for m in reversed(self.bot_messages) if "invoice" in m.raw), None)
        if msg is None:
            raise SandboxError(f"no invoice in the chat\n{self.transcript()}")
        inv = self.invoices[msg.message_id]
        total, extra = msg.raw["invoice"]["total_amount"], {}
        address = {
            "country_code": "GB",
            "state": "",
            "city": "Oxford",
            "street_line1": "1 High St",
            "street_line2": "",
            "post_code": "OX1 1AA",
        }
        flexible = inv.get("is_flexible") == "true"
        if flexible:
            self.shipping = None
            query = {
                "id": f"{self.id}:{next(self.world.query_ids)}",
                "from": self.user_dict,
                "invoice_payload": inv["payload"],
                "shipping_address": address,
            }
            await self._feed(self._update(shipping_query=query), False, "shipping query")
            if self.shipping is None or self.shipping.get("ok") != "true":
                return PaymentOutcome(False, "shipping query refused or not answered")
            option = self.world.loads(self.shipping["shipping_options"])[0]
            total += sum(int(p["amount"]) for p in option["prices"])
            extra["shipping_option_id"] = option["id"]
        if inv.get("need_shipping_address") == "true" or flexible:
            extra["order_info"] = {"shipping_address": address}
        self.pre_checkout = None
        query = {
            "id": f"{self.id}:{next(self.world.query_ids)}",
            "from": self.user_dict,
            "currency": inv["currency"],
            "total_amount": total,
            "invoice_payload": inv["payload"],
            **extra,
        }
        await self._feed(self._update(pre_checkout_query=query), False, "pre-checkout query")
        answer = self.pre_checkout
        if answer is None or answer.get("ok") != "true":
            error = "not answered" if answer is None else answer.get("error_message")
            return PaymentOutcome(False, f"pre-checkout: {error}")
        payment = {
            "currency": inv["currency"],
            "total_amount": total,
            "invoice_payload": inv["payload"],
            "telegram_payment_charge_id": f"tg_charge_{self.id}_{msg.message_id}",
            "provider_payment_charge_id": f"prov_{self.id}_{msg.message_id}",
            **extra,
        }
        update = self._update(message=self._say(successful_payment=payment))
        await self._feed(update, True, "successful payment")
        return PaymentOutcome(True)

    @property
    def bot_messages(self) -> list[LocalMessage]:
        return [m for m in self.messages.values() if m.from_bot and not m.deleted]

    @property
    def last_bot_message(self) -> LocalMessage | None:
        messages = self.bot_messages
        return messages[-1] if messages else None

    def transcript(self, history: bool = False) -> str:
        shown = list(self.messages.values())[-8:]
        lines = [
            f"{'bot' if m.from_bot else 'user'}: {m.content[:120]!r} {m.button_texts()}"
            for m in shown
        ]
        return "\n".join(lines)


Feed = Callable[[dict[str, Any]], Any]


# ---- one measured run ----


class ErrorLog(logging.Handler):
    """Counts ERROR records (anywhere) and keeps the first one, formatted."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first = ""
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if not self.first:
            self.first = self.format(record)


@dataclass
class Figures:
    label: str
    run: Run
    cpu_s: float  # main thread
    process_cpu_s: float  # all threads (aiosqlite runs statements in its own thread)
    sql: int
    redis: int
    api: Counter[str]
    errors: int = 0
    first_error: str = ""
    problems: list[str] = field(default_factory=list)  # correctness failures
    checked: str = ""  # what the correctness check saw
    statements: Counter[str] = field(default_factory=Counter)  # by text (--statements)

    @property
    def updates(self) -> int:
        return self.run.updates

    @property
    def rate(self) -> float:
        return self.updates / self.run.elapsed_s if self.run.elapsed_s else float("nan")

    def per_update(self, value: float) -> float:
        return value / self.updates if self.updates else float("nan")


@contextmanager
def measured(label: str, run_holder: list[Figures]) -> Iterator[Run]:
    """Count and time what happens inside; append the Figures when done."""
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    run = Run()
    TALLY.reset()
    thread0, process0 = time.thread_time(), time.process_time()
    try:
        yield run
    finally:
        cpu, process_cpu = time.thread_time() - thread0, time.process_time() - process0
        logging.getLogger().removeHandler(errors)
        run_holder.append(
            Figures(
                label,
                run,
                cpu,
                process_cpu,
                TALLY.sql,
                TALLY.redis,
                Counter(TALLY.api),
                errors.count,
                errors.first,
                statements=Counter(TALLY.statements or {}),
            )
        )


async def _at_most(limit: int, sessions: list[Any]) -> float:
    import asyncio

    gate = asyncio.Semaphore(limit)

    async def gated(session: Any) -> None:
        async with gate:
            await session

    started = time.perf_counter()
    await asyncio.gather(*(gated(s) for s in sessions))
    return time.perf_counter() - started


def _feeder(dp: Dispatcher, bot: Bot) -> Feed:
    async def feed(update: dict[str, Any]) -> None:
        await dp.feed_raw_update(bot, update)

    return feed


@asynccontextmanager
async def local_kiosk(settings: Any, world: World) -> AsyncIterator[Any]:
    """Kiosk as `create_app` builds it, with the Bot's session replaced by a LocalSession
    (the only seam: `build_bot` as seen by the app module)."""
    from bot.runtime import app as app_module

    real_build_bot = app_module.build_bot

    def build_local_bot(settings: Any, token: str) -> Bot:
        bot = real_build_bot(settings, token)
        bot.session = LocalSession(world, like=bot.session)
        return bot

    app_module.build_bot = build_local_bot  # type: ignore[assignment]
    try:
        app = await app_module.create_app(settings)
    finally:
        app_module.build_bot = real_build_bot  # type: ignore[assignment]
    try:
        yield app
    finally:
        await app.close()


async def paid_orders(since: datetime, telegram_ids: list[int]) -> Counter[int]:
    """Paid orders placed since `since`, per buyer's Telegram id."""
    from storage.orders.models import OrderRow

    rows = await OrderRow.filter(
        created_at__gte=since, payment_status="paid", user__telegram_id__in=telegram_ids
    ).values_list("user__telegram_id", flat=True)
    return Counter(int(r) for r in rows)


async def bench_kiosk(
    settings: Any,
    plan: ShopPlan,
    ids: list[int],
    warmup_ids: list[int],
    concurrency: int,
    profile: str | None,
) -> Figures:
    """Kiosk: `warmup_ids` shop first (not counted), then `ids`, `concurrency` at a time."""
    import random

    world = World(loads=_loads_for(settings))
    results: list[Figures] = []
    async with local_kiosk(settings, world) as app:
        feed = _feeder(app.dp, app.bot)
        warm = Run()
        await _at_most(
            concurrency,
            [
                shopper(warm, LocalUser(world, feed, i, f"Shopper {i}"), plan, random.Random(i))
                for i in warmup_ids
            ],
        )
        users = [LocalUser(world, feed, i, f"Shopper {i}") for i in ids]
        since = datetime.now(UTC)
        profiler = cProfile.Profile() if profile else None
        with measured("kiosk", results) as run:
            if profiler is not None:
                profiler.enable()
            try:
                run.elapsed_s = await _at_most(
                    concurrency, [shopper(run, u, plan, random.Random(1 + u.id)) for u in users]
                )
            finally:
                if profiler is not None:
                    profiler.disable()
        figures = results[0]
        if profiler is not None and profile is not None:
            profiler.dump_stats(profile)
        payers = [u.id for u in users if u.reached_payment]
        paid = await paid_orders(since, payers)
        wrong = [(i, paid[i]) for i in payers if paid[i] != 1]
        figures.checked = (
            f"{len(payers)} shoppers reached payment; {len(payers) - len(wrong)} of them have "
            f"exactly one paid order"
        )
        if wrong:
            figures.problems.append(
                f"{len(wrong)} of {len(payers)} paying shoppers have not exactly one paid "
                f"order, e.g. {wrong[:3]}"
            )
        if warm.failures:
            figures.problems.append(f"warm-up failures: {warm.failures[:3]}")
    if world.refused:
        print(f"         Bot API calls refused (as Telegram would): {dict(world.refused)}")
    if world.unknown:
        figures.problems.append(
            f"Bot API methods the local session answered blindly: {dict(world.unknown)}"
        )
    return figures


def _loads_for(settings: Any) -> Callable[[Any], Any]:
    import orjson

    return orjson.loads


async def bench_echo(reference: Run, concurrency: int) -> Figures:
    """The bare echo bot, fed the same number and mix of updates from as many users."""
    from bench._echo_bot import build_echo_dispatcher

    world = World(loads=_loads_for(None))
    dp = build_echo_dispatcher()
    bot = Bot(f"{BOT_ID}:echo-local-token", session=LocalSession(world))
    feed = _feeder(dp, bot)
    results: list[Figures] = []
    users = {i: LocalUser(world, feed, i, f"Echo {i}") for i in reference.kinds}
    with measured("echo", results) as run:
        run.elapsed_s = await _at_most(
            concurrency, [echo_user(run, users[i], kinds) for i, kinds in reference.kinds.items()]
        )
    return results[0]


def print_figures(figures: Figures) -> None:
    f = figures
    lat = sorted(f.run.latencies_ms)
    p50 = lat[len(lat) // 2] if lat else float("nan")
    p95 = lat[min(len(lat) - 1, round(0.95 * (len(lat) - 1)))] if lat else float("nan")
    api = sum(f.api.values())
    print(
        f"  {f.label:<6} {f.updates:>6} updates in {f.run.elapsed_s:6.1f} s = {f.rate:7.1f} upd/s"
        f"   CPU/update main thread {1000 * f.per_update(f.cpu_s):5.2f} ms"
        f" (all threads {1000 * f.per_update(f.process_cpu_s):5.2f})"
        f"   SQL {f.per_update(f.sql):4.2f}  Redis {f.per_update(f.redis):4.2f}"
        f"  Bot API {f.per_update(api):4.2f} per update"
        f"   handled ms p50={p50:.0f} p95={p95:.0f}   failures={len(f.run.failures)}"
    )
    cpu_ms = 1000 * f.per_update(f.cpu_s)
    print(
        f"         one core's worth: {1000 / cpu_ms:.0f} updates/s (1 s / main-thread CPU per "
        f"update; the run got {f.rate * cpu_ms / 10:.0f}% of a core)"
    )
    if api:
        top = ", ".join(f"{name} {n / f.updates:.2f}" for name, n in f.api.most_common(6))
        print(f"         Bot API calls per update: {top}")
    for failure in sorted(set(f.run.failures))[:3]:
        print(f"         {failure}")
    if f.errors:
        print(f"         {f.errors} ERROR log records; the first: {f.first_error[:500]}")
    if f.checked:
        print(f"         correctness: {f.checked}; {f.errors} ERROR log records")
    for problem in f.problems:
        print(f"         CORRECTNESS: {problem}")


def print_statements(figures: Figures, top: int) -> None:
    """The most frequent statements (by text, parameters apart), per update."""
    print(f"  the {top} most frequent of {len(figures.statements)} distinct statements:")
    for text, n in figures.statements.most_common(top):
        print(f"    {n / figures.updates:5.2f}/upd  {text}")


def ok(figures: Figures) -> bool:
    return not (figures.run.failures or figures.errors or figures.problems)


# ---- the profile, by layer ----

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("ORM (tortoise, pypika)", ("/tortoise/", "/pypika")),
    (
        "DB driver (asyncpg, aiosqlite, sqlite3)",
        ("/asyncpg/", "/aiosqlite/", "sqlite3", "_sqlite3"),
    ),
    ("Redis client", ("/redis/",)),
    ("Bot API client (aiogram client/methods)", ("/aiogram/client/", "/aiogram/methods/")),
    ("pydantic (update and answer models, dumps)", ("pydantic",)),
    ("aiogram types (model helpers)", ("/aiogram/types/", "/aiogram/utils/")),
    (
        "dispatch, filters, FSM (aiogram)",
        ("/aiogram/dispatcher/", "/aiogram/filters/", "/aiogram/fsm/", "/aiogram/"),
    ),
    ("Kiosk middlewares and runtime (bot/)", ("/main/bot/", "/before/bot/")),
    ("Kiosk handlers", ("/handlers/",)),
    ("Kiosk domain", ("/domain/",)),
    ("Kiosk storage", ("/storage/",)),
    ("bench (simulated users, local session)", ("/bench/",)),
    ("i18n (gettext, babel)", ("gettext", "/babel/")),
    ("json (orjson, json)", ("orjson", "/json/")),
    ("asyncio / event loop", ("asyncio", "uvloop", "<frozen", "contextvars")),
]


def layer_of(filename: str, funcname: str) -> str:
    where = filename if filename != "~" else funcname
    for name, marks in LAYERS:
        if any(mark in where for mark in marks):
            return name
    return "other (stdlib, builtins)"


def _layers_of(raw: dict[Any, Any], key: Any, depth: int) -> dict[str, float]:
    """The layer a function's self time belongs to: its own, or for stdlib and builtins
    (dict.get, copy, a queue's put...) its callers', in proportion to the time they spent in
    it (up to `depth` callers up)."""
    own = layer_of(key[0], key[2])
    callers = raw[key][4]
    if not own.startswith("other") or depth == 0 or not callers:
        return {own: 1.0}
    spent = sum(c[2] for c in callers.values()) or float(len(callers))
    shares: Counter[str] = Counter()
    for caller, (_cc, _nc, tottime, _ct) in callers.items():
        weight = (tottime or (0.0 if spent != len(callers) else 1.0)) / spent
        if caller in raw and weight:
            for layer, share in _layers_of(raw, caller, depth - 1).items():
                shares[layer] += weight * share
    return dict(shares) or {own: 1.0}


def summarise_profile(path: str, updates: int, top: int = 25, cumulative: int = 45) -> None:
    """Self time per layer (stdlib and builtins counted in their callers' layer) and the top
    functions, per update (cProfile inflates absolute times: read the shares)."""
    stats = pstats.Stats(path)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    by_layer: Counter[str] = Counter()
    total = 0.0
    for key, (_cc, _nc, tottime, _ct, _callers) in raw.items():
        for layer, share in _layers_of(raw, key, depth=4).items():
            by_layer[layer] += tottime * share
        total += tottime
    print(f"  profile {path}: {1000 * total / updates:.2f} ms self time per update under cProfile")
    for name, seconds in by_layer.most_common():
        print(f"    {100 * seconds / total:5.1f}%  {1000 * seconds / updates:6.3f} ms  {name}")
    print("  top functions by self time:")
    ranked = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (filename, line, funcname), (_cc, nc, tottime, _cumtime, _c) in ranked:
        short = "/".join(filename.split("/")[-3:])
        print(
            f"    {100 * tottime / total:5.1f}%  calls/upd {nc / updates:6.1f}  "
            f"{short}:{line} {funcname}"
        )
    print("  inclusive time (coroutines: summed over their resumptions), top entries:")
    ranked = sorted(raw.items(), key=lambda kv: kv[1][3], reverse=True)
    shown = 0
    for (filename, line, funcname), (_cc, nc, _tottime, cumtime, _c) in ranked:
        if filename == "~" or "asyncio" in filename or "contextlib" in filename:
            continue
        short = "/".join(filename.split("/")[-3:])
        print(
            f"    {100 * cumtime / total:5.1f}%  calls/upd {nc / updates:6.1f}  "
            f"{short}:{line} {funcname}"
        )
        shown += 1
        if shown == cumulative:
            break
