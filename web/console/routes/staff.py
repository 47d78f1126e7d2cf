"""Console pages: staff and roles (owners only, as in the chat's /staff) — add a person by
Telegram id or @username, change a role, remove, and whether managers see revenue.

Every change goes through `StaffService`, the chat's own authority: it re-checks that the
actor is an owner, keeps owners from ADMIN_IDS and the last owner in place, writes the audit
log (source "console") and tells its listeners (the staff's command menus); a manager removed
here loses the chat admin and the console on their next update or click.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from domain.kernel.errors import NotFound, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import whole_number
from domain.staff.service import ROLE_RANK, Role, StaffService, parse_staff_target
from web.console.access import requires, staff
from web.console.keys import SERVICES
from web.console.render import gettext, json_ok, render

routes = web.RouteTableDef()
MAX_FIELD = 200


def _staff(request: web.Request) -> StaffService:
    return request.config_dict[SERVICES].staff


async def _fields(request: web.Request) -> dict[str, str]:
    form = await request.post()
    values: dict[str, str] = {}
    for name, value in form.items():
        if isinstance(value, str):
            if len(value) > MAX_FIELD:
                raise ValidationError(N_("That is too long."))
            values[name] = value
    return values


def _role(raw: str) -> Role:
    if raw == "owner":
        return "owner"
    if raw == "manager":
        return "manager"
    raise ValidationError(N_("Unknown role."))


def _member_id(request: web.Request) -> int:
    number = whole_number(request.match_info.get("tg", ""))
    if number is None or not 0 < number < 10**15:
        raise NotFound(N_("Not found. It may have been removed."))
    return number


@routes.get("/staff")
@requires("owner")
async def staff_page(request: web.Request) -> web.Response:
    service = _staff(request)
    me = staff(request)
    members: list[dict[str, Any]] = [
        {"member": m, "is_me": m.telegram_id == me.telegram_id} for m in await service.staff()
    ]
    return render(
        request,
        "console/staff/list.html",
        members=members,
        roles=sorted(ROLE_RANK, key=ROLE_RANK.__getitem__),
        see_revenue=await service.managers_see_revenue(),
    )


@routes.post("/api/staff")
@requires("owner")
async def add_member(request: web.Request) -> web.Response:
    """Add a person (a Telegram id, or the @username of someone who opened the bot)."""
    fields = await _fields(request)
    role = _role(fields.get("role", "manager"))
    actor = staff(request).telegram_id
    service = _staff(request)
    person, added = await service.add_manager(actor, parse_staff_target(fields.get("person", "")))
    changed = await service.set_role(actor, person.telegram_id, role) if role == "owner" else False
    name = person.name or str(person.telegram_id)
    if added:
        note = (
            N_("{name} is a manager now.") if role == "manager" else N_("{name} is an owner now.")
        )
    elif changed:
        note = N_("{name} is an owner now.")
    else:
        note = N_("{name} was on the staff already.")
    return json_ok(message=gettext(request, note, name=name), reload=True)


@routes.post(r"/api/staff/{tg:\d+}/role")
@requires("owner")
async def change_role(request: web.Request) -> web.Response:
    fields = await _fields(request)
    role = _role(fields.get("role", ""))
    changed = await _staff(request).set_role(staff(request).telegram_id, _member_id(request), role)
    note = N_("Role changed.") if changed else N_("They have that role already.")
    return json_ok(message=gettext(request, note), reload=True)


@routes.post(r"/api/staff/{tg:\d+}/remove")
@requires("owner")
async def remove_member(request: web.Request) -> web.Response:
    removed = await _staff(request).remove_manager(staff(request).telegram_id, _member_id(request))
    note = N_("Removed.") if removed else N_("They weren't on the staff.")
    return json_ok(message=gettext(request, note), reload=True)


@routes.post("/api/staff/revenue")
@requires("owner")
async def revenue_visibility(request: web.Request) -> web.Response:
    fields = await _fields(request)
    see = fields.get("see") == "1"
    await _staff(request).set_managers_see_revenue(staff(request).telegram_id, see)
    return json_ok(message=gettext(request, N_("Saved.")), reload=True)
