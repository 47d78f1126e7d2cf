"""The files sent with a report: a PNG chart (revenue and orders by day) and a CSV of the paid
orders behind the figures. Rendering is CPU work: callers run it with asyncio.to_thread."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from aiogram.utils.i18n import gettext as _

from domain.kernel.i18n import N_
from domain.orders.pricing import exponent
from domain.reports.service import Report

# The chart's texts, translated by the caller into the reader's language.
REVENUE, PLACED, PAID = N_("Revenue by day"), N_("Orders placed"), N_("Paid orders")

# Fonts tried in order for every glyph: a CJK font first (Debian's fonts-wqy-microhei or
# fonts-noto-cjk; matplotlib's own DejaVu Sans has no Chinese), DejaVu Sans for the rest.
CJK_FONTS = ["WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", "DejaVu Sans"]


@dataclass(frozen=True, slots=True)
class ChartLabels:
    revenue: str = REVENUE
    placed: str = PLACED
    paid: str = PAID


def chart_labels() -> ChartLabels:
    """The chart's texts in the reader's language (the locale of the update being handled)."""
    return ChartLabels(_(REVENUE), _(PLACED), _(PAID))


def chart_png(report: Report, labels_text: ChartLabels | None = None) -> bytes:
    """Revenue per currency (top) and orders placed / paid (bottom), one point per day,
    labelled with `labels_text` (the reader's language)."""
    import matplotlib

    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": CJK_FONTS}):
        return _draw(report, labels_text or ChartLabels())


def _draw(report: Report, text: ChartLabels) -> bytes:
    # Imported here, not at start-up: matplotlib costs half a second and ~30 MiB that a bot
    # which never draws a report shouldn't pay. The object API (Figure + the Agg canvas), not
    # pyplot: no global figure registry, no GUI toolkit, safe to use from worker threads.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [d.day.strftime("%m-%d") for d in report.daily]
    positions = list(range(len(labels)))
    figure = Figure(figsize=(8, 5), dpi=100)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    currencies = sorted({c for d in report.daily for c in d.revenue}) or ["USD"]
    for currency in currencies:
        scale = 10 ** exponent(currency)
        top.plot(
            positions,
            [d.revenue.get(currency, 0) / scale for d in report.daily],
            marker="o",
            label=currency,
        )
    top.set_title(text.revenue)
    top.legend(loc="upper left")
    top.grid(alpha=0.3)
    bottom.bar(
        [p - 0.2 for p in positions],
        [d.orders for d in report.daily],
        width=0.4,
        label=text.placed,
    )
    bottom.bar(
        [p + 0.2 for p in positions],
        [d.paid_orders for d in report.daily],
        width=0.4,
        label=text.paid,
    )
    bottom.legend(loc="upper left")
    bottom.grid(alpha=0.3, axis="y")
    step = max(1, len(labels) // 10)
    bottom.set_xticks(positions[::step], labels[::step], rotation=45)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def rows_csv(report: Report) -> bytes:
    """One row per paid order of the period (UTF-8 with BOM so spreadsheets read Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "order_id",
            "paid_at_utc",
            "buyer_user_id",
            "currency",
            "amount",
            "amount_minor",
            "status_now",
        ]
    )
    for row in report.rows:
        digits = exponent(row.currency)
        amount = f"{row.amount / 10**digits:.{digits}f}"
        writer.writerow(
            [
                row.order_id,
                row.paid_at.isoformat(),
                row.user_id,
                row.currency,
                amount,
                row.amount,
                row.status,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")
