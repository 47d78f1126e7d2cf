"""Run a bot (Kiosk or the echo baseline) in its own process against the bench's sandbox.

A separate process makes its peak RSS its own (VmHWM from /proc) and lets the sandbox and the
simulated users use the other core instead of competing with the bot's event loop.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from demo.harness import SANDBOX_TOKEN, WEBHOOK_SECRET, free_port
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
READY_CALLS = {"polling": "getUpdates", "webhook": "setWebhook"}


def bot_env(sb: Sandbox, mode: str, database_url: str, redis_url: str | None) -> dict[str, str]:
    """Environment for `main.py run` (and the echo bot) pointing at the sandbox."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIOSK_", "WEBHOOK__"))}
    env.update(
        BOT_TOKEN=SANDBOX_TOKEN,
        BOT_API_BASE_URL=sb.base_url,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url or "",
        MODE=mode,
        PAYMENTS__CURRENCY="USD",
        PAYMENTS__PROVIDER_TOKEN="284685063:TEST:bench",
        SCHEDULER__ENABLED="false",  # jobs are not part of the shopper workload
        PYTHONUNBUFFERED="1",
    )
    if mode == "webhook":
        port = free_port()
        env.update(
            {
                "WEBHOOK__URL": f"http://127.0.0.1:{port}/telegram/webhook",
                "WEBHOOK__SECRET": WEBHOOK_SECRET,
                "WEBHOOK__HOST": "127.0.0.1",
                "WEBHOOK__PORT": str(port),
            }
        )
    return env


class BotProcess:
    """One bot process; `ready_s` is process start -> the bot asked for updates."""

    def __init__(self, argv: list[str], env: dict[str, str], sb: Sandbox, mode: str) -> None:
        self.sb = sb
        self.mode = mode
        self._calls0 = len(sb.calls)
        self._log = tempfile.NamedTemporaryFile("w+", prefix="bench-bot-", suffix=".log")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, *argv], cwd=ROOT, env=env, stdout=self._log, stderr=self._log
        )
        self.ready_s: float | None = None

    async def wait_ready(self, timeout: float = 120.0) -> float:  # noqa: ASYNC109
        wanted = READY_CALLS[self.mode]
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if any(c.method == wanted for c in self.sb.calls[self._calls0 :]):
                self.ready_s = time.perf_counter() - self.started
                return self.ready_s
            if self.proc.poll() is not None:
                raise RuntimeError(f"bot exited with {self.proc.returncode}:\n{self.log_tail()}")
            await asyncio.sleep(0.005)
        raise RuntimeError(f"bot not ready after {timeout}s:\n{self.log_tail()}")

    def peak_rss_mb(self) -> float:
        """The process's high-water resident set size so far (VmHWM), in MiB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        self._log.seek(0)
        return "".join(self._log.readlines()[-lines:])

    def errors(self) -> tuple[int, str]:
        """How many errors the bot logged, and the first one with its traceback."""
        self._log.flush()
        self._log.seek(0)
        lines = self._log.readlines()
        starts = [n for n, line in enumerate(lines) if " ERROR " in line]
        if not starts:
            return 0, ""
        first = lines[starts[0] : starts[0] + 200]
        end = next((n for n, line in enumerate(first[1:], 1) if line[:4].isdigit()), len(first))
        return len(starts), "".join(first[:1] + first[max(1, end - 12) : end])

    async def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # main.py closes cleanly on Ctrl-C
            for _ in range(200):
                if self.proc.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            else:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
