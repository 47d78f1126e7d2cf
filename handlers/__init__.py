"""The chat adapter: one aiogram Router per feature module, in the order they are tried.

`get_routers()` is that order. Every staff router sits under one gate (`staff_gate`, see
handlers/admin/security.py) that checks the role once, with aiogram's public router filters,
so a shopper's update skips all of them in one step. The catch-all comes last.
"""

from __future__ import annotations

import weakref

from aiogram import Router
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery


def staff_routers() -> list[Router]:
    """Every router only staff may reach, in the order they are tried (under the gate)."""
    from handlers.admin import categories as admin_categories
    from handlers.admin import console as admin_console
    from handlers.admin import coupons as admin_coupons
    from handlers.admin import denied as admin_denied
    from handlers.admin import digital as admin_digital
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
    from handlers.loyalty import admin as loyalty_admin
    from handlers.onboarding import checklist as onboarding
    from handlers.orders import admin as orders_admin
    from handlers.subscriptions import admin as subscriptions_admin
    from handlers.subscriptions import subscribers as subscriptions_staff
    from handlers.support import maintenance as support_maintenance
    from handlers.support import staff as support_staff

    return [
        # First: a staff member's reply to a shopper's relayed message is an answer, whatever
        # dialog they have open (else "Add codes" would take it as a code to sell).
        support_staff.router,
        orders_admin.router,
        subscriptions_staff.router,
        subscriptions_admin.router,  # owners only
        admin_menu.router,
        admin_console.router,
        onboarding.router,
        admin_goods_new.router,
        admin_goods.router,
        admin_digital.router,
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
        loyalty_admin.router,
        support_maintenance.router,  # owners only
        admin_denied.router,  # last of them: managers pressing owners' buttons
    ]


def shopper_routers() -> tuple[list[Router], list[Router]]:
    """Routers anyone may reach: those tried before the staff gate, and those after it."""
    from handlers import fallback, start
    from handlers.admin import denied as admin_denied
    from handlers.alerts import shopper as shopper_alerts
    from handlers.campaigns import shopper as campaign_shopper
    from handlers.cart import view as cart
    from handlers.catalog import browse, card, inline, lists, reviews
    from handlers.catalog import search as catalog_search
    from handlers.loyalty import shopper as loyalty
    from handlers.orders import checkout, payments
    from handlers.orders import shopper as orders
    from handlers.profile import addresses, profile
    from handlers.recommend import shelves as recs
    from handlers.subscriptions import payments as subscription_payments
    from handlers.subscriptions import shopper as subscriptions
    from handlers.support import group as support_group
    from handlers.support import shopper as support

    before = [
        support_group.router,  # only the staff forum group's messages (SUPPORT__CHAT_ID)
        support.router,  # a shopper writing to the shop: before commands and plain-text search
        start.router,
        profile.router,
        addresses.router,
        subscription_payments.router,  # before the orders' payments: `sub.` payloads only
        payments.router,
        subscriptions.router,
        cart.router,
        checkout.router,
        orders.router,
    ]
    after = [
        campaign_shopper.router,
        loyalty.router,
        recs.router,
        shopper_alerts.router,
        browse.router,
        card.router,
        lists.router,
        reviews.router,
        inline.router,
        catalog_search.router,  # plain text outside dialogs = a search: keep it late
        admin_denied.not_staff_router,  # /admin by someone not on the staff: how to become so
        fallback.router,
    ]
    return before, after


def get_routers() -> list[Router]:
    """Every feature router in the order the Dispatcher tries them (staff ones in place of
    their gate). Reading it attaches nothing: tests walk it while a Dispatcher runs."""
    before, after = shopper_routers()
    return [*before, *staff_routers(), *after]


def dispatcher_routers() -> list[Router]:
    """What the Dispatcher includes: shoppers' first routers, the staff gate with every staff
    router under it, the rest, the fallback.

    The gate is a new Router each time (tests and the demo build several Dispatchers); the
    feature routers are module-level, so a closed Dispatcher lets go of them
    (bot/runtime/aiogram_private.py).
    """
    from handlers.admin.security import staff_gate

    for router in get_routers():
        skip_foreign_buttons(router)
    before, after = shopper_routers()
    return [*before, staff_gate(staff_routers()), *after]


class ButtonPrefixes(Filter):
    """Router-level filter: the button's data starts with a prefix one of the router's handlers
    accepts. Each CallbackData filter checks this anyway (after splitting and unpacking the
    data); checked once per router, a press skips routers that can't take it at once instead
    of trying their handlers one by one (26 unpack attempts per update before)."""

    def __init__(self, prefixes: set[tuple[str, str]]) -> None:
        self.prefixes = frozenset(prefixes)  # (prefix, separator)
        self.separators = {sep for _, sep in prefixes}

    async def __call__(self, query: CallbackQuery) -> bool:
        data = query.data
        if not data:
            return False
        return any((data.split(sep, 1)[0], sep) in self.prefixes for sep in self.separators)


_prefixed: weakref.WeakSet[Router] = weakref.WeakSet()  # routers given their filter already


def skip_foreign_buttons(router: Router) -> None:
    """Give the router a ButtonPrefixes filter if every button handler it has needs one of its
    CallbackData prefixes (a handler taking any button leaves the router unfiltered). Decided
    once, from the handlers the modules registered on import (public `handlers` and
    `HandlerObject.filters`)."""
    observer = router.callback_query
    if not observer.handlers or router in _prefixed:
        return
    prefixes: set[tuple[str, str]] = set()
    for handler in observer.handlers:
        factories = [
            f.callback.callback_data
            for f in handler.filters or []
            if isinstance(f.callback, CallbackQueryFilter)
        ]
        if not factories:
            return
        prefixes |= {(factory.__prefix__, factory.__separator__) for factory in factories}
    observer.filter(ButtonPrefixes(prefixes))
    _prefixed.add(router)
