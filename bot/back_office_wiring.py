"""Merchant back office, part 2 (orders board, coupons, review moderation, reports), built from
the services the rest of the bot already has (used by bot.factory.build_dispatcher)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.admin_wiring import build_admin_services
from bot.orders_wiring import build_order_services
from bot.settings import Settings
from domain.coupon_admin import CouponAdmin
from domain.order_board import OrderBoard
from domain.reports import ReportService
from domain.review_moderation import ReviewModeration
from domain.reviews import ReviewService
from storage.orders.board import TortoiseOrderBoardRepository
from storage.orders.coupon_admin import TortoiseCouponAdminRepository
from storage.orders.reports import TortoiseReportSource
from storage.orders.repository import TortoiseOrderRepository
from storage.reviews.moderation import TortoiseReviewModerationRepository
from storage.reviews.repository import TortoiseReviewRepository

if TYPE_CHECKING:
    from bot.factory import Services


@dataclass
class BackOffice:
    board: OrderBoard
    coupon_admin: CouponAdmin
    moderation: ReviewModeration
    reports: ReportService

    def workflow_data(self) -> dict[str, Any]:
        """What the part-2 admin handlers receive by name."""
        return {
            "board": self.board,
            "coupon_admin": self.coupon_admin,
            "moderation": self.moderation,
            "reports": self.reports,
        }


def build_back_office(services: Services, settings: Settings) -> BackOffice:
    admin = services.admin or build_admin_services(settings)
    shop = build_order_services(settings) if services.orders is None else None
    orders = services.orders or shop.orders  # type: ignore[union-attr]
    reviews = services.reviews or ReviewService(
        TortoiseReviewRepository(), TortoiseOrderRepository(), services.catalog
    )
    return BackOffice(
        board=OrderBoard(TortoiseOrderBoardRepository(), orders, services.users, admin.audit),
        coupon_admin=CouponAdmin(
            TortoiseCouponAdminRepository(), admin.audit, settings.payments.currency
        ),
        moderation=ReviewModeration(TortoiseReviewModerationRepository(), reviews, admin.audit),
        reports=ReportService(TortoiseReportSource(), admin.staff, settings.shop.timezone),
    )
