"""/admin → Loyalty (owners): the referral report and manual points adjustments with a
reason (each one a ledger row naming the owner)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import F
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from domain.loyalty.service import LoyaltyService
from handlers.admin.callbacks import AdminCb
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.common import esc, fit, show
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__, "owner")


class LoyaltyAdminCb(CallbackData, prefix="adly"):
    act: str  # adj


class AdjustForm(StatesGroup):
    line = State()


def _keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    kb.button(text=_("✏️ Adjust points"), callback_data=LoyaltyAdminCb(act="adj"))
    kb.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    kb.adjust(1)
    return kb.as_markup()


async def _report_text(loyalty: LoyaltyService) -> str:
    report = await loyalty.referral_report()
    lines = [
        _("⭐ <b>Loyalty</b>"),
        "",
        _("<b>Referrals</b>"),
        _("Joined through an invitation: {count}").format(count=report.invited),
        _("Rewarded (first order completed): {count}").format(count=report.rewarded),
        _("Referral points given: {points}").format(points=report.points_given),
    ]
    if report.top:
        lines += ["", _("<b>Top inviters</b>")]
        lines += [
            _("• {name}: {invited} invited, {rewarded} rewarded").format(
                name=esc(line.name), invited=line.invited, rewarded=line.rewarded
            )
            for line in report.top
        ]
    return fit("\n".join(lines))


@router.callback_query(AdminCb.filter(F.to == "loyalty"))
async def loyalty_section(
    query: CallbackQuery, state: FSMContext, loyalty: LoyaltyService
) -> None:
    await state.clear()
    await show(query, await _report_text(loyalty), _keyboard())


@router.callback_query(LoyaltyAdminCb.filter(F.act == "adj"))
async def ask_adjustment(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(AdjustForm.line)
    kb = InlineKeyboard()
    kb.button(text=_("✖️ Cancel"), callback_data=AdminCb(to="loyalty"))
    await show(
        query,
        _(
            "Send one line: <code>&lt;telegram id&gt; &lt;+/-points&gt; "
            "&lt;reason&gt;</code>\ne.g. <code>1234567 +200 late delivery</code>"
        ),
        kb.as_markup(),
    )


@router.message(AdjustForm.line, F.text, NOT_COMMAND)
async def adjustment_typed(message: Message, state: FSMContext, loyalty: LoyaltyService) -> None:
    assert message.text is not None and message.from_user is not None
    entry = await loyalty.adjust(message.text, message.from_user.id, datetime.now(UTC))
    await state.clear()
    balance = await loyalty.balance(entry.user_id)
    text = _("Done: {points} points ({reason}). Their balance is now {balance}.").format(
        points=f"{entry.points:+d}", reason=esc(entry.reason), balance=balance
    )
    await message.answer(text, reply_markup=_keyboard())
