"""The command menu Telegram shows, in each supported language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    MenuButtonWebApp,
    WebAppInfo,
)

from bot.i18n import PoI18n
from domain.kernel.i18n import N_

# (command, English description). Descriptions are msgids translated per locale below.
COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Main menu")),
    ("catalog", N_("Browse the catalogue")),
    ("search", N_("Search for goods")),
    ("foryou", N_("Picked for you")),
    ("favorites", N_("Your favourite goods")),
    ("cart", N_("Your shopping cart")),
    ("orders", N_("Your orders")),
    ("points", N_("Your points and membership tier")),
    ("profile", N_("Your profile, phone and addresses")),
    ("language", N_("Change language")),
    ("settings", N_("Promotions on or off")),
    ("alerts", N_("Back-in-stock and price-drop alerts")),
    ("help", N_("What this bot can do")),
    ("cancel", N_("Cancel the current step")),
]


def commands_for(i18n: PoI18n, locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=i18n.gettext(text, locale=locale))
        for name, text in COMMANDS
    ]


async def set_commands(bot: Bot, i18n: PoI18n) -> None:
    """Default list in the default locale, plus one list per catalogue language."""
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(commands_for(i18n, i18n.default_locale), scope=scope)
    for locale in i18n.available_locales:
        await bot.set_my_commands(commands_for(i18n, locale), scope=scope, language_code=locale)


SHOP_BUTTON = N_("🛍 Shop")


async def set_menu_button(bot: Bot, i18n: PoI18n, url: str) -> None:
    """The chat's menu button opens the Mini App storefront (every private chat's default;
    Telegram shows one text to everybody, so it is in the shop's default language)."""
    text = i18n.gettext(SHOP_BUTTON, locale=i18n.default_locale)
    button = MenuButtonWebApp(text=text, web_app=WebAppInfo(url=url))
    await bot.set_chat_menu_button(menu_button=button)
