"""The dashboard: `/console/?days=1|7|30` (the page) and `/console/api/dashboard?days=`
(the same figures as JSON). Figures come from domain/reports/dashboard.py; money is written
with domain/kernel/money.py in the staff member's language."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from domain.kernel.i18n import N_
from domain.kernel.money import money
from domain.recommend.scorers import Blend
from domain.reports.dashboard import Dashboard, DashboardService, parse_days
from domain.reports.service import RevenueHidden
from web.console.access import StaffMember, staff
from web.console.charts import bar_chart, share_width
from web.console.keys import I18N, SERVICES
from web.console.render import json_ok, render
from web.render import error_text, translator

routes = web.RouteTableDef()

FUNNEL_LABELS = {
    "views": N_("Product views"),
    "carts": N_("Added to cart"),
    "checkouts": N_("Checkouts"),
    "paid": N_("Paid orders"),
}
SCORER_LABELS = {
    "knn": N_("bought by the same people (item-kNN)"),
    "ease": N_("shoppers' whole baskets (EASE)"),
    "content": N_("similar descriptions"),
    "similar": N_("similar goods"),
}


async def build(request: web.Request, member: StaffMember) -> Dashboard:
    services = request.config_dict[SERVICES]
    dashboards = DashboardService(
        services.reports, services.stock, services.recs.quality, services.shop.currency
    )
    days = parse_days(request.query.get("days"))
    return await dashboards.build(member.telegram_id, days, member.locale)


def blend_label(blend: Blend, _: Any) -> str:
    """The served blend in the merchant's words (as the chat's /recs screen says it)."""
    parts = []
    if blend.repeat > 0:
        parts.append(_("buy again"))
    if blend.discovery > 0:
        parts.append(_(SCORER_LABELS[blend.scorer]) if blend.scorer in SCORER_LABELS else "")
    if blend.popular > 0 and (
        not parts or blend.popular >= 0.05 * max(blend.repeat, blend.discovery)
    ):
        parts.append(_("bestsellers"))
    return " + ".join(p for p in parts if p)


def figures(request: web.Request, board: Dashboard, locale: str) -> dict[str, Any]:
    """The dashboard as plain data: amounts in minor units and as text."""
    _ = translator(request.config_dict[I18N], locale)
    currency = board.currency

    def cash(amount: int, code: str = currency) -> dict[str, Any]:
        return {"amount": amount, "currency": code, "text": money(amount, code, locale)}

    report = board.report
    data: dict[str, Any] = {
        "days": board.days,
        "period": {"first": board.period.first.isoformat(), "last": board.period.last.isoformat()},
        "currency": currency,
        "revenue_visible": board.revenue_visible,
        "notice": None,
        "low_stock": {
            "total": board.low_stock_total,
            "rows": [
                {
                    "product_id": row.product_id,
                    "variant_id": row.variant_id,
                    "sku": row.sku,
                    "title": row.title_zh if locale == "zh" and row.title_zh else row.title,
                    "available": row.available,
                    "on_hand": row.on_hand,
                    "threshold": row.threshold,
                }
                for row in board.low_stock
            ],
        },
        "recs": None,
    }
    if report is None:
        data["notice"] = error_text(request.config_dict[I18N], locale, RevenueHidden())
    else:
        previous = board.previous
        data.update(
            revenue={
                **cash(board.revenue),
                "previous": cash(board.previous_revenue),
                "change": board.change(board.revenue, board.previous_revenue),
            },
            other_revenue=[cash(a, c) for c, a in board.other_revenue.items()],
            orders={
                "count": report.orders,
                "previous": previous.orders if previous else 0,
                "change": board.change(report.orders, previous.orders if previous else 0),
            },
            paid_orders={
                "count": report.paid_orders,
                "previous": previous.paid_orders if previous else 0,
                "change": board.change(
                    report.paid_orders, previous.paid_orders if previous else 0
                ),
            },
            average_basket=cash(board.average_basket),
            units=report.units,
            funnel=[
                {"step": step, "label": _(FUNNEL_LABELS[step]), "count": n, "rate": r}
                for step, n, r in board.funnel.steps
            ],
            conversion=board.funnel.conversion,
            series=[
                {
                    "start": b.start.isoformat(),
                    "revenue": b.revenue,
                    "text": money(b.revenue, currency, locale),
                    "paid_orders": b.paid_orders,
                }
                for b in board.series
            ],
            hourly=board.hourly,
            top_goods=[{"title": t, "units": n} for t, n in report.top_goods],
        )
    quality = board.recs
    if quality is not None:
        v = quality.validation
        data["recs"] = {
            "blend": blend_label(quality.blend, _),
            "judged_customers": v.users,
            "hit_rate": v.hit_rate if v.users else None,
            "bestsellers": v.bestsellers if v.users else None,
            "lift": v.lift if v.users else None,
            "built_at": quality.built_at.isoformat(),
        }
    return data


@routes.get("/")
async def dashboard(request: web.Request) -> web.Response:
    member = staff(request)
    board = await build(request, member)
    data = figures(request, board, member.locale)
    chart = None
    if board.report is not None:
        points = [
            (
                f"{b.start:%H}" if board.hourly else f"{b.start:%m-%d}",
                b.revenue,
                f"{b.start:%H:00 %m-%d}: " if board.hourly else f"{b.start:%Y-%m-%d}: ",
            )
            for b in board.series
        ]
        points = [
            (label, value, head + money(value, board.currency, member.locale))
            for (label, value, head) in points
        ]
        chart = bar_chart(points, label_every={1: 3, 7: 1, 30: 5}[board.days])
    steps = data.get("funnel", [])
    top = max((s["count"] for s in steps), default=0)
    return render(
        request,
        "console/dashboard.html",
        d=data,
        chart=chart,
        funnel=[{**s, "width": share_width(s["count"], top)} for s in steps],
        periods=[(1, N_("Today")), (7, N_("7 days")), (30, N_("30 days"))],
    )


@routes.get("/api/dashboard")
async def dashboard_api(request: web.Request) -> web.Response:
    member = staff(request)
    return json_ok(figures(request, await build(request, member), member.locale))
