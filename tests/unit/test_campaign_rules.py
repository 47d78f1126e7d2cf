"""Campaign rules: state machine, scheduling math in the shop's time zone, audiences, buttons."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.campaigns.audiences import AudienceSpec, audience_spec, in_audience
from domain.campaigns.service import (
    CampaignState,
    InvalidTransition,
    coupon_button,
    next_state,
    parse_send_time,
    product_button,
    validate_text,
)
from domain.kernel.errors import ValidationError
from domain.users.service import User

S = CampaignState
NOW = datetime(2030, 3, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        (S.DRAFT, "start", S.RUNNING),
        (S.DRAFT, "schedule", S.SCHEDULED),
        (S.SCHEDULED, "start", S.RUNNING),
        (S.RUNNING, "pause", S.PAUSED),
        (S.PAUSED, "resume", S.RUNNING),
        (S.PAUSED, "cancel", S.CANCELLED),
        (S.RUNNING, "finish", S.DONE),
    ],
)
def test_allowed_transitions(state: S, action: str, expected: S) -> None:
    assert next_state(state, action) == expected


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (S.DONE, "cancel"),
        (S.CANCELLED, "resume"),
        (S.RUNNING, "start"),
        (S.DRAFT, "pause"),
        (S.PAUSED, "pause"),
        (S.DONE, "start"),
    ],
)
def test_refused_transitions(state: S, action: str) -> None:
    with pytest.raises(InvalidTransition):
        next_state(state, action)


def test_send_time_is_read_in_the_shop_time_zone() -> None:
    when = parse_send_time("2030-04-01 18:30", "Asia/Shanghai", NOW)
    assert when == datetime(2030, 4, 1, 10, 30, tzinfo=UTC)


def test_clock_time_means_the_next_such_time() -> None:
    # 12:00 UTC is 20:00 in Shanghai: 21:00 is later today, 08:00 is tomorrow.
    later_today = datetime(2030, 3, 30, 13, 0, tzinfo=UTC)
    tomorrow = datetime(2030, 3, 31, 0, 0, tzinfo=UTC)
    assert parse_send_time("21:00", "Asia/Shanghai", NOW) == later_today
    assert parse_send_time("08:00", "Asia/Shanghai", NOW) == tomorrow


def test_times_skipped_by_daylight_saving_are_refused() -> None:
    # Europe/Berlin jumps from 02:00 to 03:00 on 2030-03-31.
    with pytest.raises(ValidationError):
        parse_send_time("2030-03-31 02:30", "Europe/Berlin", NOW)
    assert parse_send_time("2030-03-31 03:30", "Europe/Berlin", NOW) == datetime(
        2030, 3, 31, 1, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "raw", ["yesterday", "2030-13-01 10:00", "2030-03-30 11:00", "2031-01-01 00:00"]
)
def test_bad_or_past_or_far_times_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        parse_send_time(raw, "UTC", NOW)


def _user(**changes: object) -> User:
    base = User(
        id=1,
        telegram_id=1,
        first_name="A",
        last_name=None,
        username=None,
        language=None,
        telegram_language="en",
        phone=None,
        display_name=None,
        marketing_opt_in=True,
        is_blocked=False,
        referral_code="abcd2345",
        referrer_id=None,
        created_at=NOW,
        last_seen_at=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_every_audience_requires_opt_in_and_not_blocked() -> None:
    everyone = AudienceSpec("everyone")
    assert in_audience(_user(), everyone, NOW)
    assert not in_audience(_user(marketing_opt_in=False), everyone, NOW)
    assert not in_audience(_user(is_blocked=True), everyone, NOW)


def test_language_audience_follows_the_users_locale() -> None:
    zh = audience_spec("language", " ZH ")
    assert zh == AudienceSpec("language", "zh")
    assert in_audience(_user(telegram_language="zh-hans"), zh, NOW)
    assert not in_audience(_user(telegram_language="zh-hans", language="en"), zh, NOW)
    assert in_audience(_user(telegram_language="de"), audience_spec("language", "en"), NOW)
    with pytest.raises(ValidationError):
        audience_spec("language", "fr")


def test_inactive_audience_counts_days_since_last_seen() -> None:
    spec = audience_spec("inactive", "30")
    assert in_audience(_user(last_seen_at=NOW - timedelta(days=31)), spec, NOW)
    assert not in_audience(_user(last_seen_at=NOW - timedelta(days=29)), spec, NOW)
    for bad in ("0", "-1", "abc", "99999"):
        with pytest.raises(ValidationError):
            audience_spec("inactive", bad)
    with pytest.raises(ValidationError):
        audience_spec("has_spaceship")


def test_buttons_and_text_are_validated() -> None:
    assert product_button(" #42 ").value == "42"
    assert coupon_button("spring10").value == "SPRING10"
    for bad in ("0", "abc", "1" * 19):
        with pytest.raises(ValidationError):
            product_button(bad)
    with pytest.raises(ValidationError):
        coupon_button("no spaces")
    assert validate_text("<b>hi</b>", with_photo=True) == "<b>hi</b>"
    with pytest.raises(ValidationError):
        validate_text("x" * 1025, with_photo=True)  # a caption holds 1024
    assert validate_text("<b>" + "x" * 1024 + "</b>", with_photo=True)  # tags don't count
    with pytest.raises(ValidationError):
        validate_text("   ", with_photo=False)
