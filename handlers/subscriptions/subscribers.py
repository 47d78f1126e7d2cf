"""/subscribers (staff): how many subscriptions are live (and cancelled), the Stars they brought
in the last 30 days, and who holds one, whether it renews, until when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from domain.subscriptions.service import SubscriptionService
from domain.users.service import User
from handlers.admin.security import staff_router
from handlers.common import esc, fit
from handlers.subscriptions.texts import day

router = staff_router(__name__)


@router.message(Command("subscribers"))
async def subscribers(message: Message, user: User, subscriptions: SubscriptionService) -> None:
    now = datetime.now(UTC)
    found = await subscriptions.subscribers(now)
    if not found:
        await message.answer(_("⭐ No active subscriptions."))
        return
    totals = await subscriptions.summary(now, now - timedelta(days=30), now)
    lines = [
        _("⭐ <b>Subscribers</b> ({count})").format(count=totals.active),
        _(
            "Not renewing: {canceled}. Last 30 days: {charges} payments, {stars} ⭐ "
            "(refunds left out)."
        ).format(canceled=totals.canceled, charges=totals.charges, stars=totals.stars),
        "",
    ]
    for s in found:
        sub = s.subscription
        state = (_("cancelled, ends {day}") if sub.canceled else _("renews {day}")).format(
            day=day(sub.expires_at)
        )
        lines.append(
            f"#{sub.id} · {esc(s.name)} (id {s.telegram_id}) · "
            f"{esc(s.plan.title.get(user.locale))} · {state}"
        )
    await message.answer(fit("\n".join(lines)))
