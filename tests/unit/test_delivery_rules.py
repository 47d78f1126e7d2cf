"""Delivery rules and the engine against in-memory fakes: rate, spacing, 429, 403, retries."""

from __future__ import annotations

import asyncio

from domain.campaigns.delivery import (
    Blocked,
    ChatSpacer,
    DeliveryConfig,
    DeliveryEngine,
    Failed,
    RateLimiter,
    RetryLater,
    retry_delay,
)
from tests.unit.campaign_fakes import (
    InMemoryDeliveryStore,
    RecordingBlockList,
    RecordingProgress,
    ScriptedSender,
)


def test_rate_limiter_spaces_slots_evenly_on_an_ideal_timeline() -> None:
    limiter = RateLimiter(rate=25)
    slots = [limiter.reserve(now=0.0) for _ in range(50)]
    assert slots[0] == 0.0
    assert abs(slots[-1] - 49 / 25) < 1e-9  # 50 messages take 49 intervals, not more
    # A waiter that wakes late doesn't push later slots back.
    assert abs(limiter.reserve(now=1.0) - 50 / 25) < 1e-9


def test_rate_limiter_does_not_bank_idle_time_beyond_its_burst() -> None:
    limiter = RateLimiter(rate=10, burst=1)
    limiter.reserve(0.0)
    assert limiter.reserve(100.0) == 100.0
    assert limiter.reserve(100.0) == 100.1
    assert not limiter.try_reserve(100.0)
    assert limiter.try_reserve(100.25)


def test_429_pauses_and_slows_down_then_recovers() -> None:
    limiter = RateLimiter(rate=25, recover_after=10)
    limiter.penalize(now=5.0, retry_after=3)
    assert limiter.rate == 20
    assert limiter.reserve(now=5.0) >= 8.0  # nothing before retry_after has passed
    limiter.reserve(now=30.0)
    assert limiter.rate > 20  # a quiet period brings the rate back up, step by step
    for t in range(40, 400, 10):
        limiter.reserve(now=float(t))
    assert limiter.rate == 25


def test_chat_spacer_keeps_one_second_between_messages_to_a_chat() -> None:
    spacer = ChatSpacer(interval=1.0)
    spacer.mark(7, now=10.0)
    assert spacer.ready_at(7) == 11.0
    assert spacer.ready_at(8) < 0


def test_retry_delay_is_bounded_and_backs_off() -> None:
    config = DeliveryConfig(max_attempts=3, retry_backoff=2)
    transient = Failed("server error", retryable=True)
    assert [retry_delay(n, transient, config) for n in (1, 2, 3)] == [2.0, 4.0, None]
    assert retry_delay(1, Failed("chat not found", retryable=False), config) is None


async def run_engine(
    store: InMemoryDeliveryStore, sender: ScriptedSender, **config: float
) -> RecordingBlockList:
    blocklist = RecordingBlockList()
    cfg = DeliveryConfig(
        rate_per_sec=config.get("rate", 1000),
        per_chat_interval=config.get("spacing", 0),
        retry_backoff=0.01,
        idle_poll=0.01,
        control_interval=0.01,
    )
    engine = DeliveryEngine(store, sender, blocklist, RecordingProgress(), cfg)
    task = asyncio.create_task(engine.run())
    async with asyncio.timeout(10):
        while store.running:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    await engine.stop()
    await task
    return blocklist


async def test_engine_sends_each_recipient_once_and_handles_403_429_and_retries() -> None:
    store = InMemoryDeliveryStore()
    store.add(1, [10, 11, 12, 13, 14])
    sender = ScriptedSender(
        script={
            11: [Blocked("Forbidden: bot was blocked by the user")],
            12: [RetryLater(0.05)],
            13: [Failed("server error", retryable=True), Failed("again", retryable=True)],
            14: [Failed("Bad Request: chat not found", retryable=False)],
        }
    )
    blocklist = await run_engine(store, sender)
    assert sorted(sender.sent) == [10, 12, 13]
    assert store.states() == {"sent": 3, "blocked": 1, "failed": 1}
    assert blocklist.blocked == [11]
    assert sender.calls.count(14) == 1  # a permanent error is not retried
    assert sender.calls.count(13) == 3  # two transient failures, then success


async def test_engine_gives_up_after_max_attempts() -> None:
    store = InMemoryDeliveryStore()
    store.add(1, [20])
    sender = ScriptedSender(script={20: [Failed("5xx", retryable=True)] * 10})
    await run_engine(store, sender)
    assert sender.calls == [20, 20, 20]
    assert store.states() == {"failed": 1}


async def test_rows_left_sending_by_a_crash_are_never_sent_again() -> None:
    store = InMemoryDeliveryStore()
    store.add(1, [30, 31])
    store.rows[1].state = "sending"  # the process died between claim and outcome
    sender = ScriptedSender()
    await run_engine(store, sender)
    assert sender.sent == [31]
    assert store.states() == {"unknown": 1, "sent": 1}


async def test_paused_campaign_sends_nothing_until_resumed() -> None:
    store = InMemoryDeliveryStore()
    store.add(1, [40, 41])
    store.running.discard(1)
    sender = ScriptedSender()
    engine = DeliveryEngine(
        store,
        sender,
        RecordingBlockList(),
        RecordingProgress(),
        DeliveryConfig(idle_poll=0.01, control_interval=0.01),
    )
    task = asyncio.create_task(engine.run())
    await asyncio.sleep(0.1)
    assert sender.calls == []
    store.running.add(1)
    async with asyncio.timeout(5):
        while store.running:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    await engine.stop()
    await task
    assert sorted(sender.sent) == [40, 41]
