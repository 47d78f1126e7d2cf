"""How shoppers reach the Mini App: the menu button set at start-up, the web_app button on
/start, inline results and share links that open it on a product; the settings behind them;
and every storefront text translated into Chinese."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.types import MenuButtonWebApp

from bot.i18n import build_i18n, translations
from bot.runtime.commands import set_menu_button
from bot.settings import ConfigError, load_settings
from domain.catalog.types import Localized, Product
from handlers.catalog.inline import _result
from handlers.common import main_menu
from handlers.start import start_menu
from tests.services import shop_services
from tests.web.storefront import TOKEN, RecordingSession
from web.auth import start_product
from web.config import StorefrontConfig

WEB = Path(__file__).resolve().parents[2] / "web"


async def test_menu_button_opens_the_storefront() -> None:
    session = RecordingSession()
    await set_menu_button(
        Bot(TOKEN, session=session), build_i18n("zh"), "https://shop.example/app/"
    )
    (call,) = session.calls
    button = call.menu_button
    assert isinstance(button, MenuButtonWebApp)
    assert button.web_app.url == "https://shop.example/app/" and button.text == "🛍 商店"
    assert call.chat_id is None  # every private chat's default


def test_start_menu_has_an_open_shop_web_app_button_only_when_on() -> None:
    i18n = build_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        assert start_menu("") == main_menu()
        markup = start_menu("https://shop.example/app/")
        first = markup.inline_keyboard[0][0]
        assert first.text == "🛍 Open shop" and first.web_app is not None
        assert first.web_app.url == "https://shop.example/app/"
        assert markup.inline_keyboard[1:] == main_menu().inline_keyboard


def test_inline_results_open_the_mini_app_on_the_product() -> None:
    product = Product(
        id=42,
        sku="MUG",
        category_id=1,
        title=Localized("Mug"),
        description=Localized(""),
        brand="",
        price=1250,
        currency="USD",
        compare_at=None,
        photos=(),
        specs=(),
        tags=(),
        on_hand=3,
        reserved=0,
        low_stock_threshold=1,
        active=True,
        has_variants=False,
        created_at=__import__("datetime").datetime(2026, 1, 1),
    )
    i18n = build_i18n("en")
    with i18n.context(), i18n.use_locale("en"):
        rows = _result(product, "kiosk_bot", "en", True).reply_markup.inline_keyboard
        assert rows[1][0].url == "https://t.me/kiosk_bot?startapp=p_42"
        assert len(_result(product, "kiosk_bot", "en", False).reply_markup.inline_keyboard) == 1
    config = StorefrontConfig(TOKEN, "https://shop.example", "kiosk_bot")
    assert config.share_link(42) == "https://t.me/kiosk_bot?startapp=p_42"
    assert start_product("p_42") == 42
    assert [start_product(p) for p in (None, "", "p_", "p_042", "p_x", "ref_abc", "p_1" * 9)] == [
        None
    ] * 7


def test_web_settings() -> None:
    settings = load_settings(web={"public_url": "https://shop.example/"})
    assert settings.web.public_url == "https://shop.example"
    assert load_settings().web.public_url is None
    with pytest.raises(ConfigError, match="WEB__PUBLIC_URL"):
        load_settings(web={"public_url": "javascript:alert(1)"})
    with pytest.raises(ConfigError, match="WEB__INIT_DATA_MAX_AGE"):
        load_settings(web={"init_data_max_age": 0})
    services = shop_services(web={"public_url": "https://shop.example"})
    assert services.webapp_url == "https://shop.example/app/"
    assert shop_services().webapp_url == ""


def storefront_msgids() -> set[str]:
    """Texts of the templates (`_("...")`, string escapes undone as Jinja does) and of
    web/*.py (`N_`/`_`/`gettext` calls, read with `ast` so implicit concatenation counts)."""
    found: set[str] = set()
    pattern = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
    for path in WEB.rglob("*.html"):
        for match in pattern.finditer(path.read_text()):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            found.add(re.sub(r"\\(.)", r"\1", text))
    for path in WEB.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in {"_", "N_"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_every_storefront_text_has_a_chinese_translation() -> None:
    msgids = storefront_msgids()
    assert "Add to cart" in msgids and "Please open the shop from Telegram again." in msgids
    zh = translations("zh")
    assert sorted(m for m in msgids if m not in zh) == []
