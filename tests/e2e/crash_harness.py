"""A Kiosk that can be SIGKILLed: `python main.py run` as a child process against an in-process
sandbox, killed from inside the sandbox at a chosen Bot API call and started again.

The kill happens after "Telegram" has accepted the call and before its response reaches the
bot: the worst moment, where the bot's side effects are done but it doesn't know it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from demo.harness import SANDBOX_TOKEN, WEBHOOK_SECRET, free_port
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_TOKEN = "284685063:TEST:kiosk-crash"
CallFilter = Callable[[str, dict[str, Any]], bool]


class KillableKiosk:
    """Runs Kiosk in a child process; `kill_at` arms a SIGKILL for the k-th matching call,
    after which the process is started again by itself (as systemd's Restart= would)."""

    def __init__(
        self,
        sandbox: Sandbox,
        db_url: str,
        redis_url: str | None,
        mode: str,
        log_path: Path,
        **env: str,
    ) -> None:
        self.sandbox = sandbox
        self.log_path = log_path
        self.env = {
            **os.environ,
            "BOT_TOKEN": SANDBOX_TOKEN,
            "BOT_API_BASE_URL": sandbox.base_url,
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url or "",
            "ADMIN_IDS": "9000",
            "MODE": mode,
            "PAYMENTS__CURRENCY": "USD",
            "PAYMENTS__PROVIDER_TOKEN": PROVIDER_TOKEN,
            "THROTTLE__RATE": "1000",
            "THROTTLE__BURST": "1000",
            "SCHEDULER__LEADER_TTL": "2",
            "CAMPAIGNS__DUE_CHECK_SECONDS": "1",
            "CAMPAIGNS__RATE_PER_SEC": "200",
            "CAMPAIGNS__PER_CHAT_INTERVAL": "0",
            "LOG_LEVEL": "INFO",
        }
        if mode == "webhook":
            port = free_port()
            self.env.update(
                {
                    "WEBHOOK__URL": f"http://127.0.0.1:{port}/telegram/webhook",
                    "WEBHOOK__SECRET": WEBHOOK_SECRET,
                    "WEBHOOK__HOST": "127.0.0.1",
                    "WEBHOOK__PORT": str(port),
                }
            )
        self.env.update(env)
        self.processes: list[subprocess.Popen[bytes]] = []
        self.kills = 0
        self._filter: CallFilter | None = None
        self._left = 0
        self._restarted = asyncio.Event()
        self._original = sandbox.handle_call
        sandbox.handle_call = self._handle_call  # type: ignore[method-assign]

    @property
    def current(self) -> subprocess.Popen[bytes]:
        return self.processes[-1]

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "main.py", "run"],
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=log,
                )
            )

    def kill_at(self, k: int, matching: CallFilter) -> None:
        """SIGKILL the bot right after the k-th Bot API call that `matching` accepts."""
        self._restarted.clear()
        self._filter, self._left = matching, k

    async def wait_restarted(self, timeout: float = 60) -> None:  # noqa: ASYNC109
        """Until the armed kill has happened and a new process was started."""
        try:
            await asyncio.wait_for(self._restarted.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"the armed kill never fired; log in {self.log_path}") from None

    async def _handle_call(self, token: str, method: str, p: Any) -> tuple[int, dict[str, Any]]:
        status, body = await self._original(token, method, p)
        if self._filter is not None and status == 200 and self._filter(method.lower(), p.data):
            self._left -= 1
            if self._left == 0:
                self._filter = None
                self.current.send_signal(signal.SIGKILL)
                self.kills += 1
                asyncio.get_running_loop().create_task(self._restart())
        return status, body

    async def _restart(self) -> None:
        await asyncio.to_thread(self.current.wait)
        assert self.current.returncode == -signal.SIGKILL
        self.start()
        self._restarted.set()

    def stop(self) -> None:
        self.sandbox.handle_call = self._original  # type: ignore[method-assign]
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


async def wait_until(
    check: Callable[[], Any],
    timeout: float,  # noqa: ASYNC109
    what: str,
    describe: Callable[[], str] | None = None,
) -> None:
    """Poll an async (or plain) check until it is truthy; a deadline, never a timing
    assertion. `describe` adds context (a process's log tail) to the failure."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            detail = f"\n{describe()}" if describe is not None else ""
            raise AssertionError(f"timed out waiting for {what}{detail}")
        await asyncio.sleep(0.1)
