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


async def test_button_prefix_filters_only_where_every_button_handler_needs_a_prefix() -> None:
    from aiogram.filters.callback_data import CallbackData
    from aiogram.types import CallbackQuery, User

    from handlers import ButtonPrefixes, _skip_foreign_buttons

    class ACb(CallbackData, prefix="aa"):
        n: int

    class BCb(CallbackData, prefix="bb", sep="|"):
        n: int

    def prefix_filters(router: Router) -> list[ButtonPrefixes]:
        roots = router.callback_query._handler.filters or []
        return [f.callback for f in roots if isinstance(f.callback, ButtonPrefixes)]

    typed = Router(name="typed")
    typed.callback_query(ACb.filter())(_noop)
    typed.callback_query(BCb.filter())(_noop)
    _skip_foreign_buttons(typed)
    _skip_foreign_buttons(typed)  # a second dispatcher built in the same process
    (only,) = prefix_filters(typed)

    def press(data: str | None) -> CallbackQuery:
        user = User(id=1, is_bot=False, first_name="A")
        return CallbackQuery(id="1", from_user=user, chat_instance="c", data=data)

    for data, passes in (("aa:1", True), ("bb|2", True), ("ab:1", False), ("bb:2", False),
                         ("aaa:1", False), ("", False), (None, False)):  # fmt: skip
        assert await only(press(data)) is passes, data
        # ...and as aiogram runs it: the router-level check before any handler
        passed, _data = await typed.callback_query.check_root_filters(press(data))
        assert passed is passes, data
    for data in ("aa:1", "bb|2"):  # whatever passes the router's filter, some handler's may too
        assert any([await f.callback(press(data)) for h in typed.callback_query.handlers
                    for f in h.filters or []]), data  # fmt: skip

    catch_all = Router(name="catch_all")
    catch_all.callback_query(ACb.filter())(_noop)
    catch_all.callback_query()(_noop)  # takes any button: the router must stay open
    _skip_foreign_buttons(catch_all)
    assert prefix_filters(catch_all) == []


async def _noop(*_args: object) -> None: ...
