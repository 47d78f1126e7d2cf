"""THE composition root: every service is built here, with all of its collaborators and
listeners passed to its constructor, and handed out as one typed object, `Services`.

Chat handlers receive its fields by name (Dispatcher workflow data, `Services.workflow_data`),
scheduler jobs get it as `JobContext.services`, web routes through the aiohttp app. Reading
this file tells who takes part in what: for example a payment tells loyalty (tier discount and
points at checkout, the ledger rules on every order change) and the recommender (a purchase
event) because `OrderService` is built with them below.
"""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any, ClassVar

import orjson
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods import (
    EditMessageCaption,
    EditMessageMedia,
    EditMessageReplyMarkup,
    EditMessageText,
    Response,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from redis.asyncio import Redis

from bot.errors import register_error_handlers
from bot.i18n import PoI18n
from bot.middlewares import (
    DedupeMiddleware,
    LocaleMiddleware,
    SupportGateMiddleware,
    ThrottleMiddleware,
    UpdateDeduplicator,
    UserMiddleware,
)
from bot.runtime.commands import StaffMenus
from bot.runtime.effects import UpdateKeyMiddleware
from bot.runtime.metrics import Metrics, MetricsMiddleware
from bot.runtime.recommender import RecsRuntime
from bot.settings import ConfigError, Settings
from domain.alerts.back_in_stock import BackInStockAlerts
from domain.alerts.price_drops import PriceDropAlerts
from domain.campaigns.service import CampaignService
from domain.cart.service import CartService
from domain.catalog.console import ConsoleGoods
from domain.catalog.merchant import MerchantService
from domain.catalog.search import SearchService
from domain.catalog.service import CatalogService
from domain.catalog.transfer import CatalogTransfer, MemoryPreviewStore
from domain.catalog.types import Localized
from domain.digital.service import DigitalService
from domain.inventory.ledger import StockService
from domain.kernel.shop import ShopProfile
from domain.loyalty.rules import LoyaltyConfig, Tier
from domain.loyalty.service import LoyaltyService
from domain.orders.board import OrderBoard
from domain.orders.coupons import CouponAdmin
from domain.orders.payments import InvoiceSigner, PaymentService
from domain.orders.pricing import ShippingOption
from domain.orders.service import CheckoutConfig, OrderService
from domain.recommend import EventLog, RecommendationService, RecommendConfig
from domain.recommend.shelves import ShelfService
from domain.reports.service import ReportService
from domain.reviews.moderation import ReviewModeration
from domain.reviews.service import ReviewService
from domain.shop.service import PaymentSetup, ShopSettingsService
from domain.staff.audit import AuditService
from domain.staff.service import StaffService
from domain.subscriptions.service import SubscriptionService, SubscriptionSigner
from domain.support.service import SupportService
from domain.users.service import UserService
from handlers import dispatcher_routers
from handlers.catalog.inline import InlineAnswerCache
from handlers.onboarding.returns import ChecklistReturn
from handlers.orders.texts import ChatOrderNotifier
from storage.alerts.repository import TortoisePriceWatchStore, TortoiseStockSubscriptionStore
from storage.campaigns.repository import TortoiseCampaignRepository
from storage.campaigns.shop_audiences import register_shop_audiences
from storage.catalog.console import RedisPreviewStore, TortoiseGoodsTable
from storage.catalog.merchant import TortoiseMerchantCatalog
from storage.catalog.repository import TortoiseCatalogRepository, TortoiseShopperListsRepository
from storage.catalog.search import SqlSearchEngine
from storage.digital.repository import TortoiseDigitalRepository
from storage.inventory.ledger import TortoiseStockLedger
from storage.loyalty.repository import TortoiseLoyaltyRepository, record_checkout
from storage.orders.board import TortoiseOrderBoardRepository
from storage.orders.carts import TortoiseCartRepository, TortoiseCouponRepository
from storage.orders.coupon_admin import TortoiseCouponAdminRepository
from storage.orders.references import OrderLineReferences
from storage.orders.repository import TortoiseOrderRepository
from storage.recs.catalogue import CatalogueAvailability, TortoiseCatalogueFeed
from storage.recs.recorder import BatchedEventRecorder
from storage.recs.repository import (
    TortoiseForgetLog,
    TortoiseInteractionSource,
    TortoiseSnapshotStore,
)
from storage.reports.source import TortoiseReportSource
from storage.reviews.moderation import TortoiseReviewModerationRepository
from storage.reviews.repository import TortoiseReviewRepository
from storage.shop.repository import TortoiseShopDetailsRepository, TortoiseShopFacts
from storage.staff.repository import TortoiseAuditRepository, TortoiseStaffRepository
from storage.subscriptions.repository import TortoiseSubscriptionRepository
from storage.support.repository import TortoiseSupportRepository
from storage.users import TortoiseUserRepository
from web.console.sessions import ConsoleSessions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    """Every name a chat handler, a scheduler job or a web route may receive; none optional."""

    shop: ShopProfile
    users: UserService
    catalog: CatalogService
    search: SearchService
    carts: CartService
    orders: OrderService
    payments: PaymentService
    digital: DigitalService  # digital goods' units: adding, delivery, showing again
    reviews: ReviewService
    loyalty: LoyaltyService
    campaigns: CampaignService
    # merchant back office
    staff: StaffService
    audit: AuditService
    merchant: MerchantService
    console_goods: ConsoleGoods  # the console's goods table and bulk actions
    stock: StockService
    transfer: CatalogTransfer
    board: OrderBoard
    order_notifier: ChatOrderNotifier  # buyers told in the chat (the console's orders too)
    coupon_admin: CouponAdmin
    moderation: ReviewModeration
    reports: ReportService
    shop_settings: ShopSettingsService  # the owner's name/description/photo, setup checklist
    # recommendations: the service, the event log handlers write to, shelves of products
    recs: RecommendationService
    recs_events: EventLog
    shelves: ShelfService
    recs_runtime: RecsRuntime  # the recorder, reloader and worker process (app lifetime)
    # alerts
    stock_alerts: BackInStockAlerts
    price_alerts: PriceDropAlerts
    # the support line, blocks and the maintenance switch (domain/support)
    support: SupportService
    # Stars subscriptions: plans, subscribers, their charges (domain/subscriptions)
    subscriptions: SubscriptionService
    # chat-only helpers
    inline_cache: InlineAnswerCache
    # the Mini App storefront's entry page (WEB__PUBLIC_URL + /app/), "" when it is off
    webapp_url: str
    # the web console's sign-in links and sessions (Redis, else this process's memory)
    console_sessions: ConsoleSessions
    # the console's base URL (WEB__PUBLIC_URL + /console/), "" when the web is off
    console_url: str

    def workflow_data(self) -> dict[str, Any]:
        """The fields by name, for `Dispatcher(**services.workflow_data())`."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


# ---- configuration of the domain, from settings ----


def shop_profile(settings: Settings) -> ShopProfile:
    token = settings.payments.provider_token
    return ShopProfile(
        name=settings.shop.name,
        currency=settings.payments.currency,
        timezone=settings.shop.timezone,
        default_locale=settings.shop.default_locale,
        owner_ids=frozenset(settings.admin_ids),
        provider_token=token.get_secret_value() if token is not None else "",
    )


def checkout_config(settings: Settings) -> CheckoutConfig:
    c, p = settings.checkout, settings.payments
    return CheckoutConfig(
        reservation=timedelta(minutes=c.reservation_minutes),
        auto_complete=timedelta(days=c.auto_complete_days),
        shipping=tuple(
            ShippingOption(o.id, Localized(o.title_en, o.title_zh), o.price) for o in c.shipping
        ),
        currency=p.currency,
        card=p.provider_token is not None and bool(p.provider_token.get_secret_value()),
        stars=p.use_stars,
        minor_units_per_star=c.minor_units_per_star,
        flexible=c.flexible_invoice,
        # One floor for every discount: points keep it (loyalty_config), coupons and tiers too.
        min_charge=settings.loyalty.min_charge,
        cod=p.cash_on_delivery,
        bank=bool(p.bank_transfer.strip()),
        bank_instructions=p.bank_transfer.strip(),
        offline_reservation=timedelta(hours=c.offline_reservation_hours),
    )


def loyalty_config(settings: Settings) -> LoyaltyConfig:
    c = settings.loyalty
    return LoyaltyConfig(
        currency=settings.payments.currency,
        earn_rate=c.earn_rate,
        point_value=c.point_value,
        redeem_cap_share=c.redeem_cap_share,
        expiry_days=c.expiry_days,
        window_days=c.window_days,
        tiers=tuple(
            Tier(t.name, t.threshold, t.percent_off, t.free_shipping_over, t.extra_points_rate)
            for t in c.tiers
        ),
        referrer_reward=c.referrer_reward,
        referred_reward=c.referred_reward,
        min_charge=c.min_charge,
    )


def invoice_secret(settings: Settings) -> bytes:
    """The HMAC key of invoice payloads: PAYMENTS__INVOICE_SECRET, else the bot token."""
    secret = settings.payments.invoice_secret or settings.bot_token
    if secret is None or not secret.get_secret_value():
        raise ConfigError("PAYMENTS__INVOICE_SECRET: is not set (nor BOT_TOKEN to default to)")
    return secret.get_secret_value().encode()


# ---- the services ----


def build_services(
    settings: Settings, redis: Redis | None = None, staff_menus: StaffMenus | None = None
) -> Services:
    """Every service of the shop, each built once with its collaborators and listeners
    (`staff_menus`: each staff member's command menu follows their role; off in tests that
    have no Bot)."""
    register_shop_audiences()  # "buyers of a category", "has cart" for campaigns
    shop = shop_profile(settings)
    checkout = checkout_config(settings)

    catalog_rows = TortoiseCatalogRepository()
    catalog = CatalogService(catalog_rows, TortoiseShopperListsRepository())
    users = UserService(TortoiseUserRepository())
    audit = AuditService(TortoiseAuditRepository())
    staff = StaffService(
        TortoiseStaffRepository(),
        shop.owner_ids,
        audit,
        listeners=[staff_menus.staff_changed] if staff_menus is not None else [],
    )

    recs_settings = settings.recs
    # Model rebuilds run in one worker process (forkserver: the bot's threads are never
    # forked), so NumPy/SciPy never hold the bot's GIL or event loop.
    rebuilder = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("forkserver")
    )
    recorder = BatchedEventRecorder(
        batch_size=recs_settings.batch_size, flush_interval=recs_settings.flush_interval
    )
    recs = RecommendationService(
        source=TortoiseInteractionSource(settle_seconds=recs_settings.settle_seconds),
        availability=CatalogueAvailability(),
        catalogue=TortoiseCatalogueFeed(),
        snapshots=TortoiseSnapshotStore(keep=2),
        config=RecommendConfig(),
        executor=rebuilder,
        forget_log=TortoiseForgetLog(),
    )
    recs_runtime = RecsRuntime(
        recorder,
        EventLog(recorder),
        recs,
        ShelfService(recs, catalog_rows, catalog),
        rebuilder,
    )

    # The money path: a cart becomes an order (stock reserved, loyalty's redeem row in the
    # same transaction), a signed invoice, a payment; loyalty and the recommender listen.
    # A live Stars subscription may grant a loyalty tier (the higher of earned and granted).
    subscriptions = SubscriptionService(
        TortoiseSubscriptionRepository(),
        SubscriptionSigner(invoice_secret(settings)),
        audit,
        tiers=[t.name for t in settings.loyalty.tiers],
    )
    loyalty = LoyaltyService(
        TortoiseLoyaltyRepository(),
        loyalty_config(settings),
        audit,
        granted_tiers=subscriptions.granted_tiers,
    )
    carts = CartService(TortoiseCartRepository(), catalog_rows, TortoiseCouponRepository())
    order_rows = TortoiseOrderRepository(catalog_rows, place_hooks=[record_checkout])
    orders = OrderService(
        order_rows,
        carts,
        checkout,
        benefits=loyalty,
        change_listeners=[loyalty.order_changed],
        paid_listeners=[recs_runtime.order_paid],
    )
    payments = PaymentService(orders, InvoiceSigner(invoice_secret(settings)), checkout)
    reviews = ReviewService(TortoiseReviewRepository(), order_rows, catalog)

    merchant_catalog = TortoiseMerchantCatalog()
    merchant = MerchantService(
        merchant_catalog,
        OrderLineReferences(),
        audit,
        settings.payments.currency,
        checkout.minor_units_per_star,
    )
    csv_previews = RedisPreviewStore(redis) if redis is not None else MemoryPreviewStore()
    support = SupportService(
        TortoiseSupportRepository(),
        staff,
        audit,
        chat_id=settings.support.chat_id,
        cache_ttl=settings.support.cache_seconds,
    )
    return Services(
        shop=shop,
        users=users,
        catalog=catalog,
        search=SearchService(SqlSearchEngine()),
        carts=carts,
        orders=orders,
        payments=payments,
        digital=DigitalService(TortoiseDigitalRepository()),
        reviews=reviews,
        loyalty=loyalty,
        campaigns=CampaignService(TortoiseCampaignRepository()),
        staff=staff,
        audit=audit,
        merchant=merchant,
        console_goods=ConsoleGoods(TortoiseGoodsTable(), merchant),
        stock=StockService(TortoiseStockLedger(), audit),
        transfer=CatalogTransfer(
            merchant_catalog, audit, settings.payments.currency, csv_previews
        ),
        board=OrderBoard(TortoiseOrderBoardRepository(), orders, users, audit),
        order_notifier=ChatOrderNotifier(users, orders),
        coupon_admin=CouponAdmin(
            TortoiseCouponAdminRepository(), audit, settings.payments.currency
        ),
        moderation=ReviewModeration(TortoiseReviewModerationRepository(), reviews, audit),
        shop_settings=ShopSettingsService(
            TortoiseShopDetailsRepository(),
            TortoiseShopFacts(),
            shop,
            PaymentSetup(
                shop.currency, shop.provider_token, checkout.stars, checkout.minor_units_per_star
            ),
            audit,
        ),
        reports=ReportService(
            TortoiseReportSource(),
            staff,
            settings.shop.timezone,
            response_times=support.response_figure,  # the support line's figure
        ),
        recs=recs,
        recs_events=recs_runtime.events,
        shelves=recs_runtime.shelves,
        recs_runtime=recs_runtime,
        stock_alerts=BackInStockAlerts(TortoiseStockSubscriptionStore()),
        price_alerts=PriceDropAlerts(TortoisePriceWatchStore()),
        support=support,
        inline_cache=InlineAnswerCache(redis),
        webapp_url=f"{settings.web.public_url}/app/" if settings.web.public_url else "",
        subscriptions=subscriptions,
        console_sessions=ConsoleSessions(redis),
        console_url=f"{settings.web.public_url}/console/" if settings.web.public_url else "",
    )


# ---- the chat runtime ----


def _json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


class KeepAnswerModels(BaseSession):
    """A session that keeps every `Response[T]` answer model it has used alive.

    aiogram validates each answer with `Response[method.__returning__]`; pydantic caches a
    parametrised generic only weakly, so after a garbage collection the class was built
    again (2,124 rebuilds, 8% of the CPU, in bench/throughput.py --inprocess --profile on
    PostgreSQL). A few dozen classes, held for the process's life.
    """

    _answer_models: ClassVar[dict[Any, Any]] = {}
    # An edit is answered with the edited Message or True (aiogram types it Message | bool);
    # Kiosk never reads it, so a successful edit is taken as True instead of validating a
    # whole Message (half the updates edit a screen). Refusals still raise as before.
    _unread_answers = (
        EditMessageText,
        EditMessageCaption,
        EditMessageMedia,
        EditMessageReplyMarkup,
    )

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        if isinstance(method, self._unread_answers) and 200 <= status_code < 300:
            answer = self.json_loads(content)
            if isinstance(answer, dict) and answer.get("ok") is True:
                done: Response[Any] = Response[bool].model_construct(ok=True, result=True)
                return done
        returning = method.__returning__
        if returning not in self._answer_models:
            self._answer_models[returning] = Response[returning]  # type: ignore[valid-type]
        return super().check_response(bot, method, status_code, content)


class KioskSession(KeepAnswerModels, AiohttpSession):
    """aiogram's aiohttp session with the answer models kept (KeepAnswerModels)."""


def build_bot(settings: Settings, token: str) -> Bot:
    api = PRODUCTION
    if settings.bot_api_base_url:
        api = TelegramAPIServer.from_base(settings.bot_api_base_url)
    # orjson reads every update and answer and writes every keyboard, several times faster
    # than the json module aiogram uses by default.
    session = KioskSession(api=api, json_loads=orjson.loads, json_dumps=_json_dumps)
    return Bot(
        token=token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def build_fsm_storage(redis: Redis | None) -> BaseStorage:
    if redis is None:
        log.info("REDIS_URL not set: conversation state is kept in memory (lost on restart)")
        return MemoryStorage()
    return RedisStorage(redis, key_builder=DefaultKeyBuilder(prefix="kiosk:fsm", with_bot_id=True))


def build_dispatcher(
    settings: Settings,
    services: Services,
    bot_id: int,
    i18n: PoI18n,
    metrics: Metrics,
    redis: Redis | None = None,
) -> Dispatcher:
    """The chat adapter: middlewares, the routers in their order, the error router."""
    # The FSM middleware runs inside DedupeMiddleware (after the throttle; on Redis the state
    # is read in the update claim's round trip), not on its own.
    fsm_storage = build_fsm_storage(redis)
    dp = Dispatcher(storage=fsm_storage, disable_fsm=True, **services.workflow_data())
    dp["i18n_core"] = i18n
    # Throttle first: an update from someone flooding the bot is dropped before any I/O.
    dp.update.outer_middleware(
        ThrottleMiddleware(settings.throttle.rate, settings.throttle.burst, i18n)
    )
    dedup = UpdateDeduplicator(redis, bot_id, single_consumer=settings.run_mode == "polling")
    dp.update.outer_middleware(DedupeMiddleware(dedup, metrics.count_duplicate, fsm=dp.fsm))
    dp.update.outer_middleware(UpdateKeyMiddleware())  # exactly-once effects (runtime/effects)
    # After de-duplication: counts and times the updates really handled.
    dp.update.outer_middleware(MetricsMiddleware(metrics))
    # Blocked shoppers and a closed shop: refused before any query (cached in memory).
    notice_minutes = settings.support.blocked_notice_minutes
    dp.update.outer_middleware(SupportGateMiddleware(i18n, notice_minutes))
    dp.update.outer_middleware(UserMiddleware())
    dp.update.outer_middleware(LocaleMiddleware(i18n))
    dp.include_routers(*dispatcher_routers())
    # An owner's setup checklist comes back after each step's flow (handlers/onboarding).
    dp.message.middleware(ChecklistReturn())
    dp.callback_query.middleware(ChecklistReturn())
    register_error_handlers(dp)
    return dp
