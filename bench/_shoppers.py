"""Simulated shoppers for bench/throughput.py: the mixed workload and reply-latency timing.

Reply latency is measured per update from the moment the user sends it to the bot's FIRST
answer concerning that user (a message, an edit, a callback answer): the sandbox's `settle`
quiet period after a reaction is not counted.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox import Sandbox, SandboxUser
from sandbox.models import SandboxError

ADDRESS_BUTTON = "⭐ Buyer, 1 High St, Oxford"
SHIPPING_BUTTON = "Standard delivery — $5.00"
CONFIRM_BUTTON = "💳 Confirm and pay by card"
_original_bot_action = SandboxUser._bot_action


def _timed_bot_action(self: SandboxUser, reply: bool) -> None:
    started = getattr(self, "bench_t0", None)
    if reply and started is not None:
        self.bench_sink.append((time.perf_counter() - started) * 1000)  # type: ignore[attr-defined]
        self.bench_t0 = None  # type: ignore[attr-defined]
    _original_bot_action(self, reply)


def install_latency_probe() -> None:
    """Patch the sandbox users so every reply closes the pending timing."""
    SandboxUser._bot_action = _timed_bot_action  # type: ignore[method-assign]


@dataclass
class Run:
    """What one group of users did: the kind of every update ('m'essage / 'c'allback)."""

    latencies_ms: list[float] = field(default_factory=list)
    kinds: dict[int, list[str]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    transcripts: list[str] = field(default_factory=list)  # of the users who failed
    elapsed_s: float = 0.0
    # Open-loop load (bench/scale_out.py --offered): awaited with (user id, updates) before
    # each step, it holds the step until the pacer's clock says the next update is due.
    pace: Callable[[int, int], Awaitable[None]] | None = None

    @property
    def updates(self) -> int:
        return sum(len(k) for k in self.kinds.values())


async def _timed(
    run: Run, user: SandboxUser, kind: str, action: Awaitable[Any], updates: int = 1
) -> Any:
    if run.pace is not None:
        try:
            await run.pace(user.id, updates)
        except BaseException:
            if inspect.iscoroutine(action):
                action.close()  # never sent: no "coroutine was never awaited" warning
            raise
    user.bench_t0 = time.perf_counter()  # type: ignore[attr-defined]
    user.bench_sink = run.latencies_ms  # type: ignore[attr-defined]
    run.kinds.setdefault(user.id, []).append(kind)
    return await action


@dataclass(frozen=True)
class ShopPlan:
    """What the seeded shop offers the workload: stocked simple goods and search words."""

    product_ids: list[int]
    search_words: list[str]


async def until(user: SandboxUser, shown: Callable[[str, list[str]], bool]) -> None:
    """Wait until the newest bot message shows what the next step needs.

    Under load a reaction can outlast the sandbox's quiet period (the callback answer comes
    first, the edited screen later), so the next step must not act on the previous screen.
    """
    deadline = time.monotonic() + user.sb.reply_timeout
    while time.monotonic() < deadline:
        message = user.last_bot_message
        if message is not None and shown(message.content, message.button_texts()):
            return
        await asyncio.sleep(0.02)
    raise SandboxError(f"the expected screen never came\n{user.transcript(history=True)}")


def has_button(text: str) -> Callable[[str, list[str]], bool]:
    return lambda _content, buttons: text in buttons


def _choose(rng: random.Random, texts: list[str], prefix: str) -> str | None:
    picks = [t for t in texts if t.startswith(prefix)]
    return rng.choice(picks) if picks else None


async def shopper(run: Run, user: SandboxUser, plan: ShopPlan, rng: random.Random) -> None:
    """/start, browse the catalogue to a card, search, add to cart, cart, checkout, pay."""
    try:
        await _timed(run, user, "m", user.send("/start"))
        await until(user, has_button("🛍 Catalog"))
        await _timed(run, user, "c", user.press("🛍 Catalog"))
        await until(user, lambda content, _b: "Choose a category" in content)
        for _depth in range(3):  # category -> subcategory -> product card
            screen = user.last_bot_message
            texts = screen.button_texts() if screen is not None else []
            pick = _choose(rng, texts, "📂") or rng.choice(
                [t for t in texts if " — " in t] or [t for t in texts if not t.startswith("⬅")]
            )
            await _timed(run, user, "c", user.press(pick))
            title = pick.removeprefix("📂 ").split(" — ")[0]
            await until(user, lambda content, _b, title=title: title in content)
            if " — " in pick:
                break  # the card is open
        await _timed(run, user, "m", user.send(rng.choice(plan.search_words)))
        product = rng.choice(plan.product_ids)
        await _timed(run, user, "c", user.press_data(f"cart:add:{product}:0"))
        await _timed(run, user, "m", user.send("/cart"))
        await until(user, has_button("✅ Checkout"))
        await _timed(run, user, "c", user.press("✅ Checkout"))
        await until(user, has_button(ADDRESS_BUTTON))
        await _timed(run, user, "c", user.press(ADDRESS_BUTTON))
        await until(user, has_button(SHIPPING_BUTTON))
        await _timed(run, user, "c", user.press(SHIPPING_BUTTON))
        await until(user, has_button(CONFIRM_BUTTON))
        await _timed(run, user, "c", user.press(CONFIRM_BUTTON))
        await until(user, lambda _c, _b: any(m.raw.get("invoice") for m in user.bot_messages))
        run.kinds[user.id] += ["m"]  # pre_checkout_query + successful_payment
        result = await _timed(run, user, "m", user.pay_invoice(), updates=2)
        if not result.ok:
            run.failures.append(f"{user.id}: payment {result.error}")
    except (SandboxError, AssertionError, IndexError) as exc:
        run.failures.append(f"{user.id}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        run.transcripts.append(user.transcript(history=True))


async def echo_user(run: Run, user: SandboxUser, kinds: list[str]) -> None:
    """The same sequence of message / callback updates, sent to the echo bot."""
    try:
        for n, kind in enumerate(kinds):
            if kind == "m" or user.last_bot_message is None:
                await _timed(run, user, "m", user.send(f"echo {n}"))
            else:
                await _timed(run, user, "c", user.press_data(f"echo:{n}"))
    except SandboxError as exc:
        run.failures.append(f"{user.id}: {type(exc).__name__}: {str(exc).splitlines()[0]}")


async def _at_most(limit: int, sessions: list[Awaitable[None]]) -> float:
    """Run the sessions, at most `limit` at once (people arrive as others leave)."""
    gate = asyncio.Semaphore(limit)

    async def gated(session: Awaitable[None]) -> None:
        async with gate:
            await session

    started = time.perf_counter()
    await asyncio.gather(*(gated(s) for s in sessions))
    return time.perf_counter() - started


async def run_shoppers(
    sb: Sandbox, ids: list[int], plan: ShopPlan, seed: int = 1, concurrency: int = 0
) -> Run:
    run = Run()
    sessions = [
        shopper(run, sb.user(i, f"Shopper {i}"), plan, random.Random(seed + i)) for i in ids
    ]
    run.elapsed_s = await _at_most(concurrency or len(ids), sessions)
    return run


async def run_echo(sb: Sandbox, reference: Run, concurrency: int = 0) -> Run:
    run = Run()
    sessions = [echo_user(run, sb.user(i, f"Echo {i}"), k) for i, k in reference.kinds.items()]
    run.elapsed_s = await _at_most(concurrency or len(sessions), sessions)
    return run


async def flood(sb: Sandbox, user_id: int, per_second: float, stop: asyncio.Event) -> int:
    """One user sending search texts at `per_second` without waiting for answers."""
    user = sb.user(user_id, "Flooder")
    sent, started = 0, time.perf_counter()
    tasks: list[asyncio.Task[Any]] = []
    while not stop.is_set():
        tasks.append(asyncio.create_task(user.send(f"phone {sent}", expect_reply=False)))
        sent += 1
        delay = started + sent / per_second - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return sent


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]
