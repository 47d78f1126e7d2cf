"""The throughput bench's baseline: a bare aiogram bot that echoes, in its own process.

    python bench/_echo_bot.py   (configured by the same environment variables as Kiosk:
                                 BOT_TOKEN, BOT_API_BASE_URL, MODE, WEBHOOK__URL/SECRET/PORT)

One Dispatcher with MemoryStorage, no middlewares, no database: a text message is answered with
its text, a callback query with an empty answerCallbackQuery. It runs polling and the webhook
exactly as Kiosk does (same aiohttp server, handle_in_background=False), so the ratio measured
by bench/throughput.py is what Kiosk's own work costs.
"""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web


def build_echo_dispatcher() -> Dispatcher:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "ok")

    @dp.callback_query()
    async def ack(query: CallbackQuery) -> None:
        await query.answer()

    return dp


async def main() -> None:
    api = TelegramAPIServer.from_base(os.environ["BOT_API_BASE_URL"])
    bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=api))
    dp = build_echo_dispatcher()
    if os.environ.get("MODE") != "webhook":
        await bot.delete_webhook(drop_pending_updates=False)
        await dp.start_polling(bot, handle_signals=False, polling_timeout=10)
        return
    url, secret = os.environ["WEBHOOK__URL"], os.environ["WEBHOOK__SECRET"]
    app = web.Application()
    SimpleRequestHandler(
        dispatcher=dp, bot=bot, secret_token=secret, handle_in_background=False
    ).register(app, path=urlsplit(url).path)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(os.environ["WEBHOOK__PORT"])).start()
    await bot.set_webhook(url, secret_token=secret, max_connections=40)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
