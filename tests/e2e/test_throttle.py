"""Per-user throttling: a flood is dropped before it costs the database anything.

The throughput it buys for everybody else is measured by `bench/throughput.py --flood`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from demo.harness import Sandboxed
from domain.users.service import TelegramIdentity, User
from tests.e2e.conftest import running_kiosk

BURST = 5
SLOW_DOWN_ZH = "操作太快了，请稍等一下。"


@pytest_asyncio.fixture
async def strict(
    mode: str, request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Sandboxed]:
    """A Kiosk whose bucket holds BURST updates and (for the test's length) never refills."""
    throttle = {"rate": 0.001, "burst": BURST}
    async with running_kiosk(mode, request, tmp_path, throttle=throttle) as running:
        yield running


async def test_a_flood_is_dropped_before_the_user_is_looked_up(strict: Sandboxed) -> None:
    users = strict.app.services.users
    looked_up: list[int] = []
    original = users.seen

    async def counting_seen(identity: TelegramIdentity) -> tuple[User, bool]:
        looked_up.append(identity.telegram_id)
        return await original(identity)

    users.seen = counting_seen  # type: ignore[method-assign]
    li = strict.sandbox.user(1001, "Li", language_code="zh-hans")
    await li.send("/start")  # the first token
    presses = [li.press_data(f"flood:{n}", expect_reply=False) for n in range(30)]
    await asyncio.gather(*presses)
    await strict.sandbox.wait_idle()
    # Only the updates the bucket let through reached the user lookup (one query each).
    assert len(looked_up) == BURST
    answers = [c.params for c in strict.sandbox.calls if c.method == "answerCallbackQuery"]
    slow_down = [a for a in answers if a.get("text") == SLOW_DOWN_ZH]
    # Answered in Telegram's language for the person: their profile isn't read for a drop.
    assert len(slow_down) == 30 - (BURST - 1), answers[:3]
    other = strict.sandbox.user(1002, "Bo")
    replies = await other.send("/start")  # somebody else is not held back
    assert replies and "Bo" in replies[0].content
