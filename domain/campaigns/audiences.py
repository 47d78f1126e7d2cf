"""Who a campaign goes to: pluggable audience kinds.

An audience is a kind plus one optional value ("language"/"zh", "inactive"/"30"). Every kind is
always narrowed to people who opted in to promotions and haven't blocked the bot. A feature adds
a kind with `register_audience(AudienceKind(...))` here (the rule, for previews and tests) and a
matching SQL filter in storage/campaigns/audiences.py (for sending), e.g. "has_cart" or
"buyers_of_category".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.kernel.errors import ValidationError
from domain.kernel.i18n import N_
from domain.users.service import SUPPORTED_LANGUAGES, User

MAX_INACTIVE_DAYS = 3650


@dataclass(frozen=True, slots=True)
class AudienceSpec:
    kind: str
    value: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value}

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> AudienceSpec:
        return cls(str(data.get("kind", "")), str(data.get("value", "")))


@dataclass(frozen=True, slots=True)
class AudienceKind:
    key: str
    label: str  # msgid; may use {value}
    matches: Callable[[User, str, datetime], bool]
    parse: Callable[[str], str] | None = None  # None: the kind takes no value
    prompt: str = ""  # msgid asking for the value

    @property
    def needs_value(self) -> bool:
        return self.parse is not None


AUDIENCES: dict[str, AudienceKind] = {}


def register_audience(kind: AudienceKind) -> AudienceKind:
    AUDIENCES[kind.key] = kind
    return kind


def eligible(user: User) -> bool:
    """The rule under every audience: promotions only to opted-in users who didn't block us."""
    return user.marketing_opt_in and not user.is_blocked


def audience_spec(kind: str, raw_value: str = "") -> AudienceSpec:
    """Validate an audience choice typed/pressed by an admin."""
    definition = AUDIENCES.get(kind)
    if definition is None:
        raise ValidationError(N_("Unknown audience."))
    if definition.parse is None:
        return AudienceSpec(kind)
    return AudienceSpec(kind, definition.parse(raw_value))


def in_audience(user: User, spec: AudienceSpec, now: datetime) -> bool:
    definition = AUDIENCES.get(spec.kind)
    return definition is not None and eligible(user) and definition.matches(user, spec.value, now)


# ---- built-in kinds ---------------------------------------------------------------------------


def _parse_language(raw: str) -> str:
    code = raw.strip().lower()
    if code not in SUPPORTED_LANGUAGES:
        raise ValidationError(N_("That language isn't available."))
    return code


def _parse_days(raw: str) -> str:
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_INACTIVE_DAYS:
        raise ValidationError(
            N_("Send a number of days between 1 and {max}."), max=MAX_INACTIVE_DAYS
        )
    return str(int(text))


def inactive_since(now: datetime, days: str) -> datetime:
    return now - timedelta(days=int(days))


register_audience(
    AudienceKind("everyone", N_("Everyone who opted in"), lambda user, value, now: True)
)
register_audience(
    AudienceKind(
        "language",
        N_("Language: {value}"),
        lambda user, value, now: user.locale == value,
        parse=_parse_language,
        prompt=N_("Which language? Send en or zh."),
    )
)
register_audience(
    AudienceKind(
        "inactive",
        N_("Inactive for {value}+ days"),
        lambda user, value, now: user.last_seen_at <= inactive_since(now, value),
        parse=_parse_days,
        prompt=N_("Inactive for how many days? Send a number, e.g. 30."),
    )
)
