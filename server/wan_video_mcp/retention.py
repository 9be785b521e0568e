"""Journal retention: old finished tasks leave the journal, off the request path.

Every task is about 1 KB and a busy server writes thousands; without pruning the journal
only grows. A background task deletes finished tasks (and dead upload records) older than
WAN_MCP_JOURNAL_RETENTION_DAYS, keeping every task with a saved video, soon after start
and then every few hours; the store gives the space back in small steps.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import anyio

from wan_video_mcp.journal import Journal
from wan_video_mcp.tasks import utc_now

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 6 * 3600.0


async def keep_journal_tidy(journal: Journal, retention_days: float) -> None:
    """Prune now, then every PRUNE_EVERY_SECONDS, for as long as the server runs."""
    if retention_days <= 0:
        return
    while True:
        await prune_once(journal, retention_days)
        await anyio.sleep(PRUNE_EVERY_SECONDS)


async def prune_once(journal: Journal, retention_days: float) -> int:
    """One pass; a failure is logged and retried on the next pass, never raised."""
    try:
        deleted = await journal.prune(utc_now() - timedelta(days=retention_days))
    except Exception as exc:  # tidying must never stop the server
        log.warning("Journal retention pass failed (retried in %.0f h): %s", PRUNE_EVERY_SECONDS / 3600, exc)
        return 0
    if deleted:
        log.info("Journal retention: removed %d finished task(s) older than %g days", deleted, retention_days)
    return deleted
