"""SQL side of the audiences declared in domain/audiences.py.

A feature adding an audience kind registers its filter here, e.g. for "has_cart":

    register_audience_filter(
        "has_cart", lambda value, now: Q(id__in=Subquery(CartRow.all().values("user_id")))
    )

The filter receives the audience's value and the current UTC time and returns a Q over users.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from domain.campaigns.audiences import AudienceSpec, inactive_since
from domain.users.service import SUPPORTED_LANGUAGES
from storage.models import UserRow

AudienceFilter = Callable[[str, datetime], Q]
AUDIENCE_FILTERS: dict[str, AudienceFilter] = {}


def register_audience_filter(kind: str, build: AudienceFilter) -> None:
    AUDIENCE_FILTERS[kind] = build


def audience_users(spec: AudienceSpec, now: datetime) -> QuerySet[UserRow]:
    """Users in the audience: always opted in and not blocked, then the kind's own rule."""
    build = AUDIENCE_FILTERS.get(spec.kind)
    if build is None:
        raise LookupError(f"no SQL filter registered for audience {spec.kind!r}")
    base = UserRow.filter(marketing_opt_in=True, is_blocked=False)
    return base.filter(build(spec.value, now))


def _telegram_language_is(code: str) -> Q:
    return (
        Q(telegram_language__iexact=code)
        | Q(telegram_language__istartswith=f"{code}-")
        | Q(telegram_language__istartswith=f"{code}_")
    )


def _language(value: str, now: datetime) -> Q:
    """Mirror of domain.users.service.resolve_language: chosen language, else Telegram's,
    else default."""
    chosen = Q(language=value)
    if value != SUPPORTED_LANGUAGES[0]:
        return chosen | Q(Q(language=None), _telegram_language_is(value))
    others = [_telegram_language_is(code) for code in SUPPORTED_LANGUAGES[1:]]
    not_other = Q(telegram_language=None)
    if others:
        any_other = others[0]
        for q in others[1:]:
            any_other |= q
        not_other |= ~any_other
    return chosen | Q(Q(language=None), not_other)


register_audience_filter("everyone", lambda value, now: Q())
register_audience_filter("language", _language)
register_audience_filter(
    "inactive", lambda value, now: Q(last_seen_at__lte=inactive_since(now, value))
)
