"""The console app's typed keys: what its routes receive from the runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.utils.i18n import I18n
from aiohttp import web

from web.config import StorefrontConfig

if TYPE_CHECKING:
    from web.assets import Assets
    from web.console.access import StaffMember
    from web.console.render import ConsoleRenderer
    from web.console.services import ConsoleServices
    from web.console.sessions import ConsoleSession, ConsoleSessions

SERVICES: web.AppKey[ConsoleServices] = web.AppKey("console_services")
BOT: web.AppKey[Bot] = web.AppKey("console_bot", Bot)
CONFIG: web.AppKey[StorefrontConfig] = web.AppKey("console_config", StorefrontConfig)
I18N: web.AppKey[I18n] = web.AppKey("console_i18n", I18n)
RENDERER: web.AppKey[ConsoleRenderer] = web.AppKey("console_renderer")
ASSETS: web.AppKey[Assets] = web.AppKey("console_assets")
SESSIONS: web.AppKey[ConsoleSessions] = web.AppKey("console_sessions")

STAFF: web.RequestKey[StaffMember] = web.RequestKey("console_staff")
SESSION: web.RequestKey[ConsoleSession] = web.RequestKey("console_session")
