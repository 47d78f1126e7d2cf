"""The webhook endpoint: aiogram's request handler, plus a warning for every refused request."""

from __future__ import annotations

import logging

from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class SecretCheckingHandler(SimpleRequestHandler):
    """Refuses (401) a POST without the secret token setWebhook registered, and logs it.

    The log line names the peer and whether a token was sent at all, never the token."""

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not self.verify_secret(given, self.bot):
            log.warning(
                "webhook request from %s refused (401): %s secret token",
                request.remote,
                "wrong" if given else "no",
            )
            return web.Response(body="Unauthorized", status=401)
        return await super().handle(request)

    __call__ = handle
