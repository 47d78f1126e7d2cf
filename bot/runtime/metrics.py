"""Prometheus metrics in the text exposition format (version 0.0.4), served at `/metrics`.

Written here rather than with `prometheus_client` because Kiosk needs a handful of series and
the per-update cost must stay tiny (the throughput bench measures it): an update costs two
`perf_counter` calls, a dict lookup and a `bisect`. Cumulative buckets, label escaping and the
gauges that need I/O (database pool, broadcast progress) are worked out only when scraped.

Series (per replica; scrape every replica):
- `kiosk_updates_total{type}`: updates handled (after de-duplication), by update type
- `kiosk_update_duplicates_total`: redelivered updates recognised and skipped
- `kiosk_update_handling_seconds{type}`: histogram of handling time, middlewares included
- `kiosk_update_errors_total{type,kind}`: handler failures; kind is `domain` (a rule the shopper
  is told about), `telegram` (Bot API refused) or `unexpected` (a bug: the apology was sent)
- `kiosk_broadcast_deliveries{campaign,state}`: recipients of running and paused campaigns by
  state (pending, sending, sent, failed, blocked, unknown, skipped), read from the database
- `kiosk_db_pool_connections{state}` / `kiosk_db_pool_max_connections`: the asyncpg pool
  (in_use, idle); SQLite has one connection behind a lock, reported as size 1
- `kiosk_scheduler_leader`, `kiosk_job_runs_total{job}`: this replica leads / ran these jobs
- `kiosk_ready`, `process_start_time_seconds`, `kiosk_info{mode,database}`
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import TelegramObject, Update

from domain.kernel.errors import DomainError

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
Collector = Callable[[], Awaitable[Iterable[str]]]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# Telegram expects a webhook answer within seconds; most updates take a few milliseconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def escape(value: object) -> str:
    """A label value as the exposition format wants it: backslash, quote and newline escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def labels_of(names: tuple[str, ...], values: tuple[object, ...]) -> str:
    if not names:
        return ""
    return "{" + ",".join(f'{n}="{escape(v)}"' for n, v in zip(names, values, strict=True)) + "}"


def number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def header(name: str, kind: str, help_text: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]


class Counter:
    """A monotonically increasing number per label combination."""

    def __init__(self, name: str, help_text: str, labelnames: tuple[str, ...] = ()) -> None:
        self.name = name
        self.help = help_text
        self.labelnames = labelnames
        self.values: dict[tuple[object, ...], float] = {}

    def inc(self, *labels: object, amount: float = 1.0) -> None:
        self.values[labels] = self.values.get(labels, 0.0) + amount

    def lines(self) -> list[str]:
        out = header(self.name, "counter", self.help)
        values = self.values if self.values or self.labelnames else {(): 0.0}
        for labels, value in sorted(values.items(), key=lambda kv: tuple(map(str, kv[0]))):
            out.append(f"{self.name}{labels_of(self.labelnames, labels)} {number(value)}")
        return out


class Histogram:
    """Bucketed observations; buckets are stored per bucket and made cumulative on render."""

    def __init__(
        self,
        name: str,
        help_text: str,
        labelnames: tuple[str, ...] = (),
        buckets: tuple[float, ...] = LATENCY_BUCKETS,
    ) -> None:
        self.name = name
        self.help = help_text
        self.labelnames = labelnames
        self.buckets = tuple(sorted(buckets))
        # labels -> [count per bucket..., count above the last bucket, sum]
        self.series: dict[tuple[object, ...], list[float]] = {}

    def observe(self, value: float, *labels: object) -> None:
        row = self.series.get(labels)
        if row is None:
            row = self.series[labels] = [0.0] * (len(self.buckets) + 2)
        row[bisect_left(self.buckets, value)] += 1
        row[-1] += value

    def lines(self) -> list[str]:
        out = header(self.name, "histogram", self.help)
        names = (*self.labelnames, "le")
        for labels, row in sorted(self.series.items(), key=lambda kv: tuple(map(str, kv[0]))):
            running = 0.0
            for bound, n in zip((*self.buckets, float("inf")), row[:-1], strict=True):
                running += n
                le = labels_of(names, (*labels, number(bound)))
                out.append(f"{self.name}_bucket{le} {number(running)}")
            plain = labels_of(self.labelnames, labels)
            out.append(f"{self.name}_sum{plain} {number(row[-1])}")
            out.append(f"{self.name}_count{plain} {number(running)}")
        return out


Sample = tuple[dict[str, object], float]


def gauge(name: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    """Lines of one gauge family from (labels, value) pairs."""
    out = header(name, "gauge", help_text)
    for labels, value in samples:
        names = tuple(labels)
        out.append(f"{name}{labels_of(names, tuple(labels[n] for n in names))} {number(value)}")
    return out


class Metrics:
    """One replica's metrics: counters fed by the middleware, gauges collected when scraped."""

    def __init__(self) -> None:
        self.start_time = time.time()
        self.updates = Counter(
            "kiosk_updates_total", "Updates handled, after de-duplication.", ("type",)
        )
        self.duplicates = Counter(
            "kiosk_update_duplicates_total", "Redelivered updates recognised and skipped."
        )
        self.latency = Histogram(
            "kiosk_update_handling_seconds", "Time to handle one update.", ("type",)
        )
        self.errors = Counter(
            "kiosk_update_errors_total", "Updates whose handling raised.", ("type", "kind")
        )
        self._collectors: list[Collector] = []

    def add_collector(self, collector: Collector) -> None:
        """An async callable returning exposition lines; a failing one is skipped and logged."""
        self._collectors.append(collector)

    def count_duplicate(self) -> None:
        self.duplicates.inc()

    async def render(self) -> str:
        lines = header(
            "process_start_time_seconds", "gauge", "Start time of the process since unix epoch."
        )
        lines.append(f"process_start_time_seconds {number(round(self.start_time, 3))}")
        for family in (self.updates, self.duplicates, self.latency, self.errors):
            lines.extend(family.lines())
        for collector in self._collectors:
            try:
                lines.extend(await collector())
            except Exception:  # a scrape reports what it can; one broken source isn't fatal
                log.warning("metrics collector %r failed", collector, exc_info=True)
        return "\n".join(lines) + "\n"


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return "domain"
    if isinstance(exc, TelegramAPIError):
        return "telegram"
    return "unexpected"


class MetricsMiddleware(BaseMiddleware):
    """Counts and times every update that got past de-duplication (outer, on `dp.update`)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        try:
            kind = event.event_type
        except Exception:  # an update type newer than this aiogram
            kind = "unknown"
        started = time.perf_counter()
        try:
            return await handler(event, data)
        except Exception as exc:  # counted, then handed on to the error router unchanged
            self.metrics.errors.inc(kind, error_kind(exc))
            raise
        finally:
            self.metrics.updates.inc(kind)
            self.metrics.latency.observe(time.perf_counter() - started, kind)
