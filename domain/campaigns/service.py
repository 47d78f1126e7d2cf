"""Promotion campaigns: compose, choose an audience, schedule or send, pause, cancel, report.

The database is the truth: a campaign's state changes only through `TRANSITIONS`, applied by a
conditional update (from one of the allowed states), so an admin pressing "cancel" on one
replica and the delivery engine finishing on another can't both win.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from domain.campaigns.audiences import AudienceSpec, audience_spec
from domain.kernel.errors import DomainError, NotFound, ValidationError
from domain.kernel.i18n import N_

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_SCHEDULE_AHEAD = timedelta(days=90)
_COUPON_RE = re.compile(r"^[A-Z0-9_-]{3,32}$")
_TAG_RE = re.compile(r"<[^>]*>")


class CampaignState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


S = CampaignState
# action -> (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[CampaignState], CampaignState]] = {
    "schedule": (frozenset({S.DRAFT, S.SCHEDULED}), S.SCHEDULED),
    "start": (frozenset({S.DRAFT, S.SCHEDULED}), S.RUNNING),
    "pause": (frozenset({S.RUNNING}), S.PAUSED),
    "resume": (frozenset({S.PAUSED}), S.RUNNING),
    "cancel": (frozenset({S.DRAFT, S.SCHEDULED, S.RUNNING, S.PAUSED}), S.CANCELLED),
    "finish": (frozenset({S.RUNNING}), S.DONE),
}


class InvalidTransition(DomainError):
    message = N_("That can't be done: the campaign is {state} now.")


def next_state(state: CampaignState, action: str) -> CampaignState:
    """The state `action` leads to from `state`; InvalidTransition when it isn't allowed."""
    allowed, target = TRANSITIONS[action]
    if state not in allowed:
        raise InvalidTransition(state=STATE_LABELS[state])
    return target


STATE_LABELS = {
    S.DRAFT: N_("draft"),
    S.SCHEDULED: N_("scheduled"),
    S.RUNNING: N_("sending"),
    S.PAUSED: N_("paused"),
    S.DONE: N_("finished"),
    S.CANCELLED: N_("cancelled"),
}


@dataclass(frozen=True, slots=True)
class CampaignButton:
    kind: str  # "product" (value: product id) or "coupon" (value: the code)
    value: str


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    text: str  # Telegram HTML
    audience: AudienceSpec
    photo_file_id: str | None = None
    button: CampaignButton | None = None


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    created_by: int  # Telegram id of the admin who composed it
    draft: CampaignDraft
    state: CampaignState
    created_at: datetime
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    progress_chat_id: int | None = None
    progress_message_id: int | None = None


@dataclass(frozen=True, slots=True)
class ProgressMessage:
    """The message in an admin's chat that the delivery engine keeps up to date."""

    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    unknown: int = 0  # interrupted mid-send by a crash: at most one message went out
    skipped: int = 0  # opted out or blocked before their turn came
    clicks: int = 0

    @property
    def total(self) -> int:
        return (
            self.pending
            + self.sending
            + self.sent
            + self.failed
            + self.blocked
            + self.unknown
            + self.skipped
        )

    @property
    def processed(self) -> int:
        return self.total - self.pending - self.sending


@dataclass(frozen=True, slots=True)
class CampaignReport:
    campaign: Campaign
    counts: DeliveryCounts
    extra: dict[str, int] = field(default_factory=dict)


# ---- validation -------------------------------------------------------------------------------


def visible_length(html_text: str) -> int:
    """Roughly what Telegram counts after parsing: tags dropped, entities decoded, UTF-16."""
    plain = html.unescape(_TAG_RE.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def validate_text(text: str, with_photo: bool) -> str:
    text = (text or "").replace("\x00", "").strip()  # NUL: invisible, and PostgreSQL refuses it
    if not text:
        raise ValidationError(N_("The message can't be empty."))
    limit = MAX_CAPTION if with_photo else MAX_TEXT
    if visible_length(text) > limit:
        raise ValidationError(
            N_("That's too long: at most {limit} characters (with a photo, 1024)."), limit=limit
        )
    return text


def product_button(raw: str) -> CampaignButton:
    text = raw.strip().removeprefix("#")
    if not text.isascii() or not text.isdigit() or not 1 <= len(text) <= 18 or int(text) < 1:
        raise ValidationError(N_("A product id is a positive number, e.g. 42."))
    return CampaignButton("product", str(int(text)))


def coupon_button(raw: str) -> CampaignButton:
    code = raw.strip().upper()
    if not _COUPON_RE.fullmatch(code):
        raise ValidationError(N_("A coupon code is 3-32 letters, digits, _ or -, e.g. SPRING10."))
    return CampaignButton("coupon", code)


def parse_send_time(raw: str, timezone: str, now: datetime) -> datetime:
    """Read "YYYY-MM-DD HH:MM" or "HH:MM" in the shop's time zone; returns an aware UTC time.

    "HH:MM" means the next such time (today, else tomorrow). Times that don't exist locally
    (the hour skipped when clocks go forward) are refused rather than silently shifted.
    """
    tz = ZoneInfo(timezone)
    text = " ".join((raw or "").split())
    local_now = now.astimezone(tz)
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}", text):
            clock = datetime.strptime(text, "%H:%M").time()
            naive = datetime.combine(local_now.date(), clock)
            if naive.replace(tzinfo=tz) <= local_now:
                naive += timedelta(days=1)
        else:
            naive = datetime.strptime(text, "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValidationError(
            N_("Send the time as YYYY-MM-DD HH:MM or HH:MM, e.g. 2030-05-01 18:30.")
        ) from None
    local = naive.replace(tzinfo=tz)
    utc = local.astimezone(ZoneInfo("UTC"))
    if utc.astimezone(tz).replace(tzinfo=None) != naive:
        raise ValidationError(N_("That time doesn't exist in {tz} (clocks change)."), tz=timezone)
    if utc <= now:
        raise ValidationError(N_("That time has already passed."))
    if utc - now > MAX_SCHEDULE_AHEAD:
        raise ValidationError(N_("Schedule at most 90 days ahead."))
    return utc


# ---- service ----------------------------------------------------------------------------------


class CampaignRepository(Protocol):
    async def create(self, created_by: int, draft: CampaignDraft) -> Campaign: ...

    async def get(self, campaign_id: int) -> Campaign | None: ...

    async def recent(self, limit: int, offset: int = 0) -> list[Campaign]:
        """Newest first."""
        ...

    async def count(self) -> int: ...

    async def transition(
        self,
        campaign_id: int,
        from_states: frozenset[CampaignState],
        to_state: CampaignState,
        scheduled_at: datetime | None = None,
    ) -> bool:
        """Conditional update; True when the campaign was in one of `from_states`."""
        ...

    async def start(
        self,
        campaign_id: int,
        from_states: frozenset[CampaignState],
        progress: ProgressMessage | None = None,
    ) -> bool:
        """Atomically move to running and snapshot the audience into delivery rows.

        `progress`, when given, is recorded in the same write: the engine must never see the
        campaign running without it, or it would start a second progress message.
        """
        ...

    async def audience_size(self, spec: AudienceSpec) -> int: ...

    async def counts(self, campaign_id: int) -> DeliveryCounts: ...

    async def due(self, now: datetime) -> list[int]:
        """Ids of scheduled campaigns whose time has come."""
        ...

    async def record_click(self, campaign_id: int, user_id: int) -> bool | None:
        """Remember the recipient's first click; None when they weren't a recipient."""
        ...

    async def set_progress_message(
        self, campaign_id: int, chat_id: int, message_id: int
    ) -> None: ...


class CampaignService:
    """Admin-facing campaign rules over a CampaignRepository."""

    def __init__(self, repo: CampaignRepository) -> None:
        self.repo = repo

    async def create(self, created_by: int, draft: CampaignDraft) -> Campaign:
        text = validate_text(draft.text, draft.photo_file_id is not None)
        audience = audience_spec(draft.audience.kind, draft.audience.value)
        clean = CampaignDraft(text, audience, draft.photo_file_id, draft.button)
        return await self.repo.create(created_by, clean)

    async def get(self, campaign_id: int) -> Campaign:
        campaign = await self.repo.get(campaign_id)
        if campaign is None:
            raise NotFound(N_("That campaign doesn't exist."))
        return campaign

    async def recent(self, limit: int = 10) -> list[Campaign]:
        return await self.repo.recent(limit)

    async def page(self, page: int = 1, size: int = 20) -> tuple[list[Campaign], int, int]:
        """(campaigns newest first, the page shown, the number of pages); a page number out
        of range lands on the nearest real page."""
        size = min(max(1, size), 100)
        pages = max(1, -(-await self.repo.count() // size))
        page = min(max(1, page), pages)
        return await self.repo.recent(size, (page - 1) * size), page, pages

    async def audience_size(self, spec: AudienceSpec) -> int:
        return await self.repo.audience_size(spec)

    async def _apply(self, campaign_id: int, action: str, **fields: datetime) -> Campaign:
        campaign = await self.get(campaign_id)
        allowed, target = TRANSITIONS[action]
        next_state(campaign.state, action)  # raises with a readable message
        if not await self.repo.transition(campaign_id, allowed, target, **fields):
            latest = await self.get(campaign_id)  # changed under us: explain the new state
            next_state(latest.state, action)
        return await self.get(campaign_id)

    async def schedule(self, campaign_id: int, raw_time: str, tz: str, now: datetime) -> Campaign:
        when = parse_send_time(raw_time, tz, now)
        return await self._apply(campaign_id, "schedule", scheduled_at=when)

    async def schedule_at(self, campaign_id: int, when: datetime, now: datetime) -> Campaign:
        """Schedule for an exact (future, aware) time, e.g. from another feature or the demo."""
        if when <= now:
            raise ValidationError(N_("That time has already passed."))
        if when - now > MAX_SCHEDULE_AHEAD:
            raise ValidationError(N_("Schedule at most 90 days ahead."))
        return await self._apply(campaign_id, "schedule", scheduled_at=when)

    async def send_now(
        self, campaign_id: int, progress: ProgressMessage | None = None
    ) -> Campaign:
        """Start sending; `progress` is the message to show it in (else the engine sends one)."""
        campaign = await self.get(campaign_id)
        allowed, _ = TRANSITIONS["start"]
        next_state(campaign.state, "start")
        if not await self.repo.start(campaign_id, allowed, progress):
            next_state((await self.get(campaign_id)).state, "start")
        return await self.get(campaign_id)

    async def start_due(self, now: datetime) -> list[int]:
        """Start every scheduled campaign whose time has come (called by the scheduler)."""
        started = []
        for campaign_id in await self.repo.due(now):
            if await self.repo.start(campaign_id, frozenset({S.SCHEDULED})):
                started.append(campaign_id)
        return started

    async def pause(self, campaign_id: int) -> Campaign:
        return await self._apply(campaign_id, "pause")

    async def resume(self, campaign_id: int) -> Campaign:
        return await self._apply(campaign_id, "resume")

    async def cancel(self, campaign_id: int) -> Campaign:
        return await self._apply(campaign_id, "cancel")

    async def report(self, campaign_id: int) -> CampaignReport:
        campaign = await self.get(campaign_id)
        return CampaignReport(campaign, await self.repo.counts(campaign_id))

    async def follow_progress(self, campaign_id: int, chat_id: int, message_id: int) -> None:
        """Remember which message shows this campaign's progress (edited by the engine)."""
        await self.repo.set_progress_message(campaign_id, chat_id, message_id)

    async def click(self, campaign_id: int, user_id: int) -> CampaignButton:
        """A recipient pressed the campaign's button: count it once and return what it offers."""
        campaign = await self.repo.get(campaign_id)
        if campaign is None or campaign.draft.button is None:
            raise NotFound(N_("This offer is no longer available."))
        if await self.repo.record_click(campaign_id, user_id) is None:
            raise NotFound(N_("This offer is no longer available."))
        return campaign.draft.button
