"""The journal: every submission stored before it leaves, and what became of it.

`records` says what a submission's record holds; `base.Journal` is the one interface;
`sqlite` (the embedded default) and `postgres` (many replicas, WAN_MCP_DATABASE_URL) store
it. A claim ("is there one already? if not, I claim it") is atomic in either store.
"""

from __future__ import annotations

from wan_video_mcp.journal.base import Journal
from wan_video_mcp.journal.records import Claim, JournalRecord, JournalState, UploadRecord, fingerprint
from wan_video_mcp.journal.sqlite import MIGRATIONS, SCHEMA_VERSION, SqliteJournal
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.settings import Settings

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Claim",
    "Journal",
    "JournalRecord",
    "JournalState",
    "SqliteJournal",
    "UploadRecord",
    "fingerprint",
    "open_journal",
]


async def open_journal(settings: Settings, redactor: Redactor | None = None) -> Journal:
    """The configured store: PostgreSQL when WAN_MCP_DATABASE_URL is set, else SQLite."""
    redactor = redactor or settings.redactor()
    if settings.database_url is None:
        return await SqliteJournal.open(settings.journal_path, redactor)
    # The driver is imported only by deployments that use it.
    from wan_video_mcp.journal.postgres import PostgresJournal  # noqa: PLC0415

    return await PostgresJournal.open(settings.database_url.get_secret_value(), redactor)
