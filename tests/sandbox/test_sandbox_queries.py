"""The emulator's table of open queries (callback, inline, shipping, pre-checkout): once large,
old queries are forgotten, and a table of young queries is not swept again at every query."""

from __future__ import annotations

import time

import pytest

from sandbox import state
from sandbox.state import BotState


async def test_old_queries_are_swept_and_a_young_table_is_not_rebuilt_per_query(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(state, "QUERIES_PRUNE_AT", 10)
    bot = BotState("123456:TEST-token", "shop_bot", "Shop")
    old = [bot.query("callback", 1) for _ in range(5)]
    for q in old:
        q.created = time.monotonic() - state.QUERY_KEEP_SECONDS - 1
    young = [bot.query("callback", 1) for _ in range(6)]  # 11 > 10: the next query sweeps
    latest = bot.query("callback", 1)

    assert set(bot.queries) == {q.query_id for q in [*young, latest]}  # the old ones are gone
    assert bot.take_query(latest.query_id, "callback", None) is latest

    # Six young queries survived the sweep: the next one waits until the table holds more than
    # twice that (12), so the queries up to then join the same table instead of copying it.
    assert bot.queries_prune_at == 12
    table = bot.queries
    more = [bot.query("callback", 1) for _ in range(6)]
    assert bot.queries is table and len(table) == 13
    bot.query("callback", 1)  # 13 > 12: swept, nothing old to drop; the threshold doubles
    assert len(bot.queries) == 14 and bot.queries_prune_at == 26
    assert all(q.query_id in bot.queries for q in more)
