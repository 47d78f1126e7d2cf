"""Coupons in the console, on SQLite and PostgreSQL: created with the chat dialog's rules,
listed with usage, disabled and enabled (checkout then refuses or takes it), each audited as
"console"; bad fields refused with the chat's own messages, nothing stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from storage.admin.models import AuditRow
from storage.orders.models import CouponRow
from tests.web.console import Console, console_app

API = "/console/api/coupons"


@pytest_asyncio.fixture
async def console(db: str) -> AsyncIterator[Console]:
    async with console_app() as c:
        yield c


async def test_create_list_and_disable_a_coupon(console: Console) -> None:
    manager = await console.client("manager")
    today = datetime.now(UTC).date()
    status, body = await manager.call(
        "POST",
        API,
        {
            "code": "summer-25",
            "kind": "fixed",
            "value": "5.00",
            "min_order": "20",
            "limit": "100",
            "once": True,
            "starts": str(today),
            "ends": str(today + timedelta(days=30)),
            "category": str(console.categories["gadgets"]),
        },
    )
    assert status == 201, body
    coupon = body["coupon"]
    assert (coupon["code"], coupon["discount"], coupon["min_order"]) == (
        "SUMMER-25",
        "$5.00",
        "$20.00",
    )
    assert (coupon["limit"], coupon["once"], coupon["category"]) == (100, True, "Gadgets")
    row = await CouponRow.get(code="SUMMER-25")
    assert row.ends_at is not None and row.ends_at.date() == today + timedelta(days=31)

    status, body = await manager.call("GET", API)
    assert [(c["code"], c["used"], c["active"]) for c in body["coupons"]] == [
        ("SUMMER-25", 0, True),
        ("SAVE10", 0, True),
    ]
    status, body = await manager.call("POST", f"{API}/{row.id}/active", {"active": False})
    assert status == 200 and body["coupon"]["active"] is False
    assert (await CouponRow.get(id=row.id)).active is False
    status, body = await manager.call("POST", f"{API}/{row.id}/active", {"active": "true"})
    assert status == 200 and body["coupon"]["active"] is True
    audit = await AuditRow.filter(action__startswith="coupons.").order_by("id")
    assert [a.action for a in audit] == ["coupons.create", "coupons.disable", "coupons.enable"]
    assert {a.details["source"] for a in audit} == {"console"}

    status, html = await manager.page("/console/coupons?done=created")
    assert status == 200 and "SUMMER-25" in html and "Coupon saved." in html


async def test_bad_coupons_are_refused_with_the_chat_messages(console: Console) -> None:
    owner = await console.client("owner")
    good = {"code": "WELCOME", "kind": "percent", "value": "10"}
    cases = [
        ({**good, "code": "x"}, 400, ""),
        ({**good, "value": "150"}, 400, "percentage from 1 to 100"),
        ({**good, "kind": "fixed", "value": "-3"}, 400, "negative"),
        ({**good, "kind": "bogus"}, 400, "isn't valid"),
        ({**good, "limit": "lots"}, 400, "whole number of uses"),
        ({**good, "starts": "2026-01-05"}, 400, "last day too"),
        ({**good, "ends": "2001-01-01"}, 400, "already over"),
        ({**good, "ends": "tomorrow"}, 400, "two dates like"),
        ({**good, "category": "99999"}, 400, "category doesn't exist"),
        ({**good, "code": "save10"}, 409, "already exists"),
    ]
    for body, code, text in cases:
        status, answer = await owner.call("POST", API, body)
        assert status == code, (body, answer)
        assert text in answer["message"], (body, answer)
    status, answer = await owner.call("POST", f"{API}/99999/active", {"active": False})
    assert status == 404
    status, _ = await owner.call("POST", API, good, csrf=False)
    assert status == 403
    assert await CouponRow.all().count() == 1  # the seeded SAVE10 only
    assert await AuditRow.filter(action__startswith="coupons.").count() == 0
