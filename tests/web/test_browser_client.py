"""The sandbox's Telegram client and its telegram-web-app.js stand-in in a real browser, on a
tiny page the test serves itself under a strict Content-Security-Policy: a launch URL opened in
a tab moves into the client's frame; launch parameters, theme variables, the Main and Back
buttons, pages after the first, and openInvoice paying (once) or cancelling."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F
from aiogram.types import LabeledPrice, MenuButtonWebApp, Message, PreCheckoutQuery, WebAppInfo
from aiogram.utils.web_app import safe_parse_webapp_init_data
from aiohttp import web

from sandbox import RateLimits, Sandbox
from sandbox.miniapp import client_url, init_data_of
from tests.sandbox.conftest import fast_close, make_bot
from tests.web.browser import chromium_executable, screenshot, webview

chromium_executable()  # fails (test command) or skips here without Chromium/Playwright
from playwright.async_api import Frame, Page, expect  # noqa: E402

pytestmark = pytest.mark.asyncio
TOKEN = "4242:browser-client-token"

PAGE_JS = """
var tg = Telegram.WebApp;
function show(id, text) { document.querySelector('[data-testid=' + id + ']').textContent = text; }
tg.ready();
tg.expand();
show('who', tg.initDataUnsafe.user ? tg.initDataUnsafe.user.first_name : 'nobody');
show('scheme', tg.colorScheme);
tg.BackButton.show();
tg.BackButton.onClick(function () { show('back', 'back pressed'); });
tg.MainButton.setText('Pay 1.20').show();
tg.MainButton.onClick(function () {
  fetch('/tiny/invoice', {method: 'POST', headers: {Authorization: 'tma ' + tg.initData}})
    .then(function (r) { return r.json(); })
    .then(function (d) {
      tg.openInvoice(d.link, function (status) { show('status', status); });
    });
});
"""
NEXT_JS = """
var user = Telegram.WebApp.initDataUnsafe.user;
document.querySelector('[data-testid=who]').textContent = user ? user.first_name : 'nobody';
"""
PAGE_CSS = """
body { background: var(--tg-theme-bg-color); color: var(--tg-theme-text-color);
       font: 16px system-ui, sans-serif; margin: 0; padding: 16px; }
a { color: var(--tg-theme-link-color); }
"""


def html(script_url: str, page_js: str) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Tiny shop</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="{script_url}"></script>
<link rel="stylesheet" href="/tiny/page.css">
<script src="/tiny/{page_js}" defer></script></head>
<body><h1>Tiny shop</h1>
<p>Hello, <b data-testid="who">?</b> (<span data-testid="scheme">?</span>)</p>
<p>Payment: <b data-testid="status">none</b></p>
<p data-testid="back">-</p>
<a data-testid="next" href="/tiny/next">Next page</a></body></html>"""


@dataclass
class TinyShop:
    sb: Sandbox
    bot: Bot
    url: str
    charges: list[str] = field(default_factory=list)


def shop_dispatcher(charges: list[str]) -> Dispatcher:
    dp = Dispatcher()

    @dp.pre_checkout_query()
    async def pre(query: PreCheckoutQuery) -> None:
        await query.answer(ok=True)

    @dp.message(F.successful_payment)
    async def paid(message: Message) -> None:
        assert message.successful_payment is not None
        charges.append(message.successful_payment.telegram_payment_charge_id)
        await message.answer(f"Thank you! Order {message.successful_payment.invoice_payload}")

    return dp


def tiny_app(sb: Sandbox, bot: Bot) -> web.Application:
    script = f"{sb.base_url}/telegram-web-app.js"
    csp = (
        f"default-src 'none'; script-src 'self' {sb.base_url}; style-src 'self'; "
        f"connect-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors {sb.base_url}"
    )

    def page(body: str, content_type: str = "text/html") -> web.Response:
        return web.Response(
            text=body,
            content_type=content_type,
            headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"},
        )

    async def invoice(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        try:
            data = safe_parse_webapp_init_data(TOKEN, auth.removeprefix("tma "))
        except ValueError:
            return web.json_response({"error": "bad initData"}, status=401)
        assert data.user is not None
        link = await bot.create_invoice_link(
            "Tiny order",
            "One tiny teapot",
            f"tiny-{data.user.id}",
            currency="XTR",
            prices=[LabeledPrice(label="Teapot", amount=120)],
        )
        return web.json_response({"link": link})

    files = {
        "": (html(script, "page.js"), "text/html"),
        "next": (html(script, "next.js"), "text/html"),
        "page.js": (PAGE_JS, "text/javascript"),
        "next.js": (NEXT_JS, "text/javascript"),
        "page.css": (PAGE_CSS, "text/css"),
    }

    async def static(request: web.Request) -> web.Response:
        found = files.get(request.match_info["name"])
        return page(*found) if found else web.Response(status=404)

    app = web.Application()
    app.router.add_get("/tiny/{name:.*}", static)
    app.router.add_post("/tiny/invoice", invoice)
    return app


@pytest_asyncio.fixture
async def tiny() -> AsyncIterator[TinyShop]:
    sb = Sandbox(bot_token=TOKEN, settle=0.1, reply_timeout=5.0)
    sb.rate_limits = RateLimits(enabled=False)
    await sb.start()
    bot = make_bot(sb, TOKEN)
    runner = web.AppRunner(tiny_app(sb, bot), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    shop = TinyShop(sb, bot, f"http://127.0.0.1:{port}/tiny/")
    dp = shop_dispatcher(shop.charges)
    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, polling_timeout=1, close_bot_session=False)
    )
    await bot.set_chat_menu_button(
        menu_button=MenuButtonWebApp(text="Shop", web_app=WebAppInfo(url=shop.url))
    )
    try:
        yield shop
    finally:
        with contextlib.suppress(Exception):
            await dp.stop_polling()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(polling, 5)
        await fast_close(bot)
        await runner.cleanup()
        await sb.stop()


async def css_var(page: Frame, name: str) -> str:
    value = await page.evaluate(
        "n => getComputedStyle(document.documentElement).getPropertyValue(n)", name
    )
    return str(value).strip()


async def test_stand_in_theme_buttons_and_pages(tiny: TinyShop, page: Page) -> None:
    ann = tiny.sb.user(5001, "Ann", language_code="en")
    url = ann.open_mini_app(theme="dark")
    await page.goto(url)  # a plain tab: the page moves into the emulator's client
    await page.wait_for_url(f"{tiny.sb.base_url}/miniapp/client#*")
    app = await webview(page)
    await expect(app.get_by_test_id("who")).to_have_text("Ann")
    await expect(app.get_by_test_id("scheme")).to_have_text("dark")
    assert await app.evaluate("Telegram.WebApp.initData") == init_data_of(url)
    assert await app.evaluate("Telegram.WebApp.initDataUnsafe.user.id") == 5001
    assert await app.evaluate("Telegram.WebApp.platform") == "tdesktop"
    assert await css_var(app, "--tg-theme-bg-color") == "#17212b"
    assert await css_var(app, "--tg-theme-button-color") == "#5288c1"
    assert await css_var(app, "--tg-color-scheme") == "dark"
    background = await app.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(23, 33, 43)"  # the page's CSS took Telegram's theme variable
    main = page.get_by_test_id("tg-main-button")
    await expect(main).to_have_text("Pay 1.20")
    await expect(page.get_by_test_id("tg-title")).to_have_text("Kiosk")
    await expect(page.get_by_test_id("tg-close-button")).to_be_hidden()
    sent = [e["event"] for e in await page.evaluate("TelegramClient.log")]
    assert "web_app_ready" in sent and "web_app_expand" in sent
    await screenshot(page, "client-dark")
    await page.get_by_test_id("tg-back-button").click()
    await expect(app.get_by_test_id("back")).to_have_text("back pressed")
    # a later page of the Mini App has no fragment: the launch parameters come from the session
    await app.get_by_test_id("next").click()
    await app.wait_for_url("**/tiny/next")
    await expect(app.get_by_test_id("who")).to_have_text("Ann")
    assert await app.evaluate("Telegram.WebApp.initData") == init_data_of(url)
    await expect(page.get_by_test_id("tg-main-button")).to_be_hidden()
    await expect(page.get_by_test_id("tg-close-button")).to_be_visible()
    assert await css_var(app, "--tg-theme-bg-color") == "#17212b"
    await page.get_by_test_id("tg-close-button").click()
    await expect(page.get_by_test_id("tg-closed")).to_be_visible()
    assert page.errors.unexpected() == []  # type: ignore[attr-defined]


async def test_open_invoice_pays_once_and_cancels(tiny: TinyShop, page: Page) -> None:
    bea = tiny.sb.user(5002, "Bea", language_code="en")
    await page.goto(client_url(tiny.sb.base_url, bea.open_mini_app(theme="light")))
    app = await webview(page)
    await expect(app.get_by_test_id("scheme")).to_have_text("light")
    assert await css_var(app, "--tg-theme-bg-color") == "#ffffff"
    await page.get_by_test_id("tg-main-button").click()
    sheet = page.get_by_test_id("tg-invoice")
    await expect(sheet).to_be_visible()
    await expect(page.get_by_test_id("tg-invoice-total")).to_contain_text("★ 120")
    await screenshot(page, "client-invoice")
    await page.get_by_test_id("tg-invoice-pay").dblclick()  # an impatient double tap
    await expect(app.get_by_test_id("status")).to_have_text("paid")
    await expect(sheet).to_have_count(0)
    assert len(tiny.charges) == 1
    assert [m.text for m in bea.bot_messages] == ["Thank you! Order tiny-5002"]
    await page.get_by_test_id("tg-main-button").click()
    await page.get_by_test_id("tg-invoice-cancel").click()
    await expect(app.get_by_test_id("status")).to_have_text("cancelled")
    await screenshot(page, "client-cancelled")
    assert len(tiny.charges) == 1 and len(bea.bot_messages) == 1
    opened = [
        e
        for e in await app.evaluate("TelegramSandbox.log")
        if e["event"] == "web_app_open_invoice"
    ]
    assert len(opened) == 2
    assert page.errors.unexpected() == []  # type: ignore[attr-defined]
