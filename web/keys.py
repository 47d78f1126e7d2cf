"""The storefront app's typed keys: what routes receive from the runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.utils.i18n import I18n
from aiohttp import web

from domain.users.service import User
from web.auth import Caller
from web.config import StorefrontConfig

if TYPE_CHECKING:
    from web.assets import Assets
    from web.auth import RateLimiter, RecentlySeen
    from web.render import Renderer
    from web.services import StorefrontServices

SERVICES: web.AppKey[StorefrontServices] = web.AppKey("services")
BOT: web.AppKey[Bot] = web.AppKey("bot", Bot)
CONFIG: web.AppKey[StorefrontConfig] = web.AppKey("config", StorefrontConfig)
I18N: web.AppKey[I18n] = web.AppKey("i18n", I18n)
RENDERER: web.AppKey[Renderer] = web.AppKey("renderer")
ASSETS: web.AppKey[Assets] = web.AppKey("assets")
LIMITER: web.AppKey[RateLimiter] = web.AppKey("limiter")
SEEN: web.AppKey[RecentlySeen] = web.AppKey("seen")

CALLER: web.RequestKey[Caller] = web.RequestKey("caller", Caller)
USER: web.RequestKey[User] = web.RequestKey("user", User)
