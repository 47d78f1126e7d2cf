"""The scheduled recommendation rebuild (registered in bot/jobs.py, run by the leader only)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.jobs.scheduler import JobContext

log = logging.getLogger(__name__)


async def rebuild_recommendations(ctx: JobContext) -> None:
    """Fold the events since the last build into the model (in the worker process), store the
    snapshot, and serve it; `reload()` is then a no-op here and picks it up on other replicas."""
    recs = ctx.services.recs_runtime
    report = await recs.service.rebuild()
    await recs.service.reload()
    log.info(
        "recommendations rebuilt: %s events, %s items in %.2f s (snapshot %s)",
        report.events_read,
        report.items,
        report.seconds,
        report.snapshot_id,
    )
