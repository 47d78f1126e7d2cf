"""The console's dashboard on SQLite and PostgreSQL: figures from the orders (paid, placed,
not paid), the event log's funnel, the stock ledger's low list and the recommender's own
evaluation, as JSON and as a page with a chart; revenue hidden from managers when an owner
says so; the staff member's language; bad input refused clearly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.recommend.scorers import Blend
from domain.recommend.service import RecsQuality
from domain.recommend.tuning import Validation
from domain.users.service import TelegramIdentity
from tests.web.console import ADDRESS, OWNER_ID, Console

pytestmark = pytest.mark.asyncio
ORDER = 2 * 1250 + 500  # two mugs and standard shipping


async def shop_day(console: Console) -> None:
    """Two paid orders, one checkout left unpaid, one product view."""
    status, _ = await console.shop("GET", f"view/product/{console.goods['mug']}", 2001)
    assert status == 200
    await console.paid_order(2001)
    await console.paid_order(2002)
    await console.shop("POST", "cart/items", 2003, {"product_id": console.goods["mug"]})
    _, address = await console.shop("POST", "addresses", 2003, ADDRESS)
    checkout = {"address_id": address["address_id"], "shipping_option": "standard"}
    status, _ = await console.shop("POST", "checkout", 2003, {**checkout, "method": "card"})
    assert status == 200
    await console.services.recs_runtime.recorder.flush()


async def test_the_figures_are_the_orders(console: Console) -> None:
    await shop_day(console)
    owner = await console.client("owner")
    status, d = await owner.call("GET", "/console/api/dashboard?days=7")
    assert status == 200, d
    assert d["revenue"]["amount"] == 2 * ORDER and d["revenue"]["text"] == "$60.00"
    assert d["revenue"]["previous"]["amount"] == 0 and d["revenue"]["change"] is None
    assert d["paid_orders"]["count"] == 2 and d["orders"]["count"] == 3
    assert d["average_basket"]["amount"] == ORDER and d["average_basket"]["text"] == "$30.00"
    funnel = {step["step"]: step["count"] for step in d["funnel"]}
    assert funnel == {"views": 1, "carts": 3, "checkouts": 3, "paid": 2}
    assert d["conversion"] == 2.0
    assert d["top_goods"] == [{"title": "Coffee mug", "units": 4}]
    assert len(d["series"]) == 7 and d["series"][-1]["revenue"] == 2 * ORDER
    assert sum(b["revenue"] for b in d["series"]) == 2 * ORDER
    # low stock is the ledger's own list: the sold-out variant and lamp, the 3-left product
    assert d["low_stock"]["total"] == 3
    assert {r["sku"] for r in d["low_stock"]["rows"]} == {"TEE-L", "GONE", "EVIL"}
    assert d["recs"] is None  # no model built yet

    status, today = await owner.call("GET", "/console/api/dashboard?days=1")
    assert status == 200 and today["hourly"] and len(today["series"]) == 24
    assert sum(b["revenue"] for b in today["series"]) == 2 * ORDER


async def test_the_page_draws_the_chart_and_escapes_titles(console: Console) -> None:
    await shop_day(console)
    await console.paid_order(2004, {"evil": 1})
    owner = await console.client("owner")
    status, html = await owner.page("/console/?days=30")
    assert status == 200
    assert html.count('data-testid="chart-bar"') == 30
    assert 'data-testid="kpi-revenue" data-amount="7000"' in html  # + 500 and its shipping
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert 'data-testid="funnel-step" data-step="paid" data-count="3"' in html
    assert 'aria-current="true">30 days' in html


async def test_the_staff_members_language(console: Console) -> None:
    identity = TelegramIdentity(OWNER_ID, "Olga", None, None, "zh")
    await console.services.users.seen(identity)
    owner = await console.client("owner")
    status, html = await owner.page("/console/")
    assert status == 200 and '<html lang="zh">' in html
    assert "仪表板" in html
    status, body = await owner.call("GET", "/console/api/dashboard?days=9")
    assert status == 400 and body["message"] == "请选择今天、7 天或 30 天。"


async def test_revenue_hidden_from_managers_when_the_owner_says_so(console: Console) -> None:
    await shop_day(console)
    await console.services.staff.set_managers_see_revenue(OWNER_ID, False)
    manager = await console.client("manager")
    status, d = await manager.call("GET", "/console/api/dashboard?days=7")
    assert status == 200
    assert d["revenue_visible"] is False and "revenue" not in d and d["notice"]
    assert d["low_stock"]["total"] == 3
    status, html = await manager.page("/console/?days=7")
    assert status == 200 and 'data-testid="revenue-hidden"' in html
    assert 'data-testid="kpi-revenue"' not in html and "$60.00" not in html
    owner = await console.client("owner")
    _, d = await owner.call("GET", "/console/api/dashboard?days=7")
    assert d["revenue"]["amount"] == 2 * ORDER


async def test_bad_periods_are_refused_clearly(console: Console) -> None:
    owner = await console.client("owner")
    for days in ("0", "5", "-7", "abc", "7.0", "9" * 40):
        status, body = await owner.call("GET", f"/console/api/dashboard?days={days}")
        assert status == 400 and body["error"] == "invalid", days
        assert body["message"] == "Choose today, 7 days or 30 days."
    status, html = await owner.page("/console/?days=abc")
    assert status == 400 and "Choose today, 7 days or 30 days." in html


async def test_the_recommenders_own_evaluation(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    quality = RecsQuality(
        Blend("knn", discovery=1.0, popular=0.05, scorer="knn"),
        Validation(users=40, hit_rate=0.35, bestsellers=0.14),
        datetime.now(UTC),
    )
    monkeypatch.setattr(console.services.recs, "quality", lambda: quality)
    owner = await console.client("owner")
    _, d = await owner.call("GET", "/console/api/dashboard?days=7")
    assert d["recs"]["judged_customers"] == 40 and d["recs"]["lift"] == pytest.approx(2.5)
    assert d["recs"]["blend"] == "bought by the same people (item-kNN) + bestsellers"
    _, html = await owner.page("/console/")
    assert "35.0%" in html and "2.50×" in html and "14.0%" in html
