"""Cart, order and payment services built from settings (used by bot.factory)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.settings import Settings
from domain.cart import CartService
from domain.catalog_types import Localized
from domain.orders import CheckoutConfig, OrderService
from domain.payments import InvoiceSigner, PaymentService
from domain.pricing import ShippingOption
from storage.catalog.repository import TortoiseCatalogRepository
from storage.orders.carts import TortoiseCartRepository, TortoiseCouponRepository
from storage.orders.repository import TortoiseOrderRepository


@dataclass
class OrderServices:
    carts: CartService
    orders: OrderService
    payments: PaymentService
    purchases: TortoiseOrderRepository  # reviews' PurchaseVerifier


def checkout_config(settings: Settings | None) -> CheckoutConfig:
    """Shop rules for checkout; without settings (scripts, benches) no payment method is on."""
    if settings is None:
        return CheckoutConfig()
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
    )


def build_order_services(settings: Settings | None) -> OrderServices:
    config = checkout_config(settings)
    catalog = TortoiseCatalogRepository()
    carts = CartService(TortoiseCartRepository(), catalog, TortoiseCouponRepository())
    repo = TortoiseOrderRepository(catalog)
    orders = OrderService(repo, carts, config)
    secret = settings.invoice_secret if settings is not None else b"kiosk-demo"
    payments = PaymentService(orders, InvoiceSigner(secret), config)
    return OrderServices(carts, orders, payments, repo)
