"""Local Telegram Bot API emulator for offline demos, end-to-end tests and benchmarks.

A real ``aiogram.Bot`` talks to it over HTTP; tests act as users and assert what the bot sent::

    sb = Sandbox(precheckout_timeout=0.5)
    await sb.start()
    bot = Bot(sb.default_token,
              session=AiohttpSession(api=TelegramAPIServer.from_base(sb.base_url)))
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
    alice = sb.user(1001, first_name="Alice")
    msgs = await alice.send("/start")          # returns after the bot has reacted
    await alice.press("Catalog")               # inline button by text
    assert sb.errors == []                     # nothing Telegram would have refused
    await dp.stop_polling(); await polling; await bot.session.close(); await sb.stop()

Mini Apps (sandbox/miniapp.py): ``alice.open_mini_app()`` is the launch URL Telegram would load
(menu button, web_app button, ``startapp`` link or inline answer; initData signed with the bot's
token); ``/miniapp/client#<launch URL>`` is a stand-in Telegram client around the page (Back,
Close and Main buttons, popups, the payment form behind ``openInvoice``) and
``/telegram-web-app.js`` a stand-in for Telegram's script; ``/miniapp/open?user=<id>`` opens the
bot's Mini App for a person. ``alice.pay_invoice_link(link)`` pays a ``createInvoiceLink`` link.

Only stdlib + aiohttp are used, so the sandbox can run anywhere the bot runs.
"""

from .core import Sandbox
from .models import (
    ApiCall,
    NoReply,
    PaymentResult,
    RateLimits,
    SandboxError,
    SandboxMessage,
)
from .users import SandboxUser

__all__ = [
    "ApiCall",
    "NoReply",
    "PaymentResult",
    "RateLimits",
    "Sandbox",
    "SandboxError",
    "SandboxMessage",
    "SandboxUser",
]
