"""The support line's buttons; `contact_button` is what other screens add."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from handlers.common import DbId


class SupportCb(CallbackData, prefix="sup"):
    """o=open a conversation (k: "product"/"order"/"", id), x=done, b/u=block/unblock the
    conversation's shopper (staff), l=list (k: status), w=write to a conversation (staff)."""

    a: str
    k: str = ""
    id: DbId = 0


def contact_button(kind: str = "", about_id: int = 0) -> InlineKeyboardButton:
    """ "Contact the shop", about a product or an order (or nothing in particular)."""
    data = SupportCb(a="o", k=kind, id=about_id).pack()
    return InlineKeyboardButton(text=_("💬 Contact the shop"), callback_data=data)


def with_contact(
    markup: InlineKeyboardMarkup, kind: str = "", about_id: int = 0
) -> InlineKeyboardMarkup:
    """`markup` with a last row "Contact the shop" (about a product or an order)."""
    row = [contact_button(kind, about_id)]
    return InlineKeyboardMarkup(inline_keyboard=[*markup.inline_keyboard, row])
