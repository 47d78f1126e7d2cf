"""The checklist comes back by itself: after an owner's update was handled (creating a
category with the existing flow, paying the test order...), if their checklist is open and a
step became done, the checklist is sent again with that step ticked.

An inner middleware on the Dispatcher's messages and buttons (bot/wiring.py): it runs only
when a handler took the update, and only does work for owners whose checklist is open.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject
from aiogram.types import User as TgUser
from aiogram.utils.i18n import gettext as _

from domain.shop.service import ShopSettingsService
from domain.staff.service import StaffService
from handlers.onboarding.checklist import STEP_TITLES, checklist_keyboard, checklist_text

log = logging.getLogger(__name__)


class ChecklistReturn(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        who: TgUser | None = data.get("event_from_user")
        staff: StaffService | None = data.get("staff")
        state: FSMContext | None = data.get("state")
        if who is None or staff is None or state is None:
            return result
        if await staff.role_of(who.id) != "owner":
            return result
        try:
            await self.come_back(data, who, state)
        except TelegramAPIError as exc:
            log.warning("setup checklist not sent to %s: %s", who.id, exc)
        return result

    async def come_back(self, data: dict[str, Any], who: TgUser, state: FSMContext) -> None:
        if await state.get_state() is not None:
            return  # in the middle of a dialog: it comes back when that ends
        shop_settings: ShopSettingsService = data["shop_settings"]
        found = await shop_settings.newly_done(who.id)
        if found is None or not found[1]:
            return  # not open, or nothing new
        checklist, newly = found
        await shop_settings.shown(who.id, checklist)
        bot: Bot = data["bot"]
        done = ", ".join(_(STEP_TITLES[s]) for s in newly)
        text = _("✅ Done: {steps}").format(steps=done) + "\n\n"
        text += checklist_text(checklist, await shop_settings.name())
        await bot.send_message(who.id, text, reply_markup=checklist_keyboard(checklist))
