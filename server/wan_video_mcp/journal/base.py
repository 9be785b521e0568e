"""The journal's one interface: what the service asks of a store, whichever holds the rows
(SQLite on one machine, PostgreSQL for many replicas). Like httpx's transports: the rest
of the code holds a `Journal` and never learns which."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from wan_video_mcp.journal.records import Claim, JournalRecord, UploadRecord
from wan_video_mcp.tasks import TaskSnapshot


class Journal(Protocol):
    async def close(self) -> None: ...

    async def claim(
        self,
        tool: str,
        provider: str,
        model: str,
        params: dict[str, Any],
        *,
        reuse_window: timedelta | None,
        lease: timedelta,
        identity: dict[str, Any] | None = None,
        uploads: list[dict[str, Any]] | None = None,
        cost: dict[str, Any] | None = None,
        caller: str | None = None,
        viewer: str | None = None,
    ) -> Claim:
        """An identical submission to return, or a new row this process owns -- decided
        atomically for every process and replica sharing the store."""
        ...

    async def identical(  # noqa: PLR0917  (the fingerprint's parts, as claim takes them)
        self,
        tool: str,
        provider: str,
        model: str,
        params: dict[str, Any],
        identity: dict[str, Any],
        window: timedelta,
        viewer: str | None = None,
    ) -> JournalRecord | None: ...

    async def find_upload(self, sha256: str, destination: str) -> UploadRecord | None: ...

    async def record_upload(self, upload: UploadRecord) -> None: ...

    async def settle(self, record: JournalRecord) -> JournalRecord: ...

    async def adopt(self, handle: str, provider: str, caller: str | None = None) -> None: ...

    async def mark_submitted(self, row_id: int, handle: str) -> bool: ...

    async def mark_rejected(self, row_id: int, message: str) -> None: ...

    async def mark_unknown(self, row_id: int, message: str) -> None: ...

    async def record_snapshot(self, handle: str, snapshot: TaskSnapshot) -> None: ...

    async def record_provider_status(self, handle: str, raw_status: str) -> None: ...

    async def record_download(self, handle: str, local_file: str | None, error: str | None) -> None: ...

    async def get(self, handle: str) -> JournalRecord | None: ...

    async def get_row(self, row_id: int) -> JournalRecord | None: ...

    async def recent(self, limit: int = 50, viewer: str | None = None) -> list[JournalRecord]: ...

    async def submitted_since(self, moment: datetime) -> list[JournalRecord]: ...

    async def listing(
        self,
        states: tuple[str, ...],
        model: str | None,
        limit: int,
        viewer: str | None = None,
        older_than: tuple[datetime, int] | None = None,
    ) -> list[JournalRecord]: ...

    async def run_times(self, provider: str, model: str, limit: int) -> list[float]:
        """Seconds from submit to seen finished, of the newest `limit` successes of `model` at
        `provider` (for pacing polls)."""
        ...

    async def prune(self, before: datetime) -> int:
        """Delete tasks last changed before `before` that will not change any more and have no
        saved video, and upload records dead by then; give the space back in small steps
        (never one long lock). Returns how many tasks went."""
        ...
