"""Owners only: staff (add/remove managers, revenue visibility) and the audit log."""

from __future__ import annotations

import json

from aiogram import F
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
)
from aiogram.utils.i18n import gettext as _

from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.staff.audit import AuditPage, AuditService
from domain.staff.service import HiddenForward, StaffService, StaffTarget, parse_staff_target
from handlers.admin.callbacks import AdminCb, StaffCb
from handlers.admin.security import NOT_COMMAND, staff_router
from handlers.admin.states import StaffForm
from handlers.common import esc, fit, show
from handlers.keyboard import InlineKeyboard

router = staff_router(__name__, min_role="owner")


async def staff_view(staff: StaffService) -> tuple[str, InlineKeyboardMarkup]:
    members = await staff.staff()
    lines = [_("👥 <b>Staff</b>")]
    kb = InlineKeyboard()
    for m in members:
        who = esc(m.name or "?") + (f" @{esc(m.username)}" if m.username else "")
        role = _("owner") if m.role == "owner" else _("manager")
        lines.append(f"• {who} (<code>{m.telegram_id}</code>) — {role}")
        if m.role == "manager":
            kb.button(
                text=_("➖ Remove {name}").format(name=(m.name or str(m.telegram_id))[:30]),
                callback_data=StaffCb(act="remove", tg=m.telegram_id),
            )
    see = await staff.managers_see_revenue()
    lines += [
        "",
        _("Managers see revenue reports: {state}").format(state=_("yes") if see else _("no")),
    ]
    kb.button(text=_("➕ Add manager"), callback_data=StaffCb(act="add"))
    kb.button(
        text=_("🙈 Hide revenue from managers") if see else _("👁 Show revenue to managers"),
        callback_data=StaffCb(act="revenue", tg=0 if see else 1),
    )
    kb.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    kb.adjust(1)
    return "\n".join(lines), kb.as_markup()


@router.message(Command("staff"))
async def staff_command(message: Message, state: FSMContext, staff: StaffService) -> None:
    await state.clear()
    await show(message, *await staff_view(staff))


@router.callback_query(AdminCb.filter(F.to == "staff"))
@router.callback_query(StaffCb.filter(F.act == "list"))
async def staff_section(query: CallbackQuery, state: FSMContext, staff: StaffService) -> None:
    await state.clear()
    await show(query, *await staff_view(staff))


@router.callback_query(StaffCb.filter(F.act == "add"))
async def add_button(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(StaffForm.person)
    kb = InlineKeyboard()
    kb.button(text=_("✖️ Cancel"), callback_data=StaffCb(act="list"))
    await show(
        query,
        _(
            "Forward me a message from the person, or send their Telegram id or "
            "@username (they must have opened this bot for a @username)."
        ),
        kb.as_markup(),
    )


def target_of(message: Message) -> StaffTarget:
    origin = message.forward_origin
    if isinstance(origin, MessageOriginUser):
        return StaffTarget(telegram_id=origin.sender_user.id)
    if isinstance(origin, MessageOriginHiddenUser):
        raise HiddenForward()
    if origin is not None:
        raise ValidationError(N_("That message was forwarded from a chat, not a person."))
    return parse_staff_target(message.text or "")


@router.message(StaffForm.person, NOT_COMMAND)
async def got_person(message: Message, state: FSMContext, staff: StaffService) -> None:
    assert message.from_user is not None
    person, added = await staff.add_manager(message.from_user.id, target_of(message))
    await state.clear()
    name = esc(person.name or str(person.telegram_id))
    note = (
        _("✅ {name} is a manager now.") if added else _("{name} was a manager already.")
    ).format(name=name)
    text, markup = await staff_view(staff)
    await message.answer(note + "\n\n" + text, reply_markup=markup)


@router.callback_query(StaffCb.filter(F.act == "remove"))
async def remove_ask(query: CallbackQuery, callback_data: StaffCb) -> None:
    kb = InlineKeyboard()
    kb.button(text=_("➖ Yes, remove"), callback_data=StaffCb(act="rmok", tg=callback_data.tg))
    kb.button(text=_("✖️ Cancel"), callback_data=StaffCb(act="list"))
    await show(
        query,
        _("Remove manager {id}? They lose access at once.").format(id=callback_data.tg),
        kb.as_markup(),
    )


@router.callback_query(StaffCb.filter(F.act == "rmok"))
async def remove(query: CallbackQuery, callback_data: StaffCb, staff: StaffService) -> None:
    removed = await staff.remove_manager(query.from_user.id, callback_data.tg)
    notice = _("Removed.") if removed else _("They weren't a manager.")
    await show(query, *await staff_view(staff), notice=notice)


@router.callback_query(StaffCb.filter(F.act == "revenue"))
async def revenue(query: CallbackQuery, callback_data: StaffCb, staff: StaffService) -> None:
    await staff.set_managers_see_revenue(query.from_user.id, bool(callback_data.tg))
    await show(query, *await staff_view(staff), notice=_("Saved."))


def audit_view(page: AuditPage) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        _("📜 <b>Audit log</b> (page {page}/{pages})").format(page=page.page, pages=page.pages)
    ]
    if not page.items:
        lines.append(_("Nothing yet."))
    for e in page.items:
        when = e.created_at.strftime("%Y-%m-%d %H:%M") if e.created_at else ""
        details = json.dumps(e.details, ensure_ascii=False)[:150] if e.details else ""
        lines.append(
            f"<code>{when}</code> {e.actor} <b>{esc(e.action)}</b> {esc(e.target)} "
            f"{esc(details)}".rstrip()
        )
    kb = InlineKeyboard()
    if page.page > 1:
        kb.button(text="⬅️", callback_data=StaffCb(act="audit", page=page.page - 1))
    if page.page < page.pages:
        kb.button(text="➡️", callback_data=StaffCb(act="audit", page=page.page + 1))
    kb.button(text=_("⬅️ Admin menu"), callback_data=AdminCb(to="home"))
    return fit("\n".join(lines)), kb.as_markup()


@router.message(Command("audit"))
async def audit_command(message: Message, state: FSMContext, audit: AuditService) -> None:
    await state.clear()
    await show(message, *audit_view(await audit.page(1)))


@router.callback_query(AdminCb.filter(F.to == "audit"))
@router.callback_query(StaffCb.filter(F.act == "audit"))
async def audit_section(
    query: CallbackQuery, audit: AuditService, callback_data: StaffCb | AdminCb
) -> None:
    page = callback_data.page if isinstance(callback_data, StaffCb) else 1
    await show(query, *audit_view(await audit.page(page)))
