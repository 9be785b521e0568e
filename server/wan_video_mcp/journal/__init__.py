"""The journal: every submission on disk before it leaves, and what became of it.

`records` says what a submission's record holds; `sqlite` stores it (the embedded
default). A claim ("is there one already? if not, I claim it") is atomic in the store.
"""

from wan_video_mcp.journal.records import Claim, JournalRecord, JournalState, UploadRecord, fingerprint
from wan_video_mcp.journal.sqlite import MIGRATIONS, SCHEMA_VERSION, Journal

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Claim",
    "Journal",
    "JournalRecord",
    "JournalState",
    "UploadRecord",
    "fingerprint",
]
