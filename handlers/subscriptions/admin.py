"""Owners' subscription commands: `/subplan <product> <stars> tier <Tier>`,
`/subplan <product> <stars> link <https://t.me/+invite>` or `/subplan <product> <stars> channel
<chat id>` (a private channel the bot administers: one invite per member, removed when it ends)
sells a product as a 30-day Stars membership; `/subrefund <subscription>` gives back its last
payment and ends it at once."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from domain.catalog.service import CatalogService
from domain.kernel.text import whole_number
from domain.subscriptions.service import SubscriptionService
from domain.users.service import User, UserService
from handlers.admin.security import staff_router
from handlers.common import esc
from handlers.subscriptions.texts import REFUNDED, BotChannel, BotStars, plan_line, tell

router = staff_router(__name__, "owner")
MAX_ID = 2**31 - 1


def _id(text: str) -> int | None:
    number = whole_number(text)
    return number if number is not None and 0 < number <= MAX_ID else None


async def _reachable(bot: Bot, chat: str) -> bool:
    """Whether the bot is in the chat `chat` names (a malformed id is left to the domain's
    check, which explains the format)."""
    if not chat.startswith("-") or not chat[1:].isdigit():
        return True
    try:
        await bot.get_chat(int(chat))
    except (TelegramBadRequest, TelegramForbiddenError):
        return False
    return True


@router.message(Command("subplan"))
async def save_plan(
    message: Message,
    command: CommandObject,
    bot: Bot,
    user: User,
    catalog: CatalogService,
    subscriptions: SubscriptionService,
) -> None:
    parts = (command.args or "").split(maxsplit=3)
    product_id = _id(parts[0]) if parts else None
    price = whole_number(parts[1]) if len(parts) > 1 else None
    if product_id is None or price is None or len(parts) < 4:
        await message.answer(
            esc(
                _(
                    "Usage: /subplan <product number> <Stars a month> tier <tier name>\n"
                    "or: /subplan <product number> <Stars a month> link <invite link>\n"
                    "or: /subplan <product number> <Stars a month> channel <channel chat id>"
                )
            )
        )
        return
    detail = await catalog.detail(product_id)  # ProductNotFound: rendered by the error router
    if parts[2].lower() == "channel" and not await _reachable(bot, parts[3].strip()):
        await message.answer(
            _(
                "I can't reach that channel. Add the bot to it as an admin allowed to invite "
                "and ban users, then send /subplan again."
            )
        )
        return
    plan = await subscriptions.save_plan(
        message.chat.id, product_id, detail.product.title, price, parts[2].lower(), parts[3]
    )
    await message.answer(
        _("⭐ Subscription plan #{id} saved: {line}").format(
            id=plan.id, line=plan_line(plan, user.locale)
        )
    )


@router.message(Command("subrefund"))
async def refund(
    message: Message,
    command: CommandObject,
    bot: Bot,
    users: UserService,
    subscriptions: SubscriptionService,
    i18n_core: I18n,
) -> None:
    subscription_id = _id((command.args or "").strip())
    if subscription_id is None:
        await message.answer(esc(_("Usage: /subrefund <subscription number>")))
        return
    sub, plan, stars = await subscriptions.refund(
        message.chat.id, subscription_id, datetime.now(UTC), BotStars(bot)
    )
    await subscriptions.end_benefit(sub, plan, BotChannel(bot))  # out of the channel
    await tell(bot, users, i18n_core, sub.user_id, REFUNDED, plan, stars=stars)
    await message.answer(
        _("Subscription #{id} refunded ({stars} ⭐) and ended.").format(id=sub.id, stars=stars)
    )
