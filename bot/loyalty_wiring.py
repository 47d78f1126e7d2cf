"""Loyalty services built from settings and hooked into checkout and order changes."""

from __future__ import annotations

from bot.orders_wiring import OrderServices
from bot.settings import Settings
from domain.loyalty import LoyaltyService
from domain.loyalty_rules import LoyaltyConfig, Tier
from storage.loyalty.repository import TortoiseLoyaltyRepository, record_checkout


def loyalty_config(settings: Settings | None) -> LoyaltyConfig:
    if settings is None:
        return LoyaltyConfig()
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


def build_loyalty(settings: Settings | None, shop: OrderServices) -> LoyaltyService:
    """The service, with its three hooks: tier and points at checkout (quote), the redeem row
    in the order's own transaction (place hook), the ledger rules on every order change."""
    loyalty = LoyaltyService(TortoiseLoyaltyRepository(), loyalty_config(settings))
    shop.orders.benefits = loyalty
    shop.orders.change_listeners.append(loyalty.order_changed)
    shop.purchases.place_hooks.append(record_checkout)
    return loyalty
