"""Report figures against a seeded order history, on SQLite and PostgreSQL: every figure is
checked against what the orders table says (paid, refunded, cancelled; USD and Stars)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.catalog.service import CategoryDraft, Localized, ProductDraft
from domain.reports.service import DayRow, ReportService, RevenueHidden, preset_period
from domain.staff.audit import AuditService
from domain.staff.service import StaffService
from storage.catalog.repository import TortoiseCatalogRepository
from storage.orders.models import OrderLineRow, OrderRow, RefundRow
from storage.recs.models import RecsEventRow
from storage.reports.source import TortoiseReportSource
from storage.staff.repository import TortoiseAuditRepository, TortoiseStaffRepository
from tests.integration.orders_setup import buyers

OWNER, MANAGER = 1, 2
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


async def order(
    user_id: int,
    created: datetime,
    paid: datetime | None,
    currency: str,
    amount: int,
    status: str,
    lines: list[tuple[int, str, int, int]],
) -> int:
    row = await OrderRow.create(
        user_id=user_id,
        status=status,
        payment_status="paid" if paid else "void",
        fulfilment_status="unfulfilled",
        currency="USD",
        subtotal=amount,
        pay_method="card" if currency != "XTR" else "stars",
        pay_currency=currency,
        pay_amount=amount,
        created_at=created,
        expires_at=created,
        paid_at=paid,
        updated_at=created,
    )
    for product_id, title, price, qty in lines:
        await OrderLineRow.create(
            order_id=row.id,
            product_id=product_id,
            sku=title,
            title_en=title,
            unit_price=price,
            quantity=qty,
        )
    return row.id


async def seed() -> None:
    catalog = TortoiseCatalogRepository()
    home = await catalog.create_category(CategoryDraft(Localized("Home")))
    drinks = await catalog.create_category(CategoryDraft(Localized("Drinks")))
    mug = (await catalog.create_product(ProductDraft("MUG", home.id, Localized("Mug"), 1000))).id
    tea = (await catalog.create_product(ProductDraft("TEA", drinks.id, Localized("Tea"), 500))).id
    a, b, c, d = (u.id for u in await buyers(4))
    await order(a, at(1), at(1), "USD", 1000, "completed", [(mug, "Mug", 1000, 1)])  # before
    await order(
        a,
        at(10),
        at(10, 10, 5),
        "USD",
        2500,
        "completed",
        [(mug, "Mug", 1000, 2), (tea, "Tea", 500, 1)],
    )
    refunded = await order(b, at(12), at(12), "USD", 1200, "refunded", [(mug, "Mug", 1000, 1)])
    await RefundRow.create(
        order_id=refunded,
        amount=1200,
        currency="USD",
        method="card",
        confirmed_by="merchant:1",
        created_at=at(13),
    )
    await order(c, at(14), at(14), "XTR", 600, "paid", [(tea, "Tea", 500, 3)])
    await order(b, at(14, 11), None, "USD", 900, "cancelled", [(mug, "Mug", 900, 1)])
    await order(d, at(8, 23), at(9, 0, 30), "USD", 800, "shipped", [(mug, "Mug", 800, 1)])
    for kind, day in (
        ("view", 10),
        ("view", 11),
        ("view", 14),
        ("cart", 11),
        ("cart", 14),
        ("view", 2),
    ):
        await RecsEventRow.create(user_id=a, item_id=mug, kind=kind, created_at=at(day))


def reports() -> ReportService:
    staff = StaffService(
        TortoiseStaffRepository(), frozenset({OWNER}), AuditService(TortoiseAuditRepository())
    )
    return ReportService(TortoiseReportSource(), staff, "UTC")


@pytest.mark.usefixtures("db")
async def test_seven_day_report_matches_the_orders_table() -> None:
    await seed()
    period = preset_period("7d", NOW, "UTC")
    assert (period.first, period.last) == (date(2026, 3, 9), date(2026, 3, 15))
    r = await reports().build(OWNER, period)
    assert r.orders == 4  # placed 10th, 12th, 14th (x2); the one placed on the 8th is outside
    assert r.paid_orders == 4
    assert r.revenue == {"USD": 4500, "XTR": 600}
    assert (r.average("USD"), r.average("XTR")) == (1500, 600)
    assert r.units == 8
    assert (r.refunds, r.refund_count) == ({"USD": 1200}, 1)
    assert r.top_goods == [("Mug", 4), ("Tea", 4)]
    assert r.top_categories == [("Drinks", 4), ("Home", 4)]
    assert (r.new_customers, r.returning_customers) == (3, 1)
    assert (r.views, r.cart_adds) == (3, 2)
    by_day = {row.day.day: row for row in r.daily}
    assert len(r.daily) == 7
    assert by_day[9] == DayRow(date(2026, 3, 9), 0, 1, {"USD": 800})
    assert by_day[10] == DayRow(date(2026, 3, 10), 1, 1, {"USD": 2500})
    assert by_day[12] == DayRow(date(2026, 3, 12), 1, 1, {"USD": 1200})
    assert by_day[14] == DayRow(date(2026, 3, 14), 2, 1, {"XTR": 600})
    assert by_day[15] == DayRow(date(2026, 3, 15), 0, 0, {})
    assert sorted(row.amount for row in r.rows) == [600, 800, 1200, 2500]
    today = await reports().build(OWNER, preset_period("today", NOW, "UTC"))
    assert (today.orders, today.paid_orders, today.revenue) == (0, 0, {})


@pytest.mark.usefixtures("db")
async def test_a_manager_barred_from_revenue_is_refused() -> None:
    service = reports()
    await TortoiseStaffRepository().add_manager(MANAGER, OWNER)
    period = preset_period("30d", NOW, "UTC")
    await service.build(MANAGER, period)  # allowed by default
    await service.staff.set_managers_see_revenue(OWNER, False)
    with pytest.raises(RevenueHidden):
        await service.build(MANAGER, period)
