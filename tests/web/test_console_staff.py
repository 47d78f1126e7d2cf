"""Staff and roles in the console, on SQLite and PostgreSQL: owners add people by Telegram id
or @username, change roles and remove them through the chat's own StaffService; a removed
manager loses the console on the next click; the last owner can't step down."""

from __future__ import annotations

import pytest

from domain.staff.audit import AuditService
from domain.staff.service import LastOwner, StaffService
from domain.users.service import TelegramIdentity
from storage.staff.repository import TortoiseAuditRepository, TortoiseStaffRepository
from tests.web.console import MANAGER_ID, OWNER_ID, Console

API = "/console/api/staff"


async def test_an_owner_adds_changes_and_removes_staff(console: Console) -> None:
    await console.services.users.seen(
        TelegramIdentity(7301, "Alice", username="alice_shop", language_code="en")
    )
    owner = await console.client("owner")
    status, body = await owner.call("POST", API, data={"person": "@Alice_Shop", "role": "manager"})
    assert status == 200 and body["message"] == "Alice is a manager now.", body
    status, body = await owner.call("POST", API, data={"person": "7302", "role": "owner"})
    assert status == 200 and body["message"] == "7302 is an owner now."
    status, body = await owner.call(
        "POST", API, data={"person": "@nobody_here", "role": "manager"}
    )
    assert status == 404 and "@nobody_here" in body["message"]
    status, body = await owner.call("POST", API, data={"person": "not a person!"})
    assert status == 400

    roles = {m.telegram_id: m.role for m in await console.services.staff.staff()}
    assert roles == {OWNER_ID: "owner", 7302: "owner", 7301: "manager", MANAGER_ID: "manager"}
    status, html = await owner.page("/console/staff")
    assert status == 200 and 'data-telegram-id="7301" data-role="manager"' in html
    assert "@alice_shop" in html

    status, body = await owner.call("POST", f"{API}/7301/role", data={"role": "owner"})
    assert status == 200 and body["message"] == "Role changed."
    assert await console.services.staff.role_of(7301) == "owner"
    status, body = await owner.call("POST", f"{API}/7302/remove")
    assert status == 200 and body["message"] == "Removed."
    assert await console.services.staff.role_of(7302) is None

    # owners from ADMIN_IDS are the configuration's, not the console's
    status, body = await owner.call("POST", f"{API}/{OWNER_ID}/role", data={"role": "manager"})
    assert status == 400 and "ADMIN_IDS" in body["message"]
    status, body = await owner.call("POST", f"{API}/{OWNER_ID}/remove")
    assert status == 400 and await console.services.staff.role_of(OWNER_ID) == "owner"
    status, body = await owner.call("POST", f"{API}/999/role", data={"role": "owner"})
    assert status == 404

    page = await console.services.audit.page(1)
    lines = {(e.action, e.target): e.source for e in page.items}
    assert lines[("staff.add_manager", "tg:7301")] == "console"
    assert lines[("staff.set_role", "tg:7301")] == "console"
    assert lines[("staff.remove_manager", "tg:7302")] == "console"


async def test_a_removed_manager_loses_the_console_at_once(console: Console) -> None:
    owner = await console.client("owner")
    manager = await console.client("manager")
    status, _ = await manager.page("/console/campaigns")
    assert status == 200
    status, _ = await manager.page("/console/staff")  # owners only, as /staff in chat
    assert status == 403
    status, _ = await manager.call("POST", API, data={"person": "7401", "role": "owner"})
    assert status == 403 and await console.services.staff.role_of(7401) is None

    status, _ = await owner.call("POST", f"{API}/{MANAGER_ID}/remove")
    assert status == 200
    status, _ = await manager.page("/console/campaigns")
    assert status == 403
    assert await console.services.staff.role_of(MANAGER_ID) is None  # the chat's gate too


async def test_the_last_owner_cant_step_down(db: str) -> None:
    repo = TortoiseStaffRepository()
    staff = StaffService(repo, frozenset(), AuditService(TortoiseAuditRepository()))
    await repo.add_manager(8001, 0)
    await repo.set_appointed_owner(8001, True)  # the one owner (no ADMIN_IDS)
    await repo.add_manager(8002, 8001)
    assert await staff.role_of(8001) == "owner" and await staff.role_of(8002) == "manager"
    with pytest.raises(LastOwner):
        await staff.set_role(8001, 8001, "manager")
    with pytest.raises(LastOwner):
        await staff.remove_manager(8001, 8001)
    assert await staff.set_role(8001, 8002, "owner")
    assert await staff.set_role(8002, 8001, "manager")  # now there is another owner
    assert await staff.role_of(8001) == "manager"
    assert await staff.remove_manager(8002, 8001)
    assert await repo.appointed_owner_ids() == {8002}
