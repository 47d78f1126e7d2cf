"""The delivery engine's lean send path reads Telegram's JSON answers like aiogram would."""

from __future__ import annotations

from bot.jobs.delivery import outcome_of
from domain.campaigns.delivery import Blocked, Failed, RetryLater, Sent


def test_answers_map_to_outcomes() -> None:
    assert outcome_of({"ok": True, "result": {"message_id": 42, "chat": {"id": 1}}}) == Sent(42)
    too_many = {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert outcome_of(too_many) == RetryLater(7.0)
    blocked = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"}
    assert outcome_of(blocked) == Blocked("Forbidden: bot was blocked")
    bad = {"ok": False, "error_code": 400, "description": "Bad Request: can't parse entities"}
    assert outcome_of(bad) == Failed("Bad Request: can't parse entities", retryable=False)
    server = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    assert outcome_of(server) == Failed("Bad Gateway", retryable=True)
    assert outcome_of({"ok": False}) == Failed("HTTP 0", retryable=True)
