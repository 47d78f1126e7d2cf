"""A campaign composed in one form (the web console): every field checked with the chat
composer's own rules, all mistakes reported at once, each against its field.

The chat asks one question at a time and checks each answer as it comes; a form sends
everything together, so `check_form` runs the same checks (`validate_text`, `product_button`,
`coupon_button`, `audience_spec`, `parse_send_time`) and Telegram's markup rules
(`domain.campaigns.markup`) and collects what failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from domain.campaigns.audiences import AudienceSpec, audience_spec
from domain.campaigns.markup import check_markup
from domain.campaigns.service import (
    Campaign,
    CampaignButton,
    CampaignDraft,
    CampaignService,
    coupon_button,
    parse_send_time,
    product_button,
    validate_text,
)
from domain.kernel.errors import DomainError, ValidationError
from domain.kernel.i18n import N_

T = TypeVar("T")

WHEN_DRAFT = "draft"
WHEN_NOW = "now"
WHEN_LATER = "later"


@dataclass(frozen=True, slots=True)
class CampaignForm:
    """What a person typed into the composer, as strings (nothing trusted yet)."""

    text: str
    audience_kind: str
    audience_value: str = ""
    button_kind: str = ""  # "", "product" or "coupon"
    button_value: str = ""
    has_photo: bool = False
    when: str = WHEN_DRAFT  # "draft", "now" or "later"
    send_at: str = ""  # "YYYY-MM-DD HH:MM" (or the browser's "YYYY-MM-DDTHH:MM"), shop's zone


@dataclass(frozen=True, slots=True)
class CheckedForm:
    text: str
    audience: AudienceSpec
    button: CampaignButton | None
    when: str
    send_at: datetime | None  # UTC, when `when` is "later"

    def draft(self, photo_file_id: str | None) -> CampaignDraft:
        return CampaignDraft(self.text, self.audience, photo_file_id, self.button)


class FormErrors(ValidationError):
    """Some fields are wrong; `errors` maps each field name to its DomainError."""

    message = N_("Please correct the marked fields.")

    def __init__(self, errors: dict[str, DomainError]) -> None:
        super().__init__()
        self.errors = errors


def _checked(errors: dict[str, DomainError], name: str, check: Callable[[], T]) -> T | None:
    try:
        return check()
    except DomainError as error:
        errors[name] = error
        return None


def _button(kind: str, value: str) -> CampaignButton | None:
    if kind == "product":
        return product_button(value)
    if kind == "coupon":
        return coupon_button(value)
    if kind:
        raise ValidationError(N_("Unknown button."))
    return None


def _text(text: str, with_photo: bool) -> str:
    clean = validate_text(text, with_photo)
    check_markup(clean)
    return clean


def check_form(form: CampaignForm, timezone: str, now: datetime) -> CheckedForm:
    """The form's values, checked; FormErrors naming every wrong field otherwise."""
    errors: dict[str, DomainError] = {}
    text = _checked(errors, "text", lambda: _text(form.text, form.has_photo))
    audience = _checked(
        errors, "audience", lambda: audience_spec(form.audience_kind, form.audience_value)
    )
    button = _checked(errors, "button", lambda: _button(form.button_kind, form.button_value))
    send_at = None
    if form.when == WHEN_LATER:
        raw = form.send_at.replace("T", " ")
        send_at = _checked(errors, "send_at", lambda: parse_send_time(raw, timezone, now))
    elif form.when not in (WHEN_DRAFT, WHEN_NOW):
        errors["send_at"] = ValidationError(N_("Choose when to send it."))
    if errors:
        raise FormErrors(errors)
    assert text is not None and audience is not None
    return CheckedForm(text, audience, button, form.when, send_at)


async def launch(
    campaigns: CampaignService,
    created_by: int,
    form: CheckedForm,
    photo_file_id: str | None,
    now: datetime,
) -> Campaign:
    """Create the checked campaign, then send it now, schedule it, or leave it a draft."""
    campaign = await campaigns.create(created_by, form.draft(photo_file_id))
    if form.when == WHEN_NOW:
        return await campaigns.send_now(campaign.id)
    if form.when == WHEN_LATER and form.send_at is not None:
        return await campaigns.schedule_at(campaign.id, form.send_at, now)
    return campaign
