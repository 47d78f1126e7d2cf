"""/console: a staff member asks for the web console and gets a one-time sign-in link
(`{WEB__PUBLIC_URL}/console/login?t=<token>`, good once and for 5 minutes), plus a button
that opens the console as a Mini App inside Telegram. Under the staff gate: a shopper's
/console falls through to the unknown-command answer, as every staff command does."""

from __future__ import annotations

from typing import Protocol

from aiogram.filters import Command
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, WebAppInfo
from aiogram.utils.i18n import gettext as _

from handlers.admin.security import staff_router

router = staff_router(__name__)


class SignInLinks(Protocol):
    """What this command needs of the console's session store (web/console/sessions.py)."""

    link_ttl: int

    async def issue_link(self, telegram_id: int) -> str: ...


def console_keyboard(console_url: str, link: str) -> InlineKeyboardMarkup:
    """A button opening the console inside Telegram (a Mini App), and the link as a button
    when it is https (Telegram takes no URL button to a plain-http address)."""
    rows = [
        [
            InlineKeyboardButton(
                text=_("📱 Open the console in Telegram"),
                web_app=WebAppInfo(url=f"{console_url}tma"),
            )
        ]
    ]
    if link.startswith("https://"):
        rows.insert(0, [InlineKeyboardButton(text=_("🖥 Sign in in a browser"), url=link)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("console"))
async def console_command(
    message: Message, console_sessions: SignInLinks, console_url: str
) -> None:
    assert message.from_user is not None
    if not console_url:
        await message.answer(
            _(
                "The web console is off: it is served with the Mini App, so set "
                "WEB__PUBLIC_URL (an https address of this bot's web server) and restart."
            )
        )
        return
    token = await console_sessions.issue_link(message.from_user.id)
    link = f"{console_url}login?t={token}"
    minutes = max(1, console_sessions.link_ttl // 60)
    await message.answer(
        _(
            "🖥 <b>Web console</b>\n\nOpen this link in a browser to sign in. It works once, "
            "for {minutes} minutes; don't share it:\n\n{link}"
        ).format(minutes=minutes, link=link),
        reply_markup=console_keyboard(console_url, link),
    )
