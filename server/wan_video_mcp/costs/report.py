"""`wan-video-mcp check`'s spending lines: what the journal's jobs cost today and this month,
against the budgets."""

from __future__ import annotations

from wan_video_mcp.costs.spending import Spending
from wan_video_mcp.costs.table import PriceTable
from wan_video_mcp.journal import open_journal
from wan_video_mcp.settings import Settings


async def spend_report(settings: Settings) -> str:
    PriceTable.load(settings.prices_file)  # a broken price file is reported before any job is
    if not settings.journal_path.exists():  # nothing submitted yet; do not create a journal
        return "Spending: nothing submitted yet (no journal at " + str(settings.journal_path) + ")."
    journal = await open_journal(settings)
    try:
        spend = await Spending.create(settings, journal).spend()
    finally:
        await journal.close()
    left = spend.left()
    remaining = f"; {left:.2f} {spend.currency} left before a cap" if left is not None else ""
    return f"Spending (estimates, actual charges where reported): {spend.summary()}{remaining}."
