"""Bot and Dispatcher factory: the one place that wires storage to domain to handlers."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from redis.asyncio import Redis

from bot.errors import register_error_handlers
from bot.i18n import PoI18n, build_i18n
from bot.middlewares import (
    DedupeMiddleware,
    LocaleMiddleware,
    ThrottleMiddleware,
    UpdateDeduplicator,
    UserMiddleware,
)
from bot.settings import Settings
from domain.users import UserService
from handlers import get_routers
from storage.users import TortoiseUserRepository

log = logging.getLogger(__name__)


@dataclass
class Services:
    """App-lifetime objects handed to handlers as Dispatcher workflow data."""

    users: UserService


def build_bot(settings: Settings, token: str) -> Bot:
    session = None
    if settings.bot_api_base_url:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.bot_api_base_url))
    return Bot(
        token=token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def build_storage(redis: Redis | None) -> BaseStorage:
    if redis is None:
        log.info("REDIS_URL not set: conversation state is kept in memory (lost on restart)")
        return MemoryStorage()
    return RedisStorage(redis, key_builder=DefaultKeyBuilder(prefix="kiosk:fsm", with_bot_id=True))


def build_services() -> Services:
    return Services(users=UserService(TortoiseUserRepository()))


def build_dispatcher(
    settings: Settings,
    services: Services,
    bot_id: int,
    redis: Redis | None = None,
    i18n: PoI18n | None = None,
) -> Dispatcher:
    i18n = i18n or build_i18n(settings.shop.default_locale)
    dp = Dispatcher(
        storage=build_storage(redis),
        settings=settings,
        users=services.users,
        services=services,
        shop_name=settings.shop.name,
        admin_ids=frozenset(settings.admin_ids),
    )
    dp["i18n_core"] = i18n
    dp.update.outer_middleware(DedupeMiddleware(UpdateDeduplicator(redis, bot_id)))
    dp.update.outer_middleware(UserMiddleware())
    dp.update.outer_middleware(LocaleMiddleware(i18n))
    dp.update.outer_middleware(ThrottleMiddleware(settings.throttle.rate, settings.throttle.burst))
    dp.include_routers(*get_routers())
    register_error_handlers(dp)
    return dp
