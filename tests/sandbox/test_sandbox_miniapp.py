"""The emulator as the Telegram client of a Mini App: signed launch URLs for every way in,
Telegram's refusals of non-HTTPS Mini Apps, and the payment form behind openInvoice."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultsButton,
    KeyboardButton,
    LabeledPrice,
    MenuButtonWebApp,
    Message,
    PreCheckoutQuery,
    ReplyKeyboardMarkup,
    WebAppInfo,
)
from aiogram.utils.web_app import safe_parse_webapp_init_data

from sandbox import Sandbox, SandboxError
from sandbox.miniapp import init_data_of, launch_params, sign_init_data
from tests.sandbox.conftest import TOKEN

pytestmark = pytest.mark.asyncio
SHOP = "http://127.0.0.1:8099/shop/"


async def menu(bot: Bot, url: str = SHOP, chat_id: int | None = None) -> bool:
    button = MenuButtonWebApp(text="🛍 Shop", web_app=WebAppInfo(url=url))
    return await bot.set_chat_menu_button(chat_id=chat_id, menu_button=button)


def fields(init_data: str) -> dict[str, str]:
    return dict(parse_qsl(init_data, strict_parsing=True))


async def test_menu_button_launch_is_signed_like_telegram(sb: Sandbox, bot: Bot) -> None:
    li = sb.user(3001, "李雷", last_name="Li", username="lilei", language_code="zh-hans")
    assert await menu(bot)
    url = li.open_mini_app(theme="dark")
    assert url.startswith(SHOP + "#tgWebAppData=")
    params = launch_params(url)
    assert params["tgWebAppPlatform"] == "tdesktop" and float(params["tgWebAppVersion"]) >= 7
    theme = json.loads(params["tgWebAppThemeParams"])
    assert theme["bg_color"] == "#17212b" and theme["button_color"].startswith("#")
    data = safe_parse_webapp_init_data(TOKEN, init_data_of(url))
    assert data.user is not None and data.user.id == 3001
    assert (data.user.first_name, data.user.username, data.user.language_code) == (
        "李雷",
        "lilei",
        "zh-hans",
    )
    assert data.query_id and data.start_param is None and data.chat_type is None
    assert abs(data.auth_date.timestamp() - time.time()) < 60
    # the chat's own menu button wins over the bot's default
    assert await menu(bot, "https://shop.example/li", chat_id=3001)
    assert li.open_mini_app().startswith("https://shop.example/li#")
    assert sb.user(3002).open_mini_app().startswith(SHOP)
    got = await bot.get_chat_menu_button(chat_id=3001)
    assert isinstance(got, MenuButtonWebApp) and got.web_app.url == "https://shop.example/li"


async def test_tampered_or_foreign_init_data_fails(sb: Sandbox, bot: Bot) -> None:
    await menu(bot)
    init_data = init_data_of(sb.user(3001, "Ann").open_mini_app())
    assert safe_parse_webapp_init_data(TOKEN, init_data).user is not None
    forged = init_data.replace(quote('"id":3001'), quote('"id":3002'))
    assert forged != init_data
    other_bot = sign_init_data("999:other-token", {k: v for k, v in fields(init_data).items()})
    no_hash = "&".join(p for p in init_data.split("&") if not p.startswith("hash="))
    old = dict(fields(init_data), auth_date="1")
    for bad in (forged, other_bot, no_hash, sign_init_data("1:x", old)):
        with pytest.raises(ValueError):
            safe_parse_webapp_init_data(TOKEN, bad)


async def test_web_app_urls_must_be_https_except_loopback(sb: Sandbox, bot: Bot) -> None:
    sb.user(3001)
    for url in ("http://shop.example/app", "http://10.0.0.5/app"):
        with pytest.raises(TelegramBadRequest, match="Only HTTPS links are allowed"):
            await menu(bot, url)
        with pytest.raises(TelegramBadRequest, match="Only HTTPS links are allowed"):
            await bot.send_message(
                3001,
                "open",
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[
                        [InlineKeyboardButton(text="Shop", web_app=WebAppInfo(url=url))]
                    ]
                ),
            )
        with pytest.raises(TelegramBadRequest, match="Only HTTPS links are allowed"):
            await bot.send_message(
                3001,
                "open",
                reply_markup=ReplyKeyboardMarkup(
                    keyboard=[[KeyboardButton(text="Shop", web_app=WebAppInfo(url=url))]]
                ),
            )
    with pytest.raises(TelegramBadRequest, match="Wrong HTTP URL"):
        await menu(bot, "ftp://shop.example/app")
    with pytest.raises(SandboxError, match="no web_app menu button"):
        sb.user(3001).open_mini_app()
    for url in ("https://shop.example/app", "http://localhost:8080/app", SHOP):
        assert await menu(bot, url)


async def test_buttons_links_and_inline_answers_open_it(sb: Sandbox, bot: Bot, polling) -> None:
    dp = Dispatcher()

    @dp.inline_query()
    async def inline(query: InlineQuery) -> None:
        button = InlineQueryResultsButton(text="Open shop", web_app=WebAppInfo(url=SHOP + "i"))
        await query.answer([], button=button, cache_time=0)

    await polling(dp)
    await menu(bot)
    ann = sb.user(3001, "Ann")
    await bot.send_message(
        3001,
        "Shop in the app",
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="Open", web_app=WebAppInfo(url=SHOP + "b"))]
            ]
        ),
    )
    from_button = fields(init_data_of(ann.open_mini_app("button", button_text="Open")))
    assert "query_id" in from_button and "chat_type" not in from_button
    await bot.send_message(
        3001,
        "keyboard",
        reply_markup=ReplyKeyboardMarkup(
            keyboard=[[KeyboardButton(text="Shop", web_app=WebAppInfo(url=SHOP + "k"))]]
        ),
    )
    from_keyboard = ann.open_mini_app("button", button_text="Shop")
    assert from_keyboard.startswith(SHOP + "k#") and "query_id" not in fields(
        init_data_of(from_keyboard)
    )
    link = ann.open_link(f"https://t.me/{sb.bot().username}?startapp=p_42")
    assert urlsplit(link).query == "tgWebAppStartParam=p_42"
    data = safe_parse_webapp_init_data(TOKEN, init_data_of(link))
    assert data.start_param == "p_42" and data.chat_type == "sender" and data.chat_instance
    assert launch_params(link)["tgWebAppStartParam"] == "p_42"
    with pytest.raises(SandboxError, match="not @"):
        ann.open_link("https://t.me/some_other_bot?startapp=p_42")
    with pytest.raises(SandboxError, match="start_param"):
        ann.open_mini_app("link", start_param="p 42!")
    answer = await ann.inline_query("tea")
    assert answer["button"]["text"] == "Open shop"
    assert ann.open_mini_app("inline").startswith(SHOP + "i#")


def paying_shop(accept: bool) -> tuple[Dispatcher, list[str]]:
    dp = Dispatcher()
    charges: list[str] = []

    @dp.pre_checkout_query()
    async def pre(query: PreCheckoutQuery) -> None:
        if accept:
            await query.answer(ok=True)
        else:
            await query.answer(ok=False, error_message="Sold out while you were paying")

    @dp.message(F.successful_payment)
    async def paid(message: Message) -> None:
        assert message.successful_payment is not None
        charges.append(message.successful_payment.telegram_payment_charge_id)
        await message.answer(f"Order paid: {message.successful_payment.invoice_payload}")

    return dp, charges


async def emulator(sb: Sandbox, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{sb.base_url}/miniapp/{action}", data=json.dumps(body)) as resp,
    ):
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        return resp.status, await resp.json()


async def test_open_invoice_pays_exactly_once(sb: Sandbox, bot: Bot, polling) -> None:
    dp, charges = paying_shop(accept=True)
    await polling(dp)
    await menu(bot)
    ann = sb.user(3001, "Ann")
    init_data = init_data_of(ann.open_mini_app())
    link = await bot.create_invoice_link(
        "Order 7",
        "Two teapots",
        "order-7",
        currency="XTR",
        prices=[LabeledPrice(label="Teapots", amount=120)],
    )
    status, form = await emulator(sb, "invoice", {"init_data": init_data, "url": link})
    assert status == 200 and form["title"] == "Order 7" and form["total_amount"] == 120
    assert form["total_text"] == "★ 120"
    # a double click: two "Pay" requests for one form
    first, second = await asyncio.gather(
        emulator(sb, "pay", {"init_data": init_data, "form_id": form["form_id"]}),
        emulator(sb, "pay", {"init_data": init_data, "form_id": form["form_id"]}),
    )
    assert first[1]["status"] == second[1]["status"] == "paid"
    assert len(charges) == 1 and list(sb.charges) == charges
    assert [m.text for m in ann.bot_messages] == ["Order paid: order-7"]
    again = await emulator(sb, "pay", {"init_data": init_data, "form_id": form["form_id"]})
    assert again[1]["status"] == "paid" and len(charges) == 1
    # cancelled: nothing reaches the bot, and a later "Pay" on that form does nothing
    status, form = await emulator(sb, "invoice", {"init_data": init_data, "url": link})
    cancelled = await emulator(sb, "cancel", {"init_data": init_data, "form_id": form["form_id"]})
    assert cancelled[1]["status"] == "cancelled"
    late = await emulator(sb, "pay", {"init_data": init_data, "form_id": form["form_id"]})
    assert late[1]["status"] == "cancelled" and len(charges) == 1
    # someone else's initData can't pay Ann's form; forged initData opens nothing
    bob = init_data_of(sb.user(3002, "Bob").open_mini_app())
    status, _ = await emulator(sb, "pay", {"init_data": bob, "form_id": form["form_id"]})
    assert status == 404
    forged = init_data.replace(quote('"id":3001'), quote('"id":3002'))
    status, body = await emulator(sb, "invoice", {"init_data": forged, "url": link})
    assert status == 401 and "not signed" in body["error"]
    status, _ = await emulator(
        sb, "invoice", {"init_data": init_data, "url": "https://t.me/$nope"}
    )
    assert status == 404
    # a test pays a link directly the same way
    result = await ann.pay_invoice_link(link)
    assert result.ok and len(charges) == 2 and result.total_amount == 120


async def test_refused_pre_checkout_fails_and_links_are_checked(
    sb: Sandbox, bot: Bot, polling
) -> None:
    dp, charges = paying_shop(accept=False)
    await polling(dp)
    await menu(bot)
    init_data = init_data_of(sb.user(3001, "Ann").open_mini_app())
    card = [LabeledPrice(label="Mug", amount=1250)]
    link = await bot.create_invoice_link(
        "Mug", "A mug", "order-8", provider_token="TEST:prov", currency="USD", prices=card
    )
    _, form = await emulator(sb, "invoice", {"init_data": init_data, "url": link})
    assert form["total_text"] == "12.50 USD"
    _, paid = await emulator(sb, "pay", {"init_data": init_data, "form_id": form["form_id"]})
    assert paid["status"] == "failed" and paid["error"] == "Sold out while you were paying"
    assert charges == [] and sb.charges == {}
    with pytest.raises(TelegramBadRequest, match="PAYMENT_PROVIDER_INVALID"):
        await bot.create_invoice_link("Mug", "A mug", "p", currency="USD", prices=card)
    with pytest.raises(TelegramBadRequest, match="INVOICE_TITLE_INVALID"):
        await bot.create_invoice_link("M" * 33, "d", "p", currency="XTR", prices=card)
    with pytest.raises(TelegramBadRequest, match="SUBSCRIPTION_PERIOD_INVALID"):
        await bot.create_invoice_link(
            "Club", "Monthly", "p", currency="XTR", prices=card, subscription_period=86400
        )
    assert await bot.create_invoice_link(
        "Club", "Monthly", "p", currency="XTR", prices=card, subscription_period=2592000
    )


async def test_a_person_opens_the_shop_from_a_link(sb: Sandbox, bot: Bot) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{sb.base_url}/miniapp/open?user=3001") as resp:
            assert resp.status == 400 and "no web_app menu button" in await resp.text()
        await menu(bot)
        query = "user=3001&start_param=p_9&theme=dark&lang=zh&first_name=Ann"
        async with http.get(f"{sb.base_url}/miniapp/open?{query}", allow_redirects=False) as resp:
            assert resp.status == 302
            location = resp.headers["Location"]
        for path, kind in (("telegram-web-app.js", "javascript"), ("miniapp/client", "html")):
            async with http.get(f"{sb.base_url}/{path}") as resp:
                assert resp.status == 200 and kind in resp.headers["Content-Type"]
    client = f"{sb.base_url}/miniapp/client#"
    assert location.startswith(client)
    location = unquote(location.removeprefix(client))
    assert location.startswith(SHOP + "?tgWebAppStartParam=p_9#")
    data = safe_parse_webapp_init_data(TOKEN, init_data_of(location))
    assert data.user is not None and data.user.id == 3001 and data.user.language_code == "zh"
    assert data.start_param == "p_9"
    assert json.loads(launch_params(location)["tgWebAppThemeParams"])["bg_color"] == "#17212b"
