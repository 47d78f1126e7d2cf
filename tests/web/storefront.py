"""The storefront on the test database: real services, a Bot whose calls are recorded (no
network), initData signed with the bot's token exactly as Telegram signs it."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import File
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.i18n import build_i18n
from bot.wiring import Services
from domain.catalog.types import CategoryDraft, Localized, ProductDraft, VariantDraft
from domain.orders.pricing import CouponKind
from storage.orders.carts import TortoiseCouponRepository
from tests.services import shop_services
from web import StorefrontConfig, build_storefront, mount_storefront

TOKEN = "123456789:TEST-storefront-token_abcdefghijkl"
OTHER_TOKEN = "987654321:ANOTHER-bot-token_abcdefghijklmnop"
PROVIDER_TOKEN = "284685063:TEST:storefront"
PHOTO_BYTES = b"\xff\xd8\xff\xe0 a tiny JPEG"


def sign_init_data(
    token: str,
    user: dict[str, Any],
    *,
    auth_date: int | None = None,
    start_param: str | None = None,
) -> str:
    """initData as the Telegram client builds it: data-check-string of the sorted fields,
    hash = HMAC_SHA256(HMAC_SHA256("WebAppData", token), data-check-string)."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
        "chat_type": "sender",
    }
    if start_param is not None:
        fields["start_param"] = start_param
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def shopper(telegram_id: int, language: str = "en", name: str = "Ann") -> dict[str, Any]:
    return {"id": telegram_id, "first_name": name, "language_code": language}


class RecordingSession(BaseSession):
    """A Bot API session that answers createInvoiceLink, setChatMenuButton and getFile (and
    serves the file) and records every call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[TelegramMethod[Any]] = []
        self.downloads: list[str] = []

    async def close(self) -> None:
        return None

    # BaseSession's own signature, timeout included
    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        self.calls.append(method)
        if method.__api_method__ == "createInvoiceLink":
            return f"https://t.me/$invoice{len(self.calls)}"  # type: ignore[return-value]
        if method.__api_method__ == "setChatMenuButton":
            return True  # type: ignore[return-value]
        if method.__api_method__ == "getFile":
            return File(  # type: ignore[return-value]
                file_id=method.file_id, file_unique_id="u1", file_path="photos/file_1.jpg"
            )
        raise AssertionError(f"unexpected Bot API call {method.__api_method__}")

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        self.downloads.append(str(kwargs.get("url", "")))
        yield PHOTO_BYTES

    def invoices(self) -> list[Any]:
        return [c for c in self.calls if c.__api_method__ == "createInvoiceLink"]


@dataclass
class Storefront:
    client: TestClient[web.Request, web.Application]
    services: Services
    session: RecordingSession
    goods: dict[str, int] = field(default_factory=dict)
    variants: dict[str, int] = field(default_factory=dict)
    categories: dict[str, int] = field(default_factory=dict)

    def auth(self, telegram_id: int, language: str = "en", **kw: Any) -> dict[str, str]:
        return {
            "Authorization": "tma " + sign_init_data(TOKEN, shopper(telegram_id, language), **kw)
        }

    async def call(
        self,
        method: str,
        path: str,
        telegram_id: int = 1001,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        language: str = "en",
    ) -> tuple[int, Any]:
        all_headers = {**self.auth(telegram_id, language), **(headers or {})}
        response = await self.client.request(
            method, f"/app/api/{path}", json=json_body, headers=all_headers
        )
        if "json" in response.headers.get("Content-Type", ""):
            return response.status, await response.json()
        return response.status, await response.text()

    async def user_id(self, telegram_id: int) -> int:
        user = await self.services.users.repo.get_by_telegram_id(telegram_id)
        assert user is not None
        return user.id


async def seed(s: Services) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """A small shop: two categories, a plain product, one with variants, one out of stock,
    a merchant's title full of HTML; a 10% coupon."""
    clothes = await s.catalog.create_category(CategoryDraft(Localized("Clothes", "服装")))
    gadgets = await s.catalog.create_category(CategoryDraft(Localized("Gadgets", "电子产品")))
    mug = await s.catalog.create_product(
        ProductDraft(
            sku="MUG-1",
            category_id=gadgets.id,
            title=Localized("Coffee mug", "咖啡杯"),
            price=1250,
            on_hand=20,
            brand="Acme",
            description=Localized("A mug.", "一个杯子。"),
            photos=("AgACAgIAAxkBAAIBfileid", "https://img.example/mug-2.jpg"),
        )
    )
    shirt = await s.catalog.create_product(
        ProductDraft(
            sku="TEE",
            category_id=clothes.id,
            title=Localized("Cotton T-shirt", "棉质T恤"),
            price=1999,
            variants=(
                VariantDraft("TEE-M", (("Size", "M"),), 1999, on_hand=5),
                VariantDraft("TEE-L", (("Size", "L"),), 2199, on_hand=0),
            ),
        )
    )
    gone = await s.catalog.create_product(
        ProductDraft(
            sku="GONE",
            category_id=gadgets.id,
            title=Localized("Sold-out lamp"),
            price=4000,
            on_hand=0,
        )
    )
    evil = await s.catalog.create_product(
        ProductDraft(
            sku="EVIL",
            category_id=gadgets.id,
            title=Localized('<script>alert("x")</script><img src=x onerror=alert(1)>'),
            description=Localized("<b>bold</b> & <a href='javascript:alert(1)'>link</a>"),
            price=500,
            on_hand=3,
        )
    )
    await TortoiseCouponRepository().create_coupon("SAVE10", CouponKind.PERCENT, 10, "USD")
    variants = {v.sku: v.id for v in await s.catalog.repo.list_variants(shirt.id)}
    goods = {"mug": mug.id, "shirt": shirt.id, "gone": gone.id, "evil": evil.id}
    return goods, variants, {"clothes": clothes.id, "gadgets": gadgets.id}


async def open_storefront(rate: float = 1000.0, burst: int = 1000, **settings: Any) -> Storefront:
    overrides: dict[str, Any] = {
        "bot_token": TOKEN,
        "payments": {
            "invoice_secret": "kiosk-test-invoice-secret",
            "provider_token": PROVIDER_TOKEN,
            "use_stars": True,
        },
        **settings,
    }
    services = shop_services(**overrides)
    session = RecordingSession()
    bot = Bot(TOKEN, session=session)
    config = StorefrontConfig(
        bot_token=TOKEN,
        public_url="https://shop.example",
        bot_username="kiosk_test_bot",
        telegram_js_url="https://telegram.org/js/telegram-web-app.js",
        rate=rate,
        burst=burst,
    )
    root = web.Application()
    mount_storefront(root, build_storefront(services, bot, config, build_i18n("en")))
    client: TestClient[web.Request, web.Application] = TestClient(TestServer(root))
    await client.start_server()
    goods, variants, categories = await seed(services)
    return Storefront(client, services, session, goods, variants, categories)
