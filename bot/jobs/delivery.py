"""Adapters between the delivery engine (domain/delivery.py) and the Bot API via aiogram."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import suppress
from typing import Any, cast

import aiohttp
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramBadRequest

from bot.i18n import PoI18n
from domain.campaigns.delivery import (
    Blocked,
    Delivery,
    DeliveryConfig,
    DeliveryEngine,
    DeliveryStore,
    Failed,
    RateLimiter,
    RetryLater,
    SendOutcome,
    Sent,
)
from domain.campaigns.service import CampaignDraft, CampaignService
from domain.users.service import UserService
from handlers.campaigns.render import progress_keyboard, promo_keyboard, report_text

log = logging.getLogger(__name__)


class AiogramSender:
    """Sends one promotion and turns Telegram's answer into a domain outcome.

    The lean path: a promotion's body is the same for every recipient of a campaign and
    language except `chat_id`, so it is serialised once and posted through the bot's own
    aiohttp session; the answer is read as plain JSON (message_id, or error_code with
    retry_after). Profiling showed aiogram's per-call method model, form encoding, generic
    `Response[Message]` and full `Message` validation costing more than the database work.
    """

    def __init__(self, bot: Bot, campaigns: CampaignService, i18n: PoI18n) -> None:
        self.bot = bot
        self.campaigns = campaigns
        self.i18n = i18n
        self._drafts: dict[int, CampaignDraft] = {}  # a campaign's content never changes
        self._bodies: dict[tuple[int, str], tuple[str, str]] = {}  # -> (method, json tail)

    async def _draft(self, campaign_id: int) -> CampaignDraft:
        draft = self._drafts.get(campaign_id)
        if draft is None:
            draft = (await self.campaigns.get(campaign_id)).draft
            self._drafts[campaign_id] = draft
        return draft

    async def _body(self, delivery: Delivery) -> tuple[str, str]:
        key = (delivery.campaign_id, delivery.locale)
        body = self._bodies.get(key)
        if body is None:
            draft = await self._draft(delivery.campaign_id)
            with self.i18n.context(), self.i18n.use_locale(delivery.locale):
                markup = promo_keyboard(delivery.campaign_id, draft.button)
            fields: dict[str, object] = {
                "reply_markup": markup.model_dump(mode="json", exclude_none=True)
            }
            default = self.bot.default
            if default.parse_mode:
                fields["parse_mode"] = getattr(default.parse_mode, "value", default.parse_mode)
            if draft.photo_file_id:
                method = "sendPhoto"
                fields.update(photo=draft.photo_file_id, caption=draft.text)
            else:
                method = "sendMessage"
                fields["text"] = draft.text
                if default.link_preview_is_disabled:
                    fields["link_preview_options"] = {"is_disabled": True}
            body = (method, json.dumps(fields, ensure_ascii=False)[1:])  # without the "{"
            self._bodies[key] = body
        return body

    async def send(self, delivery: Delivery) -> SendOutcome:
        method, tail = await self._body(delivery)
        # bot/wiring.build_bot gives every bot an AiohttpSession; Bot only declares BaseSession.
        session = cast(AiohttpSession, self.bot.session)
        http = await session.create_session()
        url = session.api.api_url(token=self.bot.token, method=method)
        data = f'{{"chat_id":{int(delivery.chat_id)},{tail}'.encode()
        try:
            async with http.post(
                url, data=data, headers=_JSON, timeout=aiohttp.ClientTimeout(session.timeout)
            ) as resp:
                answer = json.loads(await resp.read())
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            return Failed(f"{type(exc).__name__}: {exc}", retryable=True)
        return outcome_of(answer)


_JSON = {"Content-Type": "application/json"}


def outcome_of(answer: dict[str, Any]) -> SendOutcome:
    """Telegram's JSON answer as a domain outcome (the same mapping as aiogram's errors)."""
    if answer.get("ok"):
        return Sent(int(answer["result"]["message_id"]))
    code = int(answer.get("error_code") or 0)
    description = str(answer.get("description") or "")
    retry_after = (answer.get("parameters") or {}).get("retry_after")
    if code == 429 or retry_after is not None:
        return RetryLater(float(retry_after or 1))
    if code == 403:
        return Blocked(description)
    if code == 400 and "migrate" not in description.lower():
        return Failed(description, retryable=False)  # the request itself is wrong
    return Failed(description or f"HTTP {code}", retryable=True)


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
        self._idle_limiter = RateLimiter(config.rate_per_sec)  # while the engine is stopped

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

    async def wait_turn(self) -> None:
        """One slot of the engine's own rate, for bulk messages sent by jobs (cart reminders):
        one rate for all bulk sending, so campaigns and jobs together stay under the limit."""
        limiter = self.engine.limiter if self.engine is not None else self._idle_limiter
        slot = limiter.reserve(time.monotonic())
        await asyncio.sleep(max(0.0, slot - time.monotonic()))

    async def stop(self) -> None:
        if self.engine is not None:
            await self.engine.stop()
        if self._task is not None:
            with suppress(asyncio.CancelledError, asyncio.TimeoutError, Exception):
                await asyncio.wait_for(self._task, timeout=10)
        self.engine = None
        self._task = None
