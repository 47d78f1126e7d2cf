"""Webhook push mode: POST pending updates to the bot, retrying until it answers 2xx.

Per bot there is a FIFO of ready updates and ``max_connections`` workers, so ordering holds for
max_connections=1 and load spreads across replicas (round-robin targets) otherwise. Updates leave
the store only after a 2xx, exactly like Telegram, so a crashing replica loses nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from .server import decode_fields
from .state import BotState, UpdateRec
from .validation import Params

if TYPE_CHECKING:
    from .core import Sandbox

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class _BotPush:
    def __init__(self, bot: BotState):
        self.queue: asyncio.Queue[UpdateRec] = asyncio.Queue()
        self.workers: list[asyncio.Task[None]] = []
        self.timers: list[asyncio.TimerHandle] = []


class WebhookPusher:
    def __init__(self, sb: Sandbox):
        self.sb = sb
        self._session: aiohttp.ClientSession | None = None
        self._bots: dict[str, _BotPush] = {}
        self._rr = itertools.count()

    def kick(self, bot: BotState) -> None:
        """(Re)start pushing for ``bot`` after setWebhook: pending updates go first."""
        self.stop_bot(bot)
        wh = bot.webhook
        if wh is None:
            return
        state = self._bots[bot.token] = _BotPush(bot)
        for rec in bot.updates.values():
            state.queue.put_nowait(rec)
        bot.on_enqueue = state.queue.put_nowait
        state.workers = [
            asyncio.create_task(self._worker(bot, state)) for _ in range(wh.max_connections)
        ]

    def stop_bot(self, bot: BotState) -> None:
        bot.on_enqueue = None
        state = self._bots.pop(bot.token, None)
        if state is not None:
            for task in state.workers:
                task.cancel()
            for timer in state.timers:
                timer.cancel()

    async def close(self) -> None:
        for bot in self.sb.bots.values():
            self.stop_bot(bot)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _worker(self, bot: BotState, state: _BotPush) -> None:
        while True:
            rec = await state.queue.get()
            wh = bot.webhook
            if rec.done or wh is None:
                continue
            if wh.allowed_updates and rec.kind not in wh.allowed_updates:
                bot.remove(rec)
                continue
            bot.pending_pushes += 1
            try:
                ok = await self._push(bot, rec)
            finally:
                bot.pending_pushes -= 1
            if ok:
                bot.remove(rec)
            elif not rec.done:
                rec.attempts += 1
                delay = min(2.0, 0.2 * 2 ** (rec.attempts - 1))
                loop = asyncio.get_running_loop()
                state.timers = [t for t in state.timers if not t.cancelled()][-1000:]
                state.timers.append(loop.call_later(delay, state.queue.put_nowait, rec))

    async def _push(self, bot: BotState, rec: UpdateRec) -> bool:
        wh = bot.webhook
        assert wh is not None
        targets = self.sb._webhook_targets or [wh.url]
        url = targets[next(self._rr) % len(targets)]
        headers = {"Content-Type": "application/json"}
        if wh.secret_token:
            headers[SECRET_HEADER] = wh.secret_token
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        timeout = aiohttp.ClientTimeout(total=self.sb.webhook_timeout)
        try:
            async with self._session.post(
                url, data=json.dumps(rec.as_dict()), headers=headers, timeout=timeout
            ) as resp:
                if not 200 <= resp.status < 300:
                    self._error(
                        bot, f"Wrong response from the webhook: {resp.status} {resp.reason}"
                    )
                    return False
                reply = await _read_reply(resp)
        except (TimeoutError, aiohttp.ClientError, OSError) as e:
            self._error(bot, f"Connection failed: {type(e).__name__}: {e}")
            return False
        if reply is not None:
            method = str(reply.data.pop("method"))
            await self.sb.handle_call(bot.token, method, reply)
        return True

    @staticmethod
    def _error(bot: BotState, message: str) -> None:
        if bot.webhook is not None:
            bot.webhook.last_error_date = int(time.time())
            bot.webhook.last_error_message = message


async def _read_reply(resp: aiohttp.ClientResponse) -> Params | None:
    """A method call returned in the webhook response body (JSON or aiogram's multipart)."""
    data: dict[str, Any] = {}
    files: dict[str, tuple[bytes, str, str]] = {}
    if resp.content_type.startswith("multipart/"):
        reader = aiohttp.MultipartReader.from_response(resp)
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
                continue
            if part.filename:
                files[part.name] = (
                    bytes(await part.read()),
                    part.filename,
                    part.headers.get("Content-Type", "application/octet-stream"),
                )
            else:
                data[part.name] = await part.text()
        decode_fields(data)
    elif resp.content_type == "application/json":
        try:
            body = await resp.json()
        except ValueError:
            return None
        if isinstance(body, dict):
            data = body
    return Params(data, files) if data.get("method") else None
