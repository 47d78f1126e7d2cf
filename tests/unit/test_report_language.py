"""A report speaks the reader's language: amounts always with their currency (a period with no
refunds too), and the chart's titles and legends translated and drawn with a font that has
their glyphs (Chinese in matplotlib's own DejaVu Sans would be empty boxes)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import RendererAgg

from bot.i18n import PoI18n, build_i18n
from bot.jobs.shop import sales_report_text
from domain.reports.daily import SalesReport
from domain.reports.service import DayRow, Period, Report
from handlers.admin.report_files import chart_labels, chart_png
from handlers.admin.reports import report_text

OUT = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture(scope="module")
def i18n() -> PoI18n:
    return build_i18n("en")


@contextmanager
def in_locale(i18n: PoI18n, locale: str) -> Iterator[None]:
    """Run the code inside as a handler does for a reader of `locale`."""
    with i18n.context(), i18n.use_locale(locale):
        yield


def week(revenue: int = 0, refunds: dict[str, int] | None = None, count: int = 0) -> Report:
    first = date(2026, 11, 30)
    period = Period(
        first,
        first + timedelta(days=6),
        datetime(2026, 11, 30, tzinfo=UTC),
        datetime(2026, 12, 7, tzinfo=UTC),
    )
    daily = [
        DayRow(day, n % 3, n % 2, {"USD": revenue * n} if revenue else {})
        for n, day in enumerate(period.days)
    ]
    return Report(period, refunds=refunds or {}, refund_count=count, daily=daily)


@pytest.mark.parametrize(
    ("locale", "currency", "expected"),
    [
        ("en", "USD", "Refunds: 0 ($0.00)"),
        ("en", "EUR", "Refunds: 0 (€0.00)"),
        ("zh", "USD", "退款：0 笔（US$0.00）"),
        ("zh", "CNY", "退款：0 笔（¥0.00）"),
    ],
)
def test_no_refunds_still_show_an_amount_in_the_shops_currency(
    i18n: PoI18n, locale: str, currency: str, expected: str
) -> None:
    with in_locale(i18n, locale):
        text = report_text(week(), locale, currency)
    assert expected in text.splitlines(), text


def test_refunds_in_another_currency_are_shown_in_it(i18n: PoI18n) -> None:
    with in_locale(i18n, "en"):
        text = report_text(week(refunds={"EUR": 1250}, count=1), "en", "USD")
    assert "Refunds: 1 (€12.50)" in text.splitlines(), text


@pytest.mark.parametrize(("locale", "expected"), [("en", "Revenue: €0.00"), ("zh", "收入：€0.00")])
def test_a_day_without_sales_still_shows_revenue_in_the_shops_currency(
    i18n: PoI18n, locale: str, expected: str
) -> None:
    with in_locale(i18n, locale):
        text = sales_report_text(SalesReport(date(2026, 12, 5), 0), locale, "EUR")
    assert expected in text.splitlines(), text


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Every text the chart draws, with the font file matplotlib picks for it at that moment."""
    seen: list[tuple[str, str]] = []
    original = RendererAgg.draw_text

    def draw_text(self: RendererAgg, gc: Any, x: float, y: float, s: str, prop: Any, *a: Any,
                  **kw: Any) -> Any:  # fmt: skip
        seen.append((s, font_manager.findfont(prop, fallback_to_default=False)))
        return original(self, gc, x, y, s, prop, *a, **kw)

    monkeypatch.setattr(RendererAgg, "draw_text", draw_text)
    yield seen


def test_a_chinese_chart_is_labelled_in_chinese_with_a_cjk_font(
    i18n: PoI18n, drawn: list[tuple[str, str]]
) -> None:
    with in_locale(i18n, "zh"):
        labels = chart_labels()
    assert (labels.revenue, labels.placed, labels.paid) == ("每日收入", "已下订单", "已付款订单")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = chart_png(week(revenue=1999), labels)
    assert png.startswith(b"\x89PNG")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    fonts = {text: font for text, font in drawn}
    for label in ("每日收入", "已下订单", "已付款订单"):
        assert label in fonts, sorted(fonts)
        has_glyphs = font_manager.get_font(fonts[label]).get_charmap()
        assert all(ord(ch) in has_glyphs for ch in label), (label, fonts[label])
    assert "Revenue by day" not in fonts
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report-chart-zh.png").write_bytes(png)  # looked at: Chinese titles, no boxes


def test_an_english_chart_keeps_english_labels(i18n: PoI18n, drawn: list[tuple[str, str]]) -> None:
    with in_locale(i18n, "en"):
        chart_png(week(revenue=1999), chart_labels())
    texts = {text for text, _ in drawn}
    assert {"Revenue by day", "Orders placed", "Paid orders"} <= texts
