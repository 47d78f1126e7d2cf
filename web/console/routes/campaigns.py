"""Console pages: campaigns — compose with a live preview, audience size, schedule, the list,
and a campaign's page with its live delivery progress and pause / resume / cancel.

Everything goes through `CampaignService` (the chat's /campaign uses the same object and
rules); the delivery engine (bot/jobs/delivery.py) reads the campaign's state from the
database, so a pause pressed here stops the sending within a fraction of a second.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile
from aiohttp import web
from aiohttp.web_request import FileField

from domain.campaigns.audiences import AUDIENCES, AudienceSpec, audience_spec
from domain.campaigns.compose import CampaignForm, FormErrors, check_form, launch
from domain.campaigns.markup import preview_html
from domain.campaigns.service import (
    MAX_CAPTION,
    MAX_TEXT,
    STATE_LABELS,
    CampaignButton,
    CampaignReport,
    CampaignService,
    CampaignState,
    visible_length,
)
from domain.kernel.errors import DomainError, NotFound, ValidationError
from domain.kernel.i18n import N_
from domain.kernel.text import whole_number
from web.console.access import staff
from web.console.keys import BOT, I18N, SERVICES
from web.console.render import MOUNT, gettext, json_ok, locale_of, render
from web.render import Translate, error_text, translator

routes = web.RouteTableDef()

PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
MAX_PHOTO = 5 * 1024 * 1024
MAX_FIELD = 8192
S = CampaignState
# what each control needs the campaign to be in, so the page offers only what can work
CONTROLS: dict[str, frozenset[CampaignState]] = {
    "send": frozenset({S.DRAFT, S.SCHEDULED}),
    "schedule": frozenset({S.DRAFT, S.SCHEDULED}),
    "pause": frozenset({S.RUNNING}),
    "resume": frozenset({S.PAUSED}),
    "cancel": frozenset({S.DRAFT, S.SCHEDULED, S.RUNNING, S.PAUSED}),
}


def _campaigns(request: web.Request) -> CampaignService:
    return request.config_dict[SERVICES].campaigns


def _tr(request: web.Request) -> Translate:
    return translator(request.config_dict[I18N], locale_of(request))


def _timezone(request: web.Request) -> str:
    return request.config_dict[SERVICES].shop.timezone


def _campaign_id(request: web.Request) -> int:
    number = whole_number(request.match_info.get("id", ""))
    if number is None or not 0 < number < 2**31:
        raise NotFound(N_("That campaign doesn't exist."))
    return number


def audience_label(_: Translate, spec: AudienceSpec) -> str:
    kind = AUDIENCES.get(spec.kind)
    if kind is None:
        return spec.kind
    value = spec.value.upper() if spec.kind == "language" else spec.value
    return _(kind.label, value=value) if "{value}" in kind.label else _(kind.label)


def button_label(_: Translate, button: CampaignButton | None) -> str:
    """The button's label as shoppers see it (the chat's own msgids)."""
    if button is None:
        return ""
    return _("🛍 View the product") if button.kind == "product" else _("🎁 Get the coupon")


def local_time(when: datetime | None, timezone: str) -> str:
    return when.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M") if when else ""


def progress(request: web.Request, report: CampaignReport) -> dict[str, Any]:
    """What the campaign page's progress bar and counters show (polled while it runs)."""
    campaign, counts = report.campaign, report.counts
    _ = _tr(request)
    percent = 100 if counts.total == 0 else counts.processed * 100 // counts.total
    if campaign.state in (S.DRAFT, S.SCHEDULED):
        percent = 0
    return {
        "id": campaign.id,
        "state": campaign.state.value,
        "state_label": _(STATE_LABELS[campaign.state]),
        "percent": percent,
        "total": counts.total,
        "processed": counts.processed,
        "sent": counts.sent,
        "failed": counts.failed,
        "blocked": counts.blocked,
        "clicks": counts.clicks,
        "skipped": counts.skipped,
        "unknown": counts.unknown,
        "waiting": counts.pending + counts.sending,
        "scheduled_at": local_time(campaign.scheduled_at, _timezone(request))
        if campaign.state == S.SCHEDULED
        else "",
        "controls": sorted(k for k, states in CONTROLS.items() if campaign.state in states),
        "live": campaign.state in (S.RUNNING, S.SCHEDULED),
    }


def audience_choices(_: Translate) -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "label": _(kind.label).replace("{value}", "…"),
            "prompt": _(kind.prompt) if kind.prompt else "",
            "needs_value": kind.needs_value,
        }
        for key, kind in AUDIENCES.items()
    ]


# ---- pages ------------------------------------------------------------------------------------


@routes.get("/campaigns")
async def campaigns_page(request: web.Request) -> web.Response:
    number = whole_number(request.query.get("page", "1")) or 1
    items, page, pages = await _campaigns(request).page(min(number, 10**6))
    _ = _tr(request)
    rows = [
        {
            "campaign": c,
            "state_label": _(STATE_LABELS[c.state]),
            "audience": audience_label(_, c.draft.audience),
            "created": local_time(c.created_at, _timezone(request)),
            "scheduled": local_time(c.scheduled_at, _timezone(request))
            if c.state == S.SCHEDULED
            else "",
        }
        for c in items
    ]
    return render(request, "console/campaigns/list.html", rows=rows, page=page, pages=pages)


@routes.get("/campaigns/new")
async def compose_page(request: web.Request) -> web.Response:
    _ = _tr(request)
    tz = _timezone(request)
    now_local = datetime.now(UTC).astimezone(ZoneInfo(tz))
    return render(
        request,
        "console/campaigns/compose.html",
        audiences=audience_choices(_),
        timezone=tz,
        now_local=now_local.strftime("%Y-%m-%dT%H:%M"),
        max_text=MAX_TEXT,
        max_caption=MAX_CAPTION,
    )


@routes.get(r"/campaigns/{id:\d+}")
async def campaign_page(request: web.Request) -> web.Response:
    report = await _campaigns(request).report(_campaign_id(request))
    campaign = report.campaign
    _ = _tr(request)
    size = None
    if campaign.state in (S.DRAFT, S.SCHEDULED):
        size = await _campaigns(request).audience_size(campaign.draft.audience)
    return render(
        request,
        "console/campaigns/campaign.html",
        campaign=campaign,
        preview=preview_html(campaign.draft.text),
        button=button_label(_, campaign.draft.button),
        button_value=campaign.draft.button.value if campaign.draft.button else "",
        audience=audience_label(_, campaign.draft.audience),
        audience_size=size,
        progress=progress(request, report),
        timezone=_timezone(request),
        created=local_time(campaign.created_at, _timezone(request)),
    )


@routes.get(r"/campaigns/{id:\d+}/photo")
async def campaign_photo(request: web.Request) -> web.Response:
    """The campaign's photo (a Telegram file id), fetched through the Bot API."""
    campaign = await _campaigns(request).get(_campaign_id(request))
    if campaign.draft.photo_file_id is None:
        raise NotFound(N_("That campaign doesn't exist."))
    bot = request.config_dict[BOT]
    file = await bot.get_file(campaign.draft.photo_file_id)
    if file.file_path is None:
        raise NotFound(N_("That campaign doesn't exist."))
    data = await bot.download_file(file.file_path)
    body = data.read() if data is not None else b""
    return web.Response(
        body=body, content_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )


# ---- API --------------------------------------------------------------------------------------


async def _form_fields(request: web.Request) -> tuple[dict[str, str], FileField | None]:
    """The composer's multipart (or urlencoded) fields, and the photo if one was chosen."""
    form = await request.post()
    fields: dict[str, str] = {}
    photo: FileField | None = None
    for name, value in form.items():
        if isinstance(value, FileField):
            if name == "photo" and value.filename:
                photo = value
        elif isinstance(value, str):
            if len(value) > MAX_FIELD:
                raise ValidationError(N_("That is too long."))
            fields[name] = value
    return fields, photo


def _photo_bytes(photo: FileField | None) -> bytes | None:
    if photo is None:
        return None
    if photo.content_type not in PHOTO_TYPES:
        raise ValidationError(N_("The photo must be a JPEG, PNG or WebP image."))
    data = photo.file.read(MAX_PHOTO + 1)
    if not data:
        raise ValidationError(N_("The photo file is empty."))
    if len(data) > MAX_PHOTO:
        raise ValidationError(N_("The photo is too large: at most 5 MB."))
    return data


async def upload_photo(request: web.Request, data: bytes, kind: str) -> str:
    """Send the photo to the staff member's own chat: Telegram keeps it and gives the file id
    every recipient's copy will use (the chat composer gets its file id the same way)."""
    member = staff(request)
    bot = request.config_dict[BOT]
    caption = gettext(request, N_("🖼 Photo for a new campaign, uploaded in the web console."))
    try:
        message = await bot.send_photo(
            member.telegram_id,
            BufferedInputFile(data, filename=f"campaign.{PHOTO_TYPES[kind]}"),
            caption=caption,
        )
    except TelegramAPIError:
        raise ValidationError(
            N_("Telegram didn't take the photo. Open the bot once (/start), then try again.")
        ) from None
    if not message.photo:
        raise ValidationError(N_("Telegram didn't take the photo. Try another image."))
    return message.photo[-1].file_id


def _field_errors(request: web.Request, error: FormErrors) -> web.Response:
    i18n, locale = request.config_dict[I18N], locale_of(request)
    return web.json_response(
        {
            "error": "invalid",
            "message": error_text(i18n, locale, error),
            "fields": {k: error_text(i18n, locale, e) for k, e in error.errors.items()},
        },
        status=400,
    )


@routes.post("/api/campaigns")
async def create_campaign(request: web.Request) -> web.Response:
    """Compose (and send now / schedule) in one go; every wrong field is named at once."""
    member = staff(request)
    fields, photo = await _form_fields(request)
    form = CampaignForm(
        text=fields.get("text", ""),
        audience_kind=fields.get("audience_kind", ""),
        audience_value=fields.get("audience_value", ""),
        button_kind=fields.get("button_kind", ""),
        button_value=fields.get("button_value", ""),
        has_photo=photo is not None,
        when=fields.get("when", "draft"),
        send_at=fields.get("send_at", ""),
    )
    try:
        checked = check_form(form, _timezone(request), datetime.now(UTC))
        data = _photo_bytes(photo)
    except FormErrors as error:
        return _field_errors(request, error)
    except DomainError as error:
        return _field_errors(request, FormErrors({"photo": error}))
    file_id = None
    if data is not None and photo is not None:
        file_id = await upload_photo(request, data, photo.content_type)
    campaign = await launch(
        _campaigns(request), member.telegram_id, checked, file_id, datetime.now(UTC)
    )
    return json_ok(
        status=201,
        id=campaign.id,
        state=campaign.state.value,
        url=f"{MOUNT}/campaigns/{campaign.id}",
    )


@routes.post("/api/campaigns/preview")
async def preview(request: web.Request) -> web.Response:
    """The text as shoppers will see it, or why Telegram would refuse it (typed live)."""
    fields, _photo = await _form_fields(request)
    text = fields.get("text", "").replace("\x00", "")
    with_photo = fields.get("has_photo") == "1"
    limit = MAX_CAPTION if with_photo else MAX_TEXT
    length = visible_length(text)
    try:
        html = preview_html(text)
    except DomainError as error:
        message = error_text(request.config_dict[I18N], locale_of(request), error)
        return json_ok(html="", error=message, length=length, limit=limit)
    error_message = ""
    if length > limit:
        error_message = gettext(
            request,
            N_("That's too long: at most {limit} characters (with a photo, 1024)."),
            limit=limit,
        )
    return json_ok(html=html, error=error_message, length=length, limit=limit)


@routes.get("/api/campaigns/audience")
async def audience_size(request: web.Request) -> web.Response:
    """How many people the chosen audience reaches right now (opted in, not blocked)."""
    spec = audience_spec(request.query.get("kind", ""), request.query.get("value", "")[:64])
    size = await _campaigns(request).audience_size(spec)
    return json_ok(size=size, label=audience_label(_tr(request), spec))


@routes.get(r"/api/campaigns/{id:\d+}")
async def campaign_progress(request: web.Request) -> web.Response:
    """The progress bar's figures; the campaign page polls this while it is live."""
    return json_ok(progress(request, await _campaigns(request).report(_campaign_id(request))))


@routes.post(r"/api/campaigns/{id:\d+}/{action:send|pause|resume|cancel|schedule}")
async def control(request: web.Request) -> web.Response:
    """Send now, schedule, pause, resume or cancel: the chat's own transitions."""
    campaigns, campaign_id = _campaigns(request), _campaign_id(request)
    action = request.match_info["action"]
    if action == "send":
        await campaigns.send_now(campaign_id)
    elif action == "schedule":
        fields, _photo = await _form_fields(request)
        raw = fields.get("send_at", "").replace("T", " ")
        await campaigns.schedule(campaign_id, raw, _timezone(request), datetime.now(UTC))
    else:
        await {"pause": campaigns.pause, "resume": campaigns.resume, "cancel": campaigns.cancel}[
            action
        ](campaign_id)
    return json_ok(progress(request, await campaigns.report(campaign_id)))
