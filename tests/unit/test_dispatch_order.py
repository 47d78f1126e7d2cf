"""The Dispatcher's routers: staff-only runs nested under one role check, order unchanged."""

from __future__ import annotations

from aiogram import Router

from bot.app import detach_routers
from handlers import _staff_only, dispatch_order, get_routers


def _flatten(routers: list[Router]) -> list[Router]:
    return [leaf for r in routers for leaf in (r.sub_routers or [r])]


def test_staff_runs_are_nested_without_changing_the_order() -> None:
    ordered = dispatch_order()
    try:
        assert _flatten(ordered) == get_routers()  # every handler is tried in the same order
        groups = [r for r in ordered if r.sub_routers]
        assert groups, "the admin routers should be grouped"
        for group in groups:
            assert all(_staff_only(r) for r in group.sub_routers)
            assert _staff_only(group)  # the group checks the role itself
        top = {r.name for r in ordered}
        for shopper in ("handlers.catalog.browse", "handlers.cart", "handlers.loyalty"):
            assert shopper in top  # shoppers' routers never sit behind a role check
        nested = sum(len(g.sub_routers) for g in groups)
        assert nested >= 14 and len(ordered) == len(get_routers()) - nested + len(groups)
    finally:
        for router in ordered:
            detach_routers(router)
            router._parent_router = None


def test_a_router_with_an_ungated_button_is_not_nested() -> None:
    from handlers.admin.security import staff_router

    gated = staff_router("gated")
    mixed = Router(name="mixed")
    mixed.message.filter(staff_router("x").message._handler.filters[0].callback)
    assert _staff_only(gated) and _staff_only(mixed)  # no button handlers: nothing to leak

    @mixed.callback_query()
    async def anyone(_query: object) -> None: ...

    assert not _staff_only(mixed)  # its buttons are open to shoppers: keep it top-level
