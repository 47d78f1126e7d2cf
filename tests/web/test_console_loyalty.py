"""Loyalty adjustments in the console (owners only, as in the chat), on SQLite and
PostgreSQL: a shopper found by Telegram id or @username, points added and taken with a reason
(a ledger row naming the owner, an audit line from "console"); more than the balance, zero
points, an unknown shopper or a manager are refused and nothing changes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from storage.admin.models import AuditRow
from storage.loyalty.models import LoyaltyEntryRow
from tests.web.console import OWNER_ID, Console, console_app
from tests.web.console_orders_seed import buyer

API = "/console/api/loyalty"


@pytest_asyncio.fixture
async def console(db: str) -> AsyncIterator[Console]:
    async with console_app() as c:
        yield c


async def test_an_owner_adjusts_a_shoppers_points(console: Console) -> None:
    ann = await buyer(console.services, 1001, "Ann", "ann_shops")
    owner = await console.client("owner")
    status, body = await owner.call(
        "POST", f"{API}/adjust", {"telegram_id": "1001", "points": "+200", "reason": "late box"}
    )
    assert status == 201, body
    assert (body["entry"]["points"], body["balance"]) == (200, 200)
    status, body = await owner.call(
        "POST", f"{API}/adjust", {"telegram_id": 1001, "points": -50, "reason": "typo fix"}
    )
    assert status == 201 and body["balance"] == 150
    rows = await LoyaltyEntryRow.filter(user_id=ann.id).order_by("id")
    assert [(r.kind, r.points, r.reason, r.actor) for r in rows] == [
        ("adjust", 200, "late box", f"owner:{OWNER_ID}"),
        ("adjust", -50, "typo fix", f"owner:{OWNER_ID}"),
    ]
    audit = await AuditRow.filter(action="loyalty.adjust").order_by("id")
    assert [(a.target, a.details["points"], a.details["source"]) for a in audit] == [
        (f"user:{ann.id}", 200, "console"),
        (f"user:{ann.id}", -50, "console"),
    ]
    status, body = await owner.call("GET", f"{API}/shoppers/1001")
    assert status == 200 and body["balance"] == 150
    assert [e["points"] for e in body["ledger"]] == [-50, 200]
    status, html = await owner.page("/console/loyalty?who=%40ann_shops&done=adjusted")
    assert status == 200 and 'data-testid="shopper-balance">150 points' in html
    assert "Their balance is now 150." in html


async def test_refused_adjustments_change_nothing(console: Console) -> None:
    ann = await buyer(console.services, 1001, "Ann")
    owner = await console.client("owner")
    adjust = {"telegram_id": "1001", "points": "+20", "reason": "welcome"}
    cases = [
        ({**adjust, "points": "-500"}, 409, "points"),
        ({**adjust, "points": "0"}, 400, "must not be zero"),
        ({**adjust, "points": "ten"}, 400, "whole number"),
        ({**adjust, "reason": "x"}, 400, "3-200 characters"),
        ({**adjust, "telegram_id": "424242"}, 404, "No shopper with that Telegram id"),
        ({**adjust, "telegram_id": "-1"}, 404, "No shopper"),
    ]
    for body, code, text in cases:
        status, answer = await owner.call("POST", f"{API}/adjust", body)
        assert status == code, (body, answer)
        assert text in answer["message"], (body, answer)
    manager = await console.client("manager")  # the chat keeps this for owners
    status, _ = await manager.call("POST", f"{API}/adjust", adjust)
    assert status == 403
    status, _ = await manager.page("/console/loyalty")
    assert status == 403
    status, _ = await owner.call("POST", f"{API}/adjust", adjust, csrf=False)
    assert status == 403
    assert await LoyaltyEntryRow.filter(user_id=ann.id).count() == 0
    assert await AuditRow.filter(action="loyalty.adjust").count() == 0
    status, html = await owner.page("/console/loyalty?who=%40nobody_here")
    assert status == 200 and 'data-testid="shopper-problem"' in html


async def test_tier_names_are_in_the_staff_members_language(console: Console) -> None:
    await buyer(console.services, 1001, "Ann", "ann_shops")
    owner_user = await buyer(console.services, OWNER_ID, "Owner")
    await console.services.users.set_language(owner_user.id, "zh")
    owner = await console.client("owner")
    status, html = await owner.page("/console/loyalty?who=1001")
    assert status == 200
    assert "会员" in html and "银卡" in html, html  # Member now, Silver next
    assert "Member" not in html and "Silver" not in html
