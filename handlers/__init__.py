"""aiogram Routers, one per conversation. Order matters: the catch-all comes last."""

from aiogram import Router
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import CallbackQuery


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


def _staff_only(router: Router) -> bool:
    """Every message and button handler of the router is behind a staff role filter."""
    from handlers.admin.security import IsStaff
    from handlers.campaigns.security import IsAdmin

    def gated(observer: TelegramEventObserver) -> bool:
        roots = observer._handler.filters or []
        return any(isinstance(f.callback, IsStaff | IsAdmin) for f in roots)

    observers = (router.message, router.callback_query)
    return all(gated(o) or not o.handlers for o in observers)


def dispatch_order() -> list[Router]:
    """get_routers() for the Dispatcher: each run of staff-only routers goes under one parent
    that checks the role once, so a shopper's update skips the run in one step instead of
    visiting (and role-checking) each of its routers - 14 of them sit before the catalogue's.
    The order of the handlers is unchanged, and each router keeps its own role filter."""
    from handlers.campaigns.security import IsAdmin

    ordered: list[Router] = []
    run: list[Router] = []

    def close_run() -> None:
        if len(run) > 1:
            staff = Router(name=f"staff:{run[0].name}..{run[-1].name}")
            staff.message.filter(IsAdmin())
            staff.callback_query.filter(IsAdmin())
            staff.include_routers(*run)
            ordered.append(staff)
        else:
            ordered.extend(run)
        run.clear()

    for router in get_routers():
        _skip_foreign_buttons(router)
        if _staff_only(router):
            run.append(router)
            continue
        close_run()
        ordered.append(router)
    close_run()
    return ordered


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


def _skip_foreign_buttons(router: Router) -> None:
    """Give the router a ButtonPrefixes filter if every button handler it has needs one of its
    CallbackData prefixes (a handler taking any button leaves the router unfiltered). Decided
    when the Dispatcher is built, from the handlers the modules registered on import."""
    observer = router.callback_query
    if not observer.handlers:
        return
    if any(isinstance(f.callback, ButtonPrefixes) for f in observer._handler.filters or []):
        return  # built before (tests and the demo build several dispatchers)
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
