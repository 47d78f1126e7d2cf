"""aiogram Routers, one per conversation. Order matters: the catch-all comes last."""

from aiogram import Router


def get_routers() -> list[Router]:
    from handlers import alerts as shopper_alerts
    from handlers import (
        cart,
        checkout,
        fallback,
        loyalty,
        loyalty_admin,
        orders,
        orders_admin,
        payments,
        recs,
        start,
    )
    from handlers.admin import categories as admin_categories
    from handlers.admin import coupons as admin_coupons
    from handlers.admin import denied as admin_denied
    from handlers.admin import goods as admin_goods
    from handlers.admin import goods_new as admin_goods_new
    from handlers.admin import menu as admin_menu
    from handlers.admin import orders_board as admin_orders_board
    from handlers.admin import reports as admin_reports
    from handlers.admin import reviews_mod as admin_reviews
    from handlers.admin import staff as admin_staff
    from handlers.admin import stock as admin_stock
    from handlers.admin import transfer as admin_transfer
    from handlers.campaigns import admin as campaign_admin
    from handlers.campaigns import compose as campaign_compose
    from handlers.campaigns import shopper as campaign_shopper
    from handlers.catalog import browse, card, inline, lists, reviews
    from handlers.catalog import search as catalog_search
    from handlers.profile import addresses, profile

    return [
        start.router,
        profile.router,
        addresses.router,
        payments.router,
        cart.router,
        checkout.router,
        orders.router,
        orders_admin.router,
        admin_menu.router,
        admin_goods_new.router,
        admin_goods.router,
        admin_categories.router,
        admin_transfer.router,
        admin_stock.router,
        admin_staff.router,
        admin_orders_board.router,
        admin_coupons.router,
        admin_reviews.router,
        admin_reports.router,
        campaign_admin.router,
        campaign_compose.router,
        campaign_shopper.router,
        loyalty.router,
        loyalty_admin.router,
        admin_denied.router,  # after every admin router: managers pressing owners' buttons
        recs.router,
        shopper_alerts.router,
        browse.router,
        card.router,
        lists.router,
        reviews.router,
        inline.router,
        catalog_search.router,  # plain text outside dialogs = a search: keep it late
        fallback.router,
    ]
