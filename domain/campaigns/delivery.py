"""Bulk delivery: one queue for every broadcast, Telegram's limits, resumable after a crash.

Rules (Telegram's broadcasting FAQ): about 30 messages a second in all and about one a second
per chat; a 429 says how long to wait; a 403 means the user blocked the bot for good.

Crash safety: each recipient is a row. The engine *claims* a row (pending -> sending, with a
fresh attempt id) in the database before the HTTP call and records the outcome after it. A row
found in 'sending' at start-up belongs to a process that died between the two writes; Telegram
has no idempotency key and no way to ask "did message X arrive?", so such a row is settled as
'unknown' and never sent again (at most once: a duplicate promotion is spam, a missing one is
not). The claim is written immediately before the request, so the only way to lose a message
is a kill in the few hundred microseconds between that commit and the request reaching the
socket; every other crash point resumes with no duplicate and no gap.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryConfig:
    rate_per_sec: float = 25.0  # Telegram allows ~30; the rest is headroom for live replies
    per_chat_interval: float = 1.0
    max_attempts: int = 3  # for errors other than 429/403
    retry_backoff: float = 2.0  # seconds before the first retry, doubled each time
    progress_interval: float = 3.0
    max_in_flight: int = 64
    batch_size: int = 500  # rows read from the database at a time
    claim_batch: int = 32  # rows claimed in one write when several slots are due at once
    control_interval: float = 0.25  # how often pause/cancel is read from the database
    idle_poll: float = 0.5


# ---- outcomes of one send ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: int


@dataclass(frozen=True, slots=True)
class RetryLater:
    """429 Too Many Requests: Telegram refused it (nothing was sent), wait `seconds`."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Blocked:
    """403: the user blocked the bot or deleted their account."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str
    retryable: bool


SendOutcome = Sent | RetryLater | Blocked | Failed


def retry_delay(attempts_made: int, outcome: Failed, config: DeliveryConfig) -> float | None:
    """Seconds until the next try after a failure, or None when the recipient is given up on."""
    if not outcome.retryable or attempts_made >= config.max_attempts:
        return None
    return float(config.retry_backoff * 2 ** (attempts_made - 1))


# ---- rate limiting ----------------------------------------------------------------------------


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class RateLimiter:
    """Evenly spaced slots at `rate`/s that slow down after a 429 and recover gradually.

    Slots are scheduled on an ideal timeline (GCRA), not from the moment a waiter woke up, so
    timer jitter doesn't eat into the achieved rate; `burst` slots may be used back to back
    after an idle spell.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        min_rate: float = 1.0,
        recover_after: float = 10.0,
    ) -> None:
        self.target = rate
        self.rate = rate
        self.burst = burst
        self.min_rate = min(min_rate, rate)
        self.recover_after = recover_after
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._last_penalty = -1e18

    def reserve(self, now: float) -> float:
        """Take the next slot; returns when it starts (may be `now`)."""
        self._maybe_recover(now)
        interval = 1.0 / self.rate
        earliest = max(now - (self.burst - 1) * interval, self._paused_until)
        slot = max(self._next_slot, earliest)
        self._next_slot = slot + interval
        return slot

    def try_reserve(self, now: float) -> bool:
        """Take the next slot only if it has already started."""
        self._maybe_recover(now)
        interval = 1.0 / self.rate
        earliest = max(now - (self.burst - 1) * interval, self._paused_until)
        slot = max(self._next_slot, earliest)
        if slot > now:
            return False
        self._next_slot = slot + interval
        return True

    def penalize(self, now: float, retry_after: float) -> None:
        """A 429: pause everything for `retry_after` and cut the rate by a fifth."""
        self._paused_until = max(self._paused_until, now + retry_after)
        self._next_slot = max(self._next_slot, self._paused_until)
        self.rate = max(self.min_rate, self.rate * 0.8)
        self._last_penalty = now

    def _maybe_recover(self, now: float) -> None:
        if self.rate < self.target and now - self._last_penalty >= self.recover_after:
            self.rate = min(self.target, self.rate * 1.1)
            self._last_penalty = now  # recover one step per quiet period


class ChatSpacer:
    """Remembers when each chat last got a message, so no chat gets two within `interval`."""

    def __init__(self, interval: float, capacity: int = 100_000) -> None:
        self.interval = interval
        self.capacity = capacity
        self._last: OrderedDict[int, float] = OrderedDict()

    def ready_at(self, chat_id: int) -> float:
        last = self._last.get(chat_id)
        return -1e18 if last is None else last + self.interval

    def mark(self, chat_id: int, now: float) -> None:
        self._last.pop(chat_id, None)
        self._last[chat_id] = now
        while len(self._last) > self.capacity:
            self._last.popitem(last=False)


# ---- what the engine needs --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delivery:
    """One recipient of one campaign, as the engine sees it."""

    id: int
    campaign_id: int
    user_id: int
    chat_id: int
    locale: str
    attempts: int = 0


class DeliveryStore(Protocol):
    async def settle_interrupted(self) -> int:
        """Turn rows left in 'sending' by a dead process into 'unknown'; returns how many."""
        ...

    async def running_campaign_ids(self) -> list[int]: ...

    async def next_pending(self, campaign_ids: list[int], limit: int) -> list[Delivery]:
        """Due pending rows of these campaigns, oldest first (opted-out users are skipped)."""
        ...

    async def claim(self, delivery_ids: list[int], attempt_id: str) -> set[int]:
        """pending -> sending under this attempt id; returns the ids this call got."""
        ...

    async def mark_sent(self, results: list[tuple[int, str, int]]) -> None:
        """(delivery id, attempt id, Telegram message id) of messages Telegram accepted."""
        ...

    async def mark_blocked(self, delivery_id: int, attempt_id: str, reason: str) -> None: ...

    async def mark_failed(self, delivery_id: int, attempt_id: str, reason: str) -> None: ...

    async def release(
        self, delivery_id: int, attempt_id: str, retry_in: float, counted: bool, reason: str
    ) -> None:
        """Back to pending, due in `retry_in` s; `counted` adds one to the attempt count."""
        ...

    async def finish_if_complete(self, campaign_id: int) -> bool:
        """running -> done when no row is pending or sending; True when this call finished it."""
        ...


class MessageSender(Protocol):
    async def send(self, delivery: Delivery) -> SendOutcome: ...


class BlockList(Protocol):
    async def mark_blocked(self, user_id: int) -> None: ...


class ProgressReporter(Protocol):
    async def report(self, campaign_id: int) -> None:
        """Show the campaign's current counts to whoever follows it (never raises)."""
        ...


# ---- the engine -------------------------------------------------------------------------------


class DeliveryEngine:
    """The single bulk-sending queue. Run it on exactly one process (the scheduler leader)."""

    def __init__(
        self,
        store: DeliveryStore,
        sender: MessageSender,
        blocklist: BlockList,
        progress: ProgressReporter,
        config: DeliveryConfig = DeliveryConfig(),
        clock: Clock | None = None,
        new_attempt_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.store = store
        self.sender = sender
        self.blocklist = blocklist
        self.progress = progress
        self.config = config
        self.clock = clock or MonotonicClock()
        self.new_attempt_id = new_attempt_id
        self.limiter = RateLimiter(config.rate_per_sec)
        self.spacer = ChatSpacer(config.per_chat_interval)
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(config.max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._running: set[int] = set()
        self._in_flight: set[int] = set()
        self._queue: deque[Delivery] = deque()
        self._deferred: list[tuple[float, Delivery]] = []
        self._next_control = 0.0
        self._last_progress: dict[int, float] = {}
        self._sent: asyncio.Queue[tuple[int, str, int] | None] = asyncio.Queue()
        self.too_many_requests = 0  # 429s seen, for benchmarks and logs

    def wake(self) -> None:
        """Look for new work now instead of at the next poll (e.g. after 'send now')."""
        self._wake.set()

    async def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        """Deliver until stopped; in-flight sends finish and are recorded before returning."""
        settled = await self.store.settle_interrupted()
        if settled:
            log.warning("%s deliveries were interrupted mid-send; marked unknown", settled)
        writer = asyncio.create_task(self._write_sent())
        try:
            while not self._stop.is_set():
                await self._refresh_control()
                delivery = await self._next_delivery()
                if delivery is None:
                    await self._idle()
                    continue
                await self._dispatch(delivery)
        finally:
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            self._sent.put_nowait(None)
            await writer

    async def _refresh_control(self, force: bool = False) -> None:
        now = self.clock.now()
        if not force and now < self._next_control:
            return
        self._next_control = now + self.config.control_interval
        running = set(await self.store.running_campaign_ids())
        stopped = self._running - running
        self._running = running
        if stopped:  # paused or cancelled: drop their queued rows at once
            self._queue = deque(d for d in self._queue if d.campaign_id in running)
            self._deferred = [(t, d) for t, d in self._deferred if d.campaign_id in running]
            for campaign_id in stopped:
                await self.progress.report(campaign_id)
                self._last_progress.pop(campaign_id, None)
        for campaign_id in running:
            last = self._last_progress.get(campaign_id)
            if last is None or now - last >= self.config.progress_interval:
                self._last_progress[campaign_id] = now
                await self.progress.report(campaign_id)

    async def _next_delivery(self) -> Delivery | None:
        now = self.clock.now()
        if self._deferred and self._deferred[0][0] <= now:
            return self._deferred.pop(0)[1]
        if not self._queue and self._running:
            rows = await self.store.next_pending(sorted(self._running), self.config.batch_size)
            self._queue.extend(r for r in rows if r.id not in self._in_flight)
            if not self._queue and not self._in_flight and not self._deferred:
                for campaign_id in sorted(self._running):
                    if await self.store.finish_if_complete(campaign_id):
                        await self._refresh_control(force=True)
        while self._queue:
            delivery = self._queue.popleft()
            ready = self.spacer.ready_at(delivery.chat_id)
            if ready <= now:
                return delivery
            self._deferred.append((ready, delivery))  # same chat too soon: later, not never
            self._deferred.sort(key=lambda item: item[0])
        return None

    async def _idle(self) -> None:
        wait = self.config.idle_poll
        if self._deferred:
            wait = min(wait, max(0.0, self._deferred[0][0] - self.clock.now()))
        if self._in_flight and not self._deferred:
            wait = min(wait, 0.05)
        self._wake.clear()
        try:
            await asyncio.wait_for(self._wake.wait(), wait)
        except TimeoutError:
            pass

    async def _dispatch(self, delivery: Delivery) -> None:
        """Wait for a slot, then claim this row (and any others already due) and send."""
        slot = self.limiter.reserve(self.clock.now())
        while not self._stop.is_set():
            delay = slot - self.clock.now()
            if delay <= 0:
                break
            await self.clock.sleep(min(delay, self.config.control_interval))
            await self._refresh_control()
            if delivery.campaign_id not in self._running:
                return  # paused or cancelled while waiting for the slot
        if self._stop.is_set():
            return
        await self._slots.acquire()
        batch = [delivery]
        while len(batch) < self.config.claim_batch and not self._slots.locked():
            extra = self._ready_now()
            if extra is None:
                break
            await self._slots.acquire()  # free (not locked): returns at once
            batch.append(extra)
        now = self.clock.now()
        for item in batch:
            self.spacer.mark(item.chat_id, now)
            self._in_flight.add(item.id)
        attempt = self.new_attempt_id()
        try:
            claimed = await self.store.claim([d.id for d in batch], attempt)
        except Exception:
            claimed = set()
            log.exception("claiming deliveries failed")
        for item in batch:
            if item.id in claimed:
                task = asyncio.create_task(self._deliver(item, attempt))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:  # another engine has it (or the claim failed): not ours to send
                self._done(item)

    def _ready_now(self) -> Delivery | None:
        """The next queued row if its chat is free and a rate slot has already started."""
        if not self._queue:
            return None
        candidate = self._queue[0]
        if self.spacer.ready_at(candidate.chat_id) > self.clock.now():
            return None
        if not self.limiter.try_reserve(self.clock.now()):
            return None
        return self._queue.popleft()

    def _done(self, delivery: Delivery) -> None:
        self._in_flight.discard(delivery.id)
        self._slots.release()

    async def _deliver(self, delivery: Delivery, attempt: str) -> None:
        try:
            outcome = await self.sender.send(delivery)
            await self._record(delivery, attempt, outcome)
        except Exception:  # one recipient must never stop the queue
            log.exception("delivery %s failed unexpectedly", delivery.id)
        finally:
            self._done(delivery)

    async def _write_sent(self) -> None:
        """Group commit of 'sent' rows: one write per burst, immediate when traffic is light.

        A crash loses at most the rows of one burst to 'unknown' (never to a second send).
        """
        while True:
            first = await self._sent.get()
            batch = [first]
            while not self._sent.empty():
                batch.append(self._sent.get_nowait())
            results = [item for item in batch if item is not None]
            if results:
                try:
                    await self.store.mark_sent(results)
                except Exception:
                    log.exception("recording %s sent messages failed", len(results))
            if None in batch:
                return

    async def _record(self, delivery: Delivery, attempt: str, outcome: SendOutcome) -> None:
        store = self.store
        if isinstance(outcome, Sent):
            self._sent.put_nowait((delivery.id, attempt, outcome.message_id))
        elif isinstance(outcome, Blocked):
            await store.mark_blocked(delivery.id, attempt, outcome.reason)
            await self.blocklist.mark_blocked(delivery.user_id)
        elif isinstance(outcome, RetryLater):
            self.too_many_requests += 1
            self.limiter.penalize(self.clock.now(), outcome.seconds)
            log.warning(
                "429 from Telegram: waiting %ss, rate now %.1f/s",
                outcome.seconds,
                self.limiter.rate,
            )
            await store.release(delivery.id, attempt, outcome.seconds, False, "429")
        else:
            delay = retry_delay(delivery.attempts + 1, outcome, self.config)
            if delay is None:
                await store.mark_failed(delivery.id, attempt, outcome.reason)
            else:
                await store.release(delivery.id, attempt, delay, True, outcome.reason)
