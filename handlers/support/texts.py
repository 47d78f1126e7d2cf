"""What staff see of a conversation: who writes, about what, their recent orders."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from domain.catalog.service import CatalogService
from domain.kernel.errors import NotFound
from domain.orders.service import Order
from domain.support.types import About, Conversation, Status
from handlers.common import esc, fit
from handlers.keyboard import InlineKeyboard
from handlers.orders.texts import order_summary
from handlers.support.callbacks import SupportCb


def who_line(c: Conversation) -> str:
    s = c.shopper
    parts = [f"<b>{esc(s.name or '?')}</b>"]
    if s.username:
        parts.append(f"@{esc(s.username)}")
    parts.append(esc(s.language or "?"))
    parts.append(f"id <code>{s.telegram_id}</code>")
    return " · ".join(parts)


async def about_line(about: About, catalog: CatalogService, locale: str) -> str | None:
    if about.kind == "order":
        return _("About: order #{id}").format(id=about.id)
    if about.kind == "product":
        try:
            title = (await catalog.product(about.id)).title.get(locale)
        except NotFound:
            title = "?"
        return _("About: product #{id} “{title}”").format(id=about.id, title=esc(title))
    return None


def header_text(c: Conversation, about: str | None, orders: list[Order], locale: str) -> str:
    lines = [_("💬 <b>Support #{id}</b>").format(id=c.id), who_line(c)]
    if about:
        lines.append(about)
    lines.append("")
    if orders:
        lines.append(_("Recent orders:"))
        lines += [order_summary(o, locale) for o in orders]
    else:
        lines.append(_("No orders yet."))
    lines += ["", _("Reply to the messages below to answer.")]
    return fit("\n".join(lines))


def header_keyboard(c: Conversation, blocked: bool, reply: bool) -> InlineKeyboardMarkup:
    """Block / Unblock, and in a staff member's private chat a Reply button (in the forum
    topic staff simply write in the topic)."""
    kb = InlineKeyboard()
    if reply:
        kb.button(text=_("💬 Reply"), callback_data=SupportCb(a="w", id=c.id))
    if blocked:
        kb.button(text=_("✅ Unblock"), callback_data=SupportCb(a="u", id=c.id))
    else:
        kb.button(text=_("🚫 Block"), callback_data=SupportCb(a="b", id=c.id))
    return kb.as_markup()


def ago(moment: datetime, now: datetime | None = None) -> str:
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    if seconds < 3600:
        return _("{n} min ago").format(n=seconds // 60)
    if seconds < 86400:
        return _("{n} h ago").format(n=seconds // 3600)
    return _("{n} d ago").format(n=seconds // 86400)


def listing_text(status: Status, items: list[Conversation], counts: dict[Status, int]) -> str:
    lines = [
        _("💬 <b>Support</b> — open: {open}, answered: {answered}").format(
            open=counts[Status.OPEN], answered=counts[Status.ANSWERED]
        ),
        "",
    ]
    if status is Status.OPEN:
        lines.append(_("<b>Waiting for an answer</b>"))
    else:
        lines.append(_("<b>Answered</b>"))
    if not items:
        lines.append(_("Nothing here."))
    for c in items:
        line = f"#{c.id} {who_line(c)} · {ago(c.last_at)}"
        if c.about.kind == "order":
            line += " · " + _("order #{id}").format(id=c.about.id)
        elif c.about.kind == "product":
            line += " · " + _("product #{id}").format(id=c.about.id)
        lines.append(line)
    return fit("\n".join(lines))


def listing_keyboard(status: Status, items: list[Conversation]) -> InlineKeyboardMarkup:
    kb = InlineKeyboard()
    for c in items[:10]:
        label = _("✍️ Write to #{id} {name}").format(id=c.id, name=c.shopper.name)
        kb.button(text=fit(label, 60), callback_data=SupportCb(a="w", id=c.id))
    other = Status.ANSWERED if status is Status.OPEN else Status.OPEN
    other_label = _("✅ Answered") if other is Status.ANSWERED else _("📥 Open")
    kb.button(text=other_label, callback_data=SupportCb(a="l", k=other.value))
    kb.adjust(1)
    return kb.as_markup()


def wait_text(seconds: float) -> str:
    """A waiting time for people: minutes under an hour, else hours and minutes."""
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("{n} min").format(n=minutes)
    return _("{h} h {m} min").format(h=minutes // 60, m=minutes % 60)


def support_line(answers: int, median_wait: float | None) -> str:
    """The reports' support figure: answers given and the median time shoppers waited."""
    if not answers or median_wait is None:
        return _("Support: no answers in this period")
    return _("Support: {n} answered, median wait {wait}").format(
        n=answers, wait=wait_text(median_wait)
    )
