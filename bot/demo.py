"""`python main.py demo`: the whole bot offline, against the local Telegram emulator.

Starts the sandbox and Kiosk on loopback with a fresh SQLite database, seeds a small shop,
plays a scripted shopper conversation, prints the transcript and exits 0 — or 1 if the bot
made any call that real Telegram would have refused.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.sandboxed import Sandboxed, run_sandboxed
from bot.settings import Settings
from sandbox import SandboxUser

log = logging.getLogger(__name__)

Scene = Callable[[Sandboxed], Awaitable[list[SandboxUser]]]


async def shopper_registers(k: Sandboxed) -> list[SandboxUser]:
    """A friend invites Alice; she fills in her profile and switches to Chinese."""
    bob = k.sandbox.user(2002, "Bob", username="bob", language_code="en")
    await bob.send("/start")
    code = await k.app.services.users.repo.get_by_telegram_id(2002)
    assert code is not None
    alice = k.sandbox.user(2001, "Alice", username="alice", language_code="en")
    await alice.send(f"/start ref_{code.referral_code}")
    await alice.send("/profile")
    await alice.press("✏️ Name")
    await alice.send("Alice Liddell 🌸")
    await alice.press("📱 Phone")
    await alice.tap("📱 Share my phone number")
    await alice.send("/profile")
    await alice.press("📍 Addresses")
    await alice.press("➕ Add address")
    await alice.send("Alice Liddell")
    await alice.press("Use +15551234567")
    await alice.send("Oxford")
    await alice.send("Christ Church, St Aldates")
    await alice.send("OX1 1DP")
    await alice.press("✅ Save")
    await alice.press("⬅️ Profile")
    await alice.press("🌐 Language")
    await alice.press("中文")
    await alice.send("/help")
    await alice.send("/teleport")
    return [bob, alice]


SCENES: list[tuple[str, Scene]] = [
    ("A shopper registers through a friend's link and fills in her profile", shopper_registers),
]


def print_transcript(title: str, users: list[SandboxUser]) -> None:
    print(f"\n=== {title} ===")
    for user in users:
        print(f"--- chat with {user.first_name} ---")
        print(user.transcript(history=True))


async def run_demo(settings: Settings) -> int:
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as tmp:
        database_url = f"sqlite://{Path(tmp) / 'demo.sqlite3'}"
        async with run_sandboxed(database_url, shop={"name": settings.shop.name}) as running:
            print(
                f"Kiosk demo: sandbox Telegram at {running.sandbox.base_url}, "
                f"database {database_url}"
            )
            for title, scene in SCENES:
                print_transcript(title, await scene(running))
            refused = running.sandbox.errors
            for call in refused:
                print(f"REFUSED by Telegram rules: {call.method}: {call.description}")
            print(f"\n{len(running.sandbox.calls)} Bot API calls, {len(refused)} refused.")
            return 1 if refused else 0
