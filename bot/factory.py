"""Bot and Dispatcher factory: the one place that wires storage to domain to handlers."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import orjson
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from redis.asyncio import Redis

from bot.admin_wiring import AdminServices, build_admin_services
from bot.alerts_wiring import AlertServices, build_alert_services
from bot.back_office_wiring import build_back_office
from bot.effects import UpdateKeyMiddleware
from bot.errors import register_error_handlers
from bot.i18n import PoI18n, build_i18n
from bot.loyalty_wiring import build_loyalty
from bot.metrics import Metrics, MetricsMiddleware
from bot.middlewares import (
    DedupeMiddleware,
    LocaleMiddleware,
    ThrottleMiddleware,
    UpdateDeduplicator,
    UserMiddleware,
)
from bot.orders_wiring import build_order_services
from bot.recs_wiring import RecsServices, build_recs_services
from bot.settings import Settings
from domain.campaigns import CampaignService
from domain.cart import CartService
from domain.catalog import CatalogService
from domain.loyalty import LoyaltyService
from domain.orders import OrderService
from domain.payments import PaymentService
from domain.reviews import ReviewService
from domain.search import SearchService
from domain.users import UserService
from handlers import dispatch_order
from handlers.catalog.inline import InlineAnswerCache
from storage.campaigns.repository import TortoiseCampaignRepository
from storage.catalog.repository import (
    TortoiseCatalogRepository,
    TortoiseShopperListsRepository,
)
from storage.catalog.search import SqlSearchEngine
from storage.jobs.audiences import register_shop_audiences
from storage.orders.references import OrderLineReferences
from storage.reviews.repository import TortoiseReviewRepository
from storage.users import TortoiseUserRepository

log = logging.getLogger(__name__)


@dataclass
class Services:
    """App-lifetime objects handed to handlers as Dispatcher workflow data."""

    users: UserService
    campaigns: CampaignService
    catalog: CatalogService
    search: SearchService
    carts: CartService | None = None
    orders: OrderService | None = None
    payments: PaymentService | None = None
    reviews: ReviewService | None = None
    admin: AdminServices | None = None
    recs: RecsServices | None = None
    alerts: AlertServices | None = None  # back-in-stock and price-drop alerts
    loyalty: LoyaltyService | None = None  # points, tiers, referral rewards


def _json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def build_bot(settings: Settings, token: str) -> Bot:
    api = PRODUCTION
    if settings.bot_api_base_url:
        api = TelegramAPIServer.from_base(settings.bot_api_base_url)
    # orjson reads every update and answer and writes every keyboard, several times faster
    # than the json module aiogram uses by default.
    session = AiohttpSession(api=api, json_loads=orjson.loads, json_dumps=_json_dumps)
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


def build_services(settings: Settings | None = None) -> Services:
    register_shop_audiences()  # "buyers of a category", "has cart" for campaigns
    shop = build_order_services(settings)
    catalog = CatalogService(TortoiseCatalogRepository(), TortoiseShopperListsRepository())
    recs = build_recs_services(settings, catalog)
    shop.orders.paid_listeners.append(recs.order_paid)
    return Services(
        carts=shop.carts,
        orders=shop.orders,
        payments=shop.payments,
        users=UserService(TortoiseUserRepository()),
        campaigns=CampaignService(TortoiseCampaignRepository()),
        catalog=catalog,
        search=SearchService(SqlSearchEngine()),
        # Delivered or completed orders holding the product (storage.orders.repository).
        reviews=ReviewService(TortoiseReviewRepository(), shop.purchases, catalog),
        admin=build_admin_services(settings, references=OrderLineReferences()),
        recs=recs,
        alerts=build_alert_services(),
        loyalty=build_loyalty(settings, shop),
    )


def build_dispatcher(
    settings: Settings,
    services: Services,
    bot_id: int,
    redis: Redis | None = None,
    i18n: PoI18n | None = None,
    metrics: Metrics | None = None,
) -> Dispatcher:
    i18n = i18n or build_i18n(settings.shop.default_locale)
    dp = Dispatcher(
        storage=build_storage(redis),
        settings=settings,
        users=services.users,
        campaigns=services.campaigns,
        catalog=services.catalog,
        search=services.search,
        reviews=services.reviews,
        inline_cache=InlineAnswerCache(redis),
        carts=services.carts,
        orders=services.orders,
        payments=services.payments,
        loyalty=services.loyalty,
        services=services,
        shop_name=settings.shop.name,
        admin_ids=frozenset(settings.admin_ids),
        **(services.admin or build_admin_services(settings)).workflow_data(),
        **(services.recs or build_recs_services(settings, services.catalog)).workflow_data(),
        **build_back_office(services, settings).workflow_data(),
        **(services.alerts or build_alert_services()).workflow_data(),
    )
    dp["i18n_core"] = i18n
    # Throttle first: an update from someone flooding the bot is dropped before any I/O.
    throttle = ThrottleMiddleware(settings.throttle.rate, settings.throttle.burst, i18n)
    dp.update.outer_middleware(throttle)
    dedup = UpdateDeduplicator(redis, bot_id, single_consumer=settings.run_mode == "polling")
    dp.update.outer_middleware(
        DedupeMiddleware(dedup, metrics.count_duplicate if metrics is not None else None)
    )
    dp.update.outer_middleware(UpdateKeyMiddleware())  # exactly-once effects (bot/effects.py)
    if metrics is not None:  # after de-duplication: counts and times updates really handled
        dp.update.outer_middleware(MetricsMiddleware(metrics))
    dp.update.outer_middleware(UserMiddleware())
    dp.update.outer_middleware(LocaleMiddleware(i18n))
    dp.include_routers(*dispatch_order())
    register_error_handlers(dp)
    return dp
