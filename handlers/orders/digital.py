"""Sending a digital order's units to its buyer: codes as text, files as documents, photos as
photos.

Used right after the payment (handlers/orders/payments.py; again when Telegram delivers the
same successful_payment after a crash, which then sends only what hadn't gone out) and from
/orders ("Show my codes"). No router of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.utils.i18n import gettext as _

from domain.digital.service import DigitalService
from domain.digital.units import DigitalUnit, PayloadKind
from domain.orders.service import Order
from handlers.common import esc
from handlers.keyboard import InlineKeyboard
from handlers.orders.texts import OrdersCb

log = logging.getLogger(__name__)
MESSAGE_LIMIT = 3800  # Telegram allows 4096 characters; room for the heading


def _heading(order: Order, again: bool) -> str:
    if again:
        return _("🔑 <b>Order #{id}</b>: what you bought").format(id=order.id)
    return _("✅ Payment received for order #{id}. Here is what you bought:").format(id=order.id)


def _title(order: Order, unit: DigitalUnit, locale: str) -> str:
    line = next((ln for ln in order.lines if ln.product_id == unit.product_id), None)
    return esc(line.title.get(locale)) if line is not None else ""


def code_messages(
    order: Order, units: Sequence[DigitalUnit], locale: str, again: bool
) -> list[tuple[str, list[DigitalUnit]]]:
    """The text units as messages of at most MESSAGE_LIMIT characters, each with its units."""
    messages: list[tuple[str, list[DigitalUnit]]] = []
    text, batch = _heading(order, again), list[DigitalUnit]()
    for unit in (u for u in units if u.kind is PayloadKind.TEXT):
        entry = f"\n\n{_title(order, unit, locale)}\n<code>{esc(unit.payload)}</code>"
        if batch and len(text) + len(entry) > MESSAGE_LIMIT:
            messages.append((text, batch))
            text, batch = _heading(order, again), list[DigitalUnit]()
        text += entry
        batch.append(unit)
    if batch:
        messages.append((text, batch))
    return messages


async def send_units(
    bot: Bot,
    chat_id: int,
    order: Order,
    units: Sequence[DigitalUnit],
    locale: str,
    digital: DigitalService | None = None,
    again: bool = False,
) -> None:
    """Send `units`; with `digital`, each message's units are marked sent as soon as that
    message has gone out (so a crash later resends only the rest)."""
    kb = InlineKeyboard()
    kb.button(text=_("🧾 View order"), callback_data=OrdersCb(a="v", id=order.id))
    for text, batch in code_messages(order, units, locale, again):
        await bot.send_message(chat_id, text, reply_markup=kb.as_markup())
        if digital is not None:
            await digital.sent(batch, datetime.now(UTC))
    files = [u for u in units if u.kind.is_file]
    if files and not any(u.kind is PayloadKind.TEXT for u in units):
        await bot.send_message(chat_id, _heading(order, again), reply_markup=kb.as_markup())
    for unit in files:
        caption = _title(order, unit, locale)
        if unit.kind is PayloadKind.PHOTO:  # a photo's file_id only works in sendPhoto
            await bot.send_photo(chat_id, unit.payload, caption=caption)
        else:
            await bot.send_document(chat_id, unit.payload, caption=caption)
        if digital is not None:
            await digital.sent([unit], datetime.now(UTC))


async def deliver(
    bot: Bot, chat_id: int, order: Order, locale: str, digital: DigitalService
) -> None:
    """Send what the order's payment took and its buyer hasn't received yet (exactly the
    units not marked sent)."""
    try:
        async with digital.sending(order):  # the same payment handled twice at once: once
            units = await digital.to_send(order)
            if units:
                await send_units(bot, chat_id, order, units, locale, digital)
    except (TelegramForbiddenError, TelegramBadRequest) as exc:
        # Kept in the order: the buyer sees them from /orders once they can be reached.
        log.warning("could not send order %s's units to %s: %s", order.id, chat_id, exc)
