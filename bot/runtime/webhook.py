"""The webhook endpoint: aiogram's request handler, plus a warning for every refused request
and a 503 for an update that is still being handled (Telegram delivers it again later)."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.middlewares import Redeliver
from bot.runtime.aiogram_private import webhook_reply

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class SecretCheckingHandler(SimpleRequestHandler):
    """Refuses (401) a POST without the secret token setWebhook registered, and logs it.

    The log line names the peer and whether a token was sent at all, never the token."""

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        bot = await self.resolve_bot(request)
        if not self.verify_secret(given, bot):
            log.warning(
                "webhook request from %s refused (401): %s secret token",
                request.remote,
                "wrong" if given else "no",
            )
            return web.Response(body="Unauthorized", status=401)
        return await self.answer_update(bot, request)

    async def answer_update(self, bot: Bot, request: web.Request) -> web.Response:
        """Handle, then answer: 200 (with a method to call, if the handler returned one), or
        503 for an update being handled elsewhere. Unlike aiogram's feed_webhook_update this
        doesn't answer 200 early when handling passes 55 s: Telegram then retries, and the
        retry waits (503) until the first copy is done, so a crash can't lose the update."""
        data = await request.json(loads=bot.session.json_loads)
        update = Update.model_validate(data, context={"bot": bot})
        result: Any = await self.dispatcher.feed_update(bot, update, **self.data)
        if isinstance(result, Redeliver):
            return web.Response(text="update is being handled; deliver it again", status=503)
        method = result if isinstance(result, TelegramMethod) else None
        return web.Response(body=webhook_reply(self, bot, method))

    __call__ = handle
