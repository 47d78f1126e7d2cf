"""The audit log in the console, on SQLite and PostgreSQL: who changed what and from where
(chat or console), filters by person, action and day, paging, readable action names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.i18n import translations
from domain.staff.audit import AuditFilter, audit_filter
from domain.staff.service import StaffTarget
from storage.admin.models import AuditRow
from tests.web.console import MANAGER_ID, OWNER_ID, Console

ROWS = re.compile(r'data-testid="audit-row" data-action="([^"]+)" data-source="([^"]+)"')
TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates" / "console"
MSGID = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


async def test_the_log_says_who_did_what_from_where(console: Console) -> None:
    audit = console.services.audit
    staff = console.services.staff
    await staff.add_manager(OWNER_ID, StaffTarget(telegram_id=7501))  # as the chat does it
    await audit.record(0, "stock.adjust", "product:1", {"delta": 3})  # a job: the system
    owner = await console.client("owner")
    status, _ = await owner.call("POST", "/console/api/staff", data={"person": "7502"})
    assert status == 200

    status, html = await owner.page("/console/audit")
    assert status == 200
    rows = ROWS.findall(html)
    assert rows[:3] == [
        ("staff.add_manager", "console"),
        ("stock.adjust", "system"),
        ("staff.add_manager", "chat"),
    ]
    assert "Staff member added" in html and "web console" in html  # readable, translated

    manager = await console.client("manager")
    status, _ = await manager.page("/console/audit")
    assert status == 403  # owners only, as /audit in the chat


async def test_filters_and_paging(console: Console) -> None:
    audit = console.services.audit
    for n in range(30):
        await audit.record(OWNER_ID, "product.edit", f"product:{n}", {"fields": ["price"]})
    for n in range(3):
        await audit.record(MANAGER_ID, "orders.ship", f"order:{n}")
    await AuditRow.filter(target="order:0").update(
        created_at=datetime.now(UTC) - timedelta(days=9)
    )
    owner = await console.client("owner")

    status, html = await owner.page("/console/audit")
    assert len(ROWS.findall(html)) == 25 and 'data-total="34"' in html  # + the setup's line
    status, html = await owner.page("/console/audit?page=2")
    assert len(ROWS.findall(html)) == 9
    status, html = await owner.page("/console/audit?page=999")  # lands on the last page
    assert len(ROWS.findall(html)) == 9 and "Page 2 of 2" in html

    status, html = await owner.page(f"/console/audit?actor={MANAGER_ID}")
    assert [a for a, _ in ROWS.findall(html)] == ["orders.ship"] * 3
    status, html = await owner.page("/console/audit?action=orders")  # a whole area
    assert len(ROWS.findall(html)) == 3 and "Order shipped" in html
    status, html = await owner.page("/console/audit?action=product.edit&page=2")
    assert len(ROWS.findall(html)) == 5 and "action=product.edit&amp;page=1" in html
    today = datetime.now(ZoneInfo(console.services.shop.timezone)).date().isoformat()
    status, html = await owner.page(f"/console/audit?action=orders&since={today}&until={today}")
    assert len(ROWS.findall(html)) == 2

    status, html = await owner.page("/console/audit?since=yesterday")
    assert status == 200 and 'data-testid="audit-error"' in html and "2030-05-01" in html
    status, html = await owner.page("/console/audit?action=%3Cscript%3E")
    assert status == 200 and "<script>" not in html.split('data-testid="audit-log"')[1]


def test_days_are_read_in_the_shops_time_zone() -> None:
    where = audit_filter("", "staff", "2030-05-01", "2030-05-02", "Asia/Shanghai")
    assert where == AuditFilter(
        None,
        "staff",
        datetime(2030, 4, 30, 16, tzinfo=UTC),
        datetime(2030, 5, 2, 16, tzinfo=UTC),
    )


def test_every_text_of_these_pages_is_translated() -> None:
    zh = translations("zh")
    missing = []
    for area in ("campaigns", "staff", "audit"):
        for path in sorted((TEMPLATES / area).glob("*.html")):
            for match in MSGID.finditer(path.read_text()):
                msgid = match.group(1) if match.group(1) is not None else match.group(2)
                msgid = msgid.replace('\\"', '"').replace("\\'", "'")
                if not zh.get(msgid):
                    missing.append(f"{path.name}: {msgid}")
    assert missing == []
