"""The command menu Telegram shows, in each supported language."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    MenuButtonWebApp,
    WebAppInfo,
)

from bot.i18n import PoI18n
from domain.kernel.i18n import N_
from domain.staff.service import Permission, Role, StaffService
from handlers.commands import CommandGroup, allowed_groups

log = logging.getLogger(__name__)

# (command, English description) of the shoppers' menu, from handlers/commands.py: the one
# list /help is made from too. Descriptions are msgids translated per locale below.
COMMANDS: list[tuple[str, str]] = [
    (c.name, c.description) for g in allowed_groups(None) for c in g.commands if c.menu
]


def menu_of(groups: list[CommandGroup], i18n: PoI18n, locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=c.name, description=i18n.gettext(c.description, locale=locale))
        for group in groups
        for c in group.commands
        if c.menu
    ]


def commands_for(i18n: PoI18n, locale: str) -> list[BotCommand]:
    return menu_of(allowed_groups(None), i18n, locale)


async def set_commands(bot: Bot, i18n: PoI18n) -> None:
    """Default list in the default locale, plus one list per catalogue language."""
    scope = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands(commands_for(i18n, i18n.default_locale), scope=scope)
    for locale in i18n.available_locales:
        await bot.set_my_commands(commands_for(i18n, locale), scope=scope, language_code=locale)


class StaffMenus:
    """Each staff member's own command menu (their chat's scope, in every language): the
    shoppers' commands and the ones their role allows. Set for everybody at start-up and
    again for one person whenever the staff service changes them (its listener)."""

    def __init__(self, bot: Bot, i18n: PoI18n) -> None:
        self.bot = bot
        self.i18n = i18n

    def _languages(self) -> list[str | None]:
        return [None, *self.i18n.available_locales]

    async def staff_changed(
        self, telegram_id: int, role: Role | None, permissions: frozenset[Permission]
    ) -> None:
        """The staff service's listener: the person's menu now matches `role` (None: back to
        the shoppers' menu)."""
        scope = BotCommandScopeChat(chat_id=telegram_id)
        try:
            if role is None:
                for language in self._languages():
                    await self.bot.delete_my_commands(scope=scope, language_code=language)
                return
            groups = allowed_groups(role, permissions)
            for language in self._languages():
                menu = menu_of(groups, self.i18n, language or self.i18n.default_locale)
                await self.bot.set_my_commands(menu, scope=scope, language_code=language)
        except TelegramAPIError as exc:  # e.g. a chat Telegram doesn't know yet: not fatal
            log.warning("command menu of %s not updated: %s", telegram_id, exc)

    async def set_all(self, staff: StaffService) -> None:
        """At start-up: every staff member's menu (owners from ADMIN_IDS included)."""
        for member in await staff.staff():
            role, permissions = await staff.access_of(member.telegram_id)
            await self.staff_changed(member.telegram_id, role, permissions)


SHOP_BUTTON = N_("🛍 Shop")


async def set_menu_button(bot: Bot, i18n: PoI18n, url: str) -> None:
    """The chat's menu button opens the Mini App storefront (every private chat's default;
    Telegram shows one text to everybody, so it is in the shop's default language)."""
    text = i18n.gettext(SHOP_BUTTON, locale=i18n.default_locale)
    button = MenuButtonWebApp(text=text, web_app=WebAppInfo(url=url))
    await bot.set_chat_menu_button(menu_button=button)
