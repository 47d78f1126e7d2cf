"""In-memory fakes for the delivery engine's and campaigns' Protocols."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from domain.campaigns.delivery import Delivery, SendOutcome, Sent


@dataclass
class Row:
    delivery: Delivery
    state: str = "pending"
    attempt: str | None = None
    attempts: int = 0
    message_id: int | None = None
    due_at: float = 0.0


@dataclass
class InMemoryDeliveryStore:
    rows: dict[int, Row] = field(default_factory=dict)
    running: set[int] = field(default_factory=set)
    finished: list[int] = field(default_factory=list)

    def add(self, campaign_id: int, chat_ids: list[int]) -> None:
        for chat in chat_ids:
            rid = len(self.rows) + 1
            self.rows[rid] = Row(Delivery(rid, campaign_id, chat, chat, "en"))
        self.running.add(campaign_id)

    def states(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self.rows.values():
            out[row.state] = out.get(row.state, 0) + 1
        return out

    async def settle_interrupted(self) -> int:
        stuck = [r for r in self.rows.values() if r.state == "sending"]
        for row in stuck:
            row.state = "unknown"
        return len(stuck)

    async def running_campaign_ids(self) -> list[int]:
        return sorted(self.running)

    async def next_pending(self, campaign_ids: list[int], limit: int) -> list[Delivery]:
        now = asyncio.get_running_loop().time()
        due = [
            r
            for r in self.rows.values()
            if r.state == "pending" and r.delivery.campaign_id in campaign_ids and r.due_at <= now
        ]
        return [
            Delivery(
                r.delivery.id,
                r.delivery.campaign_id,
                r.delivery.user_id,
                r.delivery.chat_id,
                "en",
                r.attempts,
            )
            for r in due[:limit]
        ]

    async def claim(self, delivery_ids: list[int], attempt_id: str) -> set[int]:
        got = set()
        for rid in delivery_ids:
            row = self.rows[rid]
            if row.state == "pending":
                row.state, row.attempt = "sending", attempt_id
                got.add(rid)
        return got

    def _mine(self, rid: int, attempt: str) -> Row | None:
        row = self.rows[rid]
        return row if row.state == "sending" and row.attempt == attempt else None

    async def mark_sent(self, results: list[tuple[int, str, int]]) -> None:
        for rid, attempt, message_id in results:
            if row := self._mine(rid, attempt):
                row.state, row.message_id = "sent", message_id

    async def mark_blocked(self, delivery_id: int, attempt_id: str, reason: str) -> None:
        if row := self._mine(delivery_id, attempt_id):
            row.state = "blocked"

    async def mark_failed(self, delivery_id: int, attempt_id: str, reason: str) -> None:
        if row := self._mine(delivery_id, attempt_id):
            row.state = "failed"
            row.attempts += 1

    async def release(
        self, delivery_id: int, attempt_id: str, retry_in: float, counted: bool, reason: str
    ) -> None:
        if row := self._mine(delivery_id, attempt_id):
            row.state = "pending"
            row.due_at = asyncio.get_running_loop().time() + retry_in
            row.attempts += 1 if counted else 0

    async def finish_if_complete(self, campaign_id: int) -> bool:
        if campaign_id not in self.running:
            return False
        if any(
            r.state in ("pending", "sending")
            for r in self.rows.values()
            if r.delivery.campaign_id == campaign_id
        ):
            return False
        self.running.discard(campaign_id)
        self.finished.append(campaign_id)
        return True


@dataclass
class ScriptedSender:
    """Answers from a per-chat script (list of outcomes, then Sent); records every send."""

    script: dict[int, list[SendOutcome]] = field(default_factory=dict)
    sent: list[int] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)

    async def send(self, delivery: Delivery) -> SendOutcome:
        self.calls.append(delivery.chat_id)
        queue = self.script.get(delivery.chat_id)
        if queue:
            return queue.pop(0)
        self.sent.append(delivery.chat_id)
        return Sent(len(self.sent))


@dataclass
class RecordingBlockList:
    blocked: list[int] = field(default_factory=list)

    async def mark_blocked(self, user_id: int) -> None:
        self.blocked.append(user_id)


@dataclass
class RecordingProgress:
    reports: list[int] = field(default_factory=list)

    async def report(self, campaign_id: int) -> None:
        self.reports.append(campaign_id)
