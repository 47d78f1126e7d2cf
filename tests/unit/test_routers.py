"""The Dispatcher's routers: every staff router behind one gate, shoppers' never."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message, User

from bot.runtime.aiogram_private import detach_routers
from handlers import dispatcher_routers, get_routers, shopper_routers, staff_routers
from handlers.admin.security import ROUTER_ROLES, IsStaff


def _detach(routers: list[Router]) -> None:
    holder = Router(name="holder")
    holder.include_routers(*routers)
    detach_routers(holder)


def test_every_staff_router_is_behind_the_one_gate() -> None:
    routers = dispatcher_routers()
    try:
        (gate,) = [r for r in routers if r.name == "staff"]
        assert gate.sub_routers == staff_routers()
        assert get_routers() == [r for top in routers for r in (top.sub_routers or [top])]
        before, after = shopper_routers()
        assert routers == [*before, gate, *after]  # shoppers' routers never sit behind it
        for router in staff_routers():
            assert router.name in ROUTER_ROLES, router.name  # made by staff_router()
        assert {r.name for r in [*before, *after]}.isdisjoint(ROUTER_ROLES)
        assert len(staff_routers()) >= 16
    finally:
        _detach(routers)


class _Staff:
    """StaffService stand-in: 1 is an owner, 2 a manager, anyone else a shopper."""

    roles = {1: "owner", 2: "manager"}

    async def allowed(self, user_id: int, min_role: str, permission: object = None) -> bool:
        role = self.roles.get(user_id)
        return role == "owner" or (role == "manager" and min_role == "manager")

    async def role_of(self, user_id: int) -> str | None:
        return self.roles.get(user_id)


async def test_the_gate_checks_the_role_once_and_hands_it_down() -> None:
    routers = dispatcher_routers()
    try:
        (gate,) = [r for r in routers if r.name == "staff"]
        message = Message.model_validate(
            {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "/x"}
        )
        for user_id, passes, role in ((1, True, "owner"), (2, True, "manager"), (3, False, None)):
            user = User(id=user_id, is_bot=False, first_name="A")
            passed, data = await gate.message.check_root_filters(
                message, event_from_user=user, staff=_Staff()
            )
            assert passed is passes
            assert data.get("staff_role") == role
        assert not await IsStaff()(message, event_from_user=None, staff=_Staff())
    finally:
        _detach(routers)


async def test_button_prefix_filters_only_where_every_button_handler_needs_a_prefix() -> None:
    from aiogram.filters.callback_data import CallbackData
    from aiogram.types import CallbackQuery, User

    from handlers import skip_foreign_buttons

    class ACb(CallbackData, prefix="aa"):
        n: int

    class BCb(CallbackData, prefix="bb", sep="|"):
        n: int

    async def router_takes(router: Router, data: str | None) -> bool:
        passed, _data = await router.callback_query.check_root_filters(press(data))
        return bool(passed)

    typed = Router(name="typed")
    typed.callback_query(ACb.filter())(_noop)
    typed.callback_query(BCb.filter())(_noop)
    skip_foreign_buttons(typed)
    skip_foreign_buttons(typed)  # a second dispatcher built in the same process: no-op

    def press(data: str | None) -> CallbackQuery:
        user = User(id=1, is_bot=False, first_name="A")
        return CallbackQuery(id="1", from_user=user, chat_instance="c", data=data)

    for data, passes in (
        ("aa:1", True),
        ("bb|2", True),
        ("ab:1", False),
        ("bb:2", False),
        ("aaa:1", False),
        ("", False),
        (None, False),
    ):
        # as aiogram runs it: the router-level check before any handler
        assert await router_takes(typed, data) is passes, data
    for data in ("aa:1", "bb|2"):  # whatever passes the router's filter, some handler's may too
        assert any(
            [
                await f.callback(press(data))
                for h in typed.callback_query.handlers
                for f in h.filters or []
            ]
        ), data

    catch_all = Router(name="catch_all")
    catch_all.callback_query(ACb.filter())(_noop)
    catch_all.callback_query()(_noop)  # takes any button: the router must stay open
    skip_foreign_buttons(catch_all)
    assert await router_takes(catch_all, "zz:1")  # still open to any button


async def _noop(*_args: object) -> None: ...
