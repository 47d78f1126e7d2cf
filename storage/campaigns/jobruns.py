"""Job-run bookkeeping: which scheduled fire time each job last ran for.

Claiming a fire time is a conditional UPDATE (or the first INSERT), so two replicas that both
think they lead (a lock handover in progress) still run a given fire of a job once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from storage.campaigns.models import JobRunRow


class TortoiseJobRunStore:
    async def last_fire(self, job_id: str) -> datetime | None:
        row = await JobRunRow.get_or_none(job_id=job_id)
        return row.last_fire_at if row else None

    async def claim(self, job_id: str, fire_time: datetime) -> bool:
        now = datetime.now(UTC)
        updated = await JobRunRow.filter(job_id=job_id, last_fire_at__lt=fire_time).update(
            last_fire_at=fire_time, started_at=now, status="running", runs=F("runs") + 1
        )
        if updated == 1:
            return True
        if await JobRunRow.exists(job_id=job_id):
            return False
        try:
            await JobRunRow.create(
                job_id=job_id, last_fire_at=fire_time, started_at=now, status="running", runs=1
            )
        except IntegrityError:
            return False  # another replica claimed the very first run
        return True

    async def finish(self, job_id: str, fire_time: datetime, error: str | None) -> None:
        await JobRunRow.filter(job_id=job_id, last_fire_at=fire_time).update(
            finished_at=datetime.now(UTC),
            status="failed" if error else "ok",
            error=error[:300] if error else None,
        )

    async def runs(self, job_id: str) -> int:
        row = await JobRunRow.get_or_none(job_id=job_id)
        return row.runs if row else 0
