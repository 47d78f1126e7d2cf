"""How long checkout says the items are held: exact, in the largest unit that states it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.orders.offline import duration


@pytest.mark.parametrize(
    ("span", "locale", "words"),
    [
        (timedelta(minutes=15), "en", "15 minutes"),
        (timedelta(minutes=1), "en", "1 minute"),
        (timedelta(minutes=90), "en", "90 minutes"),  # not rounded up to "2 hours"
        (timedelta(hours=1), "en", "1 hour"),
        (timedelta(hours=36), "en", "36 hours"),  # not "2 days"
        (timedelta(hours=72), "en", "3 days"),
        (timedelta(days=1), "en", "1 day"),
        (timedelta(hours=72), "zh", "3天"),
        (timedelta(minutes=15), "zh", "15分钟"),
    ],
)
def test_duration_words(span: timedelta, locale: str, words: str) -> None:
    assert duration(span, locale) == words
