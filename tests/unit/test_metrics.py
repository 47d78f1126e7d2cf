"""bot/metrics.py: the Prometheus text format, histogram buckets, what the middleware counts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiogram.types import Update

from bot.runtime.metrics import Counter, Histogram, Metrics, MetricsMiddleware, escape, gauge
from domain.kernel.errors import DomainError

SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]+="([^"\\]|\\.)*",?)*\})? \S+$')


def parse(text: str) -> dict[str, float]:
    """Every sample line as {'name{labels}': value}; fails on a malformed line."""
    samples = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) \w+ .+$", line), line
            continue
        assert SAMPLE.match(line), line
        key, value = line.rsplit(" ", 1)
        samples[key] = float(value)
    return samples


def test_label_values_are_escaped() -> None:
    assert escape('a "b"\\c\nd') == 'a \\"b\\"\\\\c\\nd'
    counter = Counter("x_total", "help", ("who",))
    counter.inc('say "hi"\n')
    assert counter.lines()[-1] == 'x_total{who="say \\"hi\\"\\n"} 1'


def test_histogram_buckets_are_cumulative_with_sum_and_count() -> None:
    histogram = Histogram("t_seconds", "help", ("type",), buckets=(0.1, 1.0))
    for value in (0.05, 0.1, 0.5, 3.0):
        histogram.observe(value, "message")
    samples = parse("\n".join(histogram.lines()))
    assert samples['t_seconds_bucket{type="message",le="0.1"}'] == 2  # le is inclusive
    assert samples['t_seconds_bucket{type="message",le="1"}'] == 3
    assert samples['t_seconds_bucket{type="message",le="+Inf"}'] == 4
    assert samples['t_seconds_count{type="message"}'] == 4
    assert samples['t_seconds_sum{type="message"}'] == pytest.approx(3.65)


def test_gauge_lines() -> None:
    lines = gauge("g", "help", [({"campaign": 3, "state": "sent"}, 7.0), ({}, 1.5)])
    assert lines[2:] == ['g{campaign="3",state="sent"} 7', "g 1.5"]


async def test_a_failing_collector_does_not_break_the_scrape() -> None:
    metrics = Metrics()

    async def broken() -> list[str]:
        raise RuntimeError("database down")

    async def fine() -> list[str]:
        return gauge("kiosk_ok", "help", [({}, 1.0)])

    metrics.add_collector(broken)
    metrics.add_collector(fine)
    samples = parse(await metrics.render())
    assert samples["kiosk_ok"] == 1
    assert samples["process_start_time_seconds"] > 1.6e9


def update(update_id: int, **kind: Any) -> Update:
    if not kind:
        kind = {
            "message": {
                "message_id": 1,
                "date": 1,
                "chat": {"id": 5, "type": "private"},
                "text": "hi",
            }
        }
    return Update(update_id=update_id, **kind)


async def test_middleware_counts_times_and_classifies_errors() -> None:
    metrics = Metrics()
    middleware = MetricsMiddleware(metrics)

    async def ok(event: Any, data: dict[str, Any]) -> str:
        return "done"

    async def rule(event: Any, data: dict[str, Any]) -> None:
        raise DomainError("Out of stock")

    async def bug(event: Any, data: dict[str, Any]) -> None:
        raise KeyError("oops")

    assert await middleware(ok, update(1), {}) == "done"
    with pytest.raises(DomainError):
        await middleware(rule, update(2), {})
    with pytest.raises(KeyError):  # handed on to the error router unchanged
        await middleware(bug, update(3), {})
    callback = {
        "id": "q",
        "from": {"id": 5, "is_bot": False, "first_name": "A"},
        "chat_instance": "c",
        "data": "x",
    }
    await middleware(ok, update(4, callback_query=callback), {})
    metrics.count_duplicate()

    samples = parse(await metrics.render())
    assert samples['kiosk_updates_total{type="message"}'] == 3
    assert samples['kiosk_updates_total{type="callback_query"}'] == 1
    assert samples['kiosk_update_errors_total{type="message",kind="domain"}'] == 1
    assert samples['kiosk_update_errors_total{type="message",kind="unexpected"}'] == 1
    assert samples['kiosk_update_handling_seconds_count{type="message"}'] == 3
    assert samples["kiosk_update_duplicates_total"] == 1
