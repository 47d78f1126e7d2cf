"""Adapters between the delivery engine (domain/delivery.py) and the Bot API via aiogram."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.i18n import PoI18n
from domain.campaigns import CampaignDraft, CampaignService
from domain.delivery import (
    Blocked,
    Delivery,
    DeliveryConfig,
    DeliveryEngine,
    DeliveryStore,
    Failed,
    RetryLater,
    SendOutcome,
    Sent,
)
from domain.users import UserService
from handlers.campaigns.render import progress_keyboard, report_text, send_promotion

log = logging.getLogger(__name__)


class AiogramSender:
    """Sends one promotion and turns Telegram's answer into a domain outcome."""

    def __init__(self, bot: Bot, campaigns: CampaignService, i18n: PoI18n) -> None:
        self.bot = bot
        self.campaigns = campaigns
        self.i18n = i18n
        self._drafts: dict[int, CampaignDraft] = {}  # a campaign's content never changes

    async def _draft(self, campaign_id: int) -> CampaignDraft:
        draft = self._drafts.get(campaign_id)
        if draft is None:
            draft = (await self.campaigns.get(campaign_id)).draft
            self._drafts[campaign_id] = draft
        return draft

    async def send(self, delivery: Delivery) -> SendOutcome:
        draft = await self._draft(delivery.campaign_id)
        try:
            with self.i18n.context(), self.i18n.use_locale(delivery.locale):
                message = await send_promotion(
                    self.bot, delivery.chat_id, delivery.campaign_id, draft
                )
        except TelegramRetryAfter as exc:
            return RetryLater(float(exc.retry_after))
        except TelegramForbiddenError as exc:
            return Blocked(exc.message)
        except TelegramBadRequest as exc:  # the request itself is wrong: retrying won't help
            return Failed(exc.message, retryable=False)
        except (TelegramServerError, TelegramNetworkError) as exc:
            return Failed(str(exc), retryable=True)
        except TelegramAPIError as exc:
            return Failed(str(exc), retryable=True)
        return Sent(message.message_id)


class UserBlockList:
    def __init__(self, users: UserService) -> None:
        self.users = users

    async def mark_blocked(self, user_id: int) -> None:
        await self.users.mark_blocked(user_id, True)


class ProgressMessages:
    """Keeps one message per campaign in the admin's chat up to date (bar + counts)."""

    def __init__(self, bot: Bot, campaigns: CampaignService, i18n: PoI18n) -> None:
        self.bot = bot
        self.campaigns = campaigns
        self.i18n = i18n
        self._shown: dict[int, str] = {}

    async def report(self, campaign_id: int) -> None:
        try:
            await self._report(campaign_id)
        except Exception:  # progress is cosmetic: it must never stop the sending
            log.exception("progress message of campaign %s failed", campaign_id)

    async def _report(self, campaign_id: int) -> None:
        result = await self.campaigns.report(campaign_id)
        campaign = result.campaign
        with self.i18n.context(), self.i18n.use_locale(self.i18n.default_locale):
            text = report_text(campaign, result.counts)
            markup = progress_keyboard(campaign)
        if self._shown.get(campaign_id) == text:
            return
        if campaign.progress_message_id is None or campaign.progress_chat_id is None:
            sent = await self.bot.send_message(campaign.created_by, text, reply_markup=markup)
            await self.campaigns.follow_progress(campaign_id, sent.chat.id, sent.message_id)
        else:
            try:
                await self.bot.edit_message_text(
                    text=text,
                    chat_id=campaign.progress_chat_id,
                    message_id=campaign.progress_message_id,
                    reply_markup=markup,
                )
            except TelegramBadRequest as exc:
                if "message is not modified" not in exc.message:
                    raise
        self._shown[campaign_id] = text


class DeliveryEngineService:
    """Runs the delivery engine while this process is the scheduler leader."""

    def __init__(
        self,
        bot: Bot,
        campaigns: CampaignService,
        users: UserService,
        store: DeliveryStore,
        i18n: PoI18n,
        config: DeliveryConfig,
    ) -> None:
        self.bot = bot
        self.campaigns = campaigns
        self.users = users
        self.store = store
        self.i18n = i18n
        self.config = config
        self.engine: DeliveryEngine | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.engine = DeliveryEngine(
            self.store,
            AiogramSender(self.bot, self.campaigns, self.i18n),
            UserBlockList(self.users),
            ProgressMessages(self.bot, self.campaigns, self.i18n),
            self.config,
        )
        self._task = asyncio.create_task(self.engine.run(), name="delivery-engine")

    def wake(self) -> None:
        if self.engine is not None:
            self.engine.wake()

    async def stop(self) -> None:
        if self.engine is not None:
            await self.engine.stop()
        if self._task is not None:
            with suppress(asyncio.CancelledError, asyncio.TimeoutError, Exception):
                await asyncio.wait_for(self._task, timeout=10)
        self.engine = None
        self._task = None
