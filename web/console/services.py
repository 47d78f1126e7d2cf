"""What the console's routes need from the composition root, declared as a Protocol (web/
imports nothing of bot/): bot/wiring.py's `Services` provides all of it. The console works
only through these domain services, never on rows, so the stock ledger, versions, the audit
log and the order state machine apply to every change made here."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from aiogram import Bot
from aiogram.utils.i18n import I18n

from domain.campaigns.service import CampaignService
from domain.catalog.console import ConsoleGoods
from domain.catalog.merchant import MerchantService
from domain.catalog.transfer import CatalogTransfer
from domain.inventory.ledger import StockService
from domain.loyalty.service import LoyaltyService
from domain.orders.board import OrderBoard
from domain.orders.coupons import CouponAdmin
from domain.orders.service import OrderChange
from domain.recommend import RecommendationService
from domain.reports.service import ReportService
from domain.reviews.moderation import ReviewModeration
from domain.staff.audit import AuditService
from domain.staff.service import StaffService
from web.console.sessions import ConsoleSessions
from web.services import StorefrontServices


class OrderNotifier(Protocol):
    """Tells the buyer in the chat about a change to their order, in their language, and gives
    Stars back through Telegram first when the change asks for it. The chat adapter implements
    it (its own texts, so both doors say the same); the console only calls it."""

    async def settle_and_tell(
        self, bot: Bot, i18n: I18n, change: OrderChange, now: datetime
    ) -> OrderChange:
        """The change as settled (still carrying `stars_refund` when Telegram kept the Stars);
        raises aiogram's TelegramAPIError when Telegram can't be reached."""
        ...


class ConsoleServices(StorefrontServices, Protocol):
    """The storefront's services plus the back office's (the chat admin's own objects)."""

    @property
    def loyalty(self) -> LoyaltyService: ...
    @property
    def campaigns(self) -> CampaignService: ...
    @property
    def staff(self) -> StaffService: ...
    @property
    def audit(self) -> AuditService: ...
    @property
    def merchant(self) -> MerchantService: ...
    @property
    def console_goods(self) -> ConsoleGoods: ...
    @property
    def stock(self) -> StockService: ...
    @property
    def transfer(self) -> CatalogTransfer: ...
    @property
    def board(self) -> OrderBoard: ...
    @property
    def order_notifier(self) -> OrderNotifier: ...
    @property
    def coupon_admin(self) -> CouponAdmin: ...
    @property
    def moderation(self) -> ReviewModeration: ...
    @property
    def reports(self) -> ReportService: ...
    @property
    def recs(self) -> RecommendationService: ...
    @property
    def console_sessions(self) -> ConsoleSessions: ...
