"""/report and the Reports section: today, 7 days, 30 days or two dates; a readable message,
a PNG chart and a CSV of the rows behind it. Staff barred from revenue get a refusal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from aiogram import F
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.kernel.money import money
from domain.kernel.shop import ShopProfile
from domain.recommend import RecommendationService
from domain.reports.service import (
    Period,
    Preset,
    Report,
    ReportService,
    parse_day,
    period_between,
    preset_period,
)
from handlers.admin.callbacks import AdminCb
from handlers.admin.report_files import chart_labels, chart_png, rows_csv
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.common import esc, fit, show
from handlers.fallback import STALE_BUTTON
from handlers.keyboard import InlineKeyboard
from handlers.recommend.shelves import quality_lines
from handlers.support.texts import support_line

router = staff_router(__name__)


class ReportCb(CallbackData, prefix="adrp"):
    p: str  # today, 7d, 30d, custom


class ReportForm(StatesGroup):
    first = State()
    last = State()


def report_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("Today"), callback_data=ReportCb(p="today"))
    kb.button(text=_("7 days"), callback_data=ReportCb(p="7d"))
    kb.button(text=_("30 days"), callback_data=ReportCb(p="30d"))
    kb.button(text=_("📅 Custom range"), callback_data=ReportCb(p="custom"))
    kb.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    kb.adjust(3, 1, 1)
    return kb.as_markup()


def _amounts(values: dict[str, int], locale: str, currency: str) -> str:
    """Each currency's amount; nothing at all is still an amount in the shop's currency."""
    return ", ".join(money(v, c, locale) for c, v in values.items()) or money(0, currency, locale)


def report_text(r: Report, locale: str, currency: str = "USD") -> str:
    p = r.period
    span = p.first.isoformat() if p.first == p.last else f"{p.first} → {p.last}"
    aov = {c: r.average(c) for c in r.revenue}
    lines = [
        _("📊 <b>Report {span}</b>").format(span=span),
        "",
        _("Revenue: {amount}").format(amount=_amounts(r.revenue, locale, currency)),
        _("Orders placed: {n}").format(n=r.orders),
        _("Paid orders: {n}").format(n=r.paid_orders),
        _("Average order value: {amount}").format(amount=_amounts(aov, locale, currency)),
        _("Units sold: {n}").format(n=r.units),
        _("Refunds: {count} ({amount})").format(
            count=r.refund_count, amount=_amounts(r.refunds, locale, currency)
        ),
        _("Customers: {new} new, {returning} returning").format(
            new=r.new_customers, returning=r.returning_customers
        ),
        support_line(r.support_answers, r.support_median_wait),
        "",
        _(
            "<b>Funnel</b>: {views} product views → {carts} added to cart → {checkouts} "
            "checkouts → {paid} paid"
        ).format(views=r.views, carts=r.cart_adds, checkouts=r.orders, paid=r.paid_orders),
    ]
    if r.top_goods:
        lines += ["", _("<b>Top goods</b> (units)")]
        lines += [f"{n}. {esc(t)} — {q}" for n, (t, q) in enumerate(r.top_goods, 1)]
    if r.top_categories:
        lines += ["", _("<b>Top categories</b> (units)")]
        lines += [f"{n}. {esc(t)} — {q}" for n, (t, q) in enumerate(r.top_categories, 1)]
    return fit("\n".join(lines))


async def send_report(
    message: Message,
    reports: ReportService,
    actor: int,
    period: Period,
    locale: str,
    recs: RecommendationService | None = None,
    currency: str = "USD",
) -> None:
    report = await reports.build(actor, period, locale)
    text = report_text(report, locale, currency)
    if recs is not None:  # what recommendations are worth (handlers/recommend/shelves.py)
        text = fit(
            "\n".join([text, "", _("<b>Recommendations</b>"), *quality_lines(recs.quality())])
        )
    await message.answer(text, reply_markup=report_menu())
    png = await asyncio.to_thread(chart_png, report, chart_labels())
    name = f"report-{period.first}-{period.last}"
    await message.answer_photo(
        BufferedInputFile(png, f"{name}.png"), caption=_("Revenue and orders by day")
    )
    await message.answer_document(
        BufferedInputFile(rows_csv(report), f"{name}.csv"), caption=_("Paid orders of the period")
    )


@router.message(Command("report"))
async def report_command(message: Message, state: FSMContext, reports: ReportService) -> None:
    await state.clear()
    assert message.from_user is not None
    await reports.ensure_allowed(message.from_user.id)
    await message.answer(_("📊 <b>Reports</b>: which period?"), reply_markup=report_menu())


@router.callback_query(AdminCb.filter(F.to == "reports"))
async def reports_section(query: CallbackQuery, state: FSMContext, reports: ReportService) -> None:
    await state.clear()
    await reports.ensure_allowed(query.from_user.id)
    await show(query, _("📊 <b>Reports</b>: which period?"), report_menu())


@router.callback_query(ReportCb.filter())
async def report_period(
    query: CallbackQuery,
    callback_data: ReportCb,
    state: FSMContext,
    reports: ReportService,
    locale: str,
    recs: RecommendationService,
    shop: ShopProfile,
) -> None:
    await reports.ensure_allowed(query.from_user.id)
    if callback_data.p == "custom":
        await state.set_state(ReportForm.first)
        await show(query, _("Send the first day, like 2025-06-01."))
        return
    if callback_data.p not in ("today", "7d", "30d") or not isinstance(query.message, Message):
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    presets: dict[str, Preset] = {"today": "today", "7d": "7d", "30d": "30d"}
    period = preset_period(presets[callback_data.p], datetime.now(UTC), reports.timezone)
    await query.answer(_("Preparing the report…"))
    await send_report(
        query.message, reports, query.from_user.id, period, locale, recs, shop.currency
    )


@router.message(ReportForm.first, F.text, NOT_COMMAND)
async def got_first_day(message: Message, state: FSMContext) -> None:
    await state.update_data(first=parse_day(message.text or "").isoformat())
    await state.set_state(ReportForm.last)
    await message.answer(_("And the last day (included)?"))


@router.message(ReportForm.last, F.text, NOT_COMMAND)
async def got_last_day(
    message: Message,
    state: FSMContext,
    reports: ReportService,
    locale: str,
    recs: RecommendationService,
    shop: ShopProfile,
) -> None:
    assert message.from_user is not None
    first = parse_day(str((await state.get_data())["first"]))
    period = period_between(first, parse_day(message.text or ""), reports.timezone)
    await state.clear()
    await send_report(message, reports, message.from_user.id, period, locale, recs, shop.currency)


@router.message(ReportForm.first, NOT_COMMAND)
@router.message(ReportForm.last, NOT_COMMAND)
async def day_not_text(message: Message) -> None:
    await message.answer(_("Please send this as text."))
