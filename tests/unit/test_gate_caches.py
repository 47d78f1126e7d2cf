"""The per-update gate reads from memory and reloads once when its cache expires, however
many updates are in flight (domain/support SupportService.refusal, run on every update)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from domain.staff.audit import AuditService
from domain.staff.service import StaffService
from domain.support.service import Refusal, SupportRepository, SupportService
from domain.support.types import Maintenance
from tests.unit.admin_fakes import InMemoryAudit, InMemoryStaff


class GateReads:
    """The two reads the gate makes, counted (the rest of SupportRepository is unused)."""

    def __init__(self) -> None:
        self.blocked: set[int] = {42}
        self.reads = 0

    async def blocked_ids(self) -> set[int]:
        self.reads += 1
        await asyncio.sleep(0)  # a real query suspends: the other updates arrive meanwhile
        return set(self.blocked)

    async def maintenance(self) -> Maintenance:
        return Maintenance()


async def test_an_expired_gate_cache_is_reloaded_once_for_every_update_in_flight() -> None:
    now = [0.0]
    repo = GateReads()
    audit = AuditService(InMemoryAudit())
    staff = StaffService(InMemoryStaff([]), frozenset({1}), audit)
    support = SupportService(
        cast(SupportRepository, cast(Any, repo)), staff, audit, clock=lambda: now[0]
    )
    refusals = await asyncio.gather(*(support.refusal(n) for n in (42, 43) * 100))
    assert refusals[:2] == [Refusal.BLOCKED, None] and repo.reads == 1
    now[0] += 6
    repo.blocked = {43}
    refusals = await asyncio.gather(*(support.refusal(n) for n in (42, 43) * 100))
    assert refusals[:2] == [None, Refusal.BLOCKED] and repo.reads == 2
