"""The durable record of every submission (SQLite).

A row is written *before* the submit request leaves, so a crash at any moment
leaves either a known task or a row that says "outcome unknown" -- never a paid
job nobody can find. WAL mode and one transaction per write make a `kill -9`
mid-write harmless. Calls run on a worker thread so the event loop never blocks.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

import anyio
import anyio.to_thread
from pydantic import BaseModel

from wan_video_mcp.errors import ConfigurationError
from wan_video_mcp.tasks import TaskSnapshot, utc_now

T = TypeVar("T")
JournalState = Literal[
    "submitting",
    "submit_unknown",
    "rejected",
    "queued",
    "running",
    "succeeded",
    "failed",
    "canceled",
    "expired",
]
# A "submitting" row older than this belongs to a process that died mid-submit.
STALE_SUBMIT = timedelta(minutes=2)

# Index = schema version - 1. Never edit a shipped entry; append a new one.
MIGRATIONS = (
    """
    CREATE TABLE tasks (
        id INTEGER PRIMARY KEY,
        handle TEXT UNIQUE,
        tool TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        params_json TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        state TEXT NOT NULL,
        submitted_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT,
        video_url TEXT,
        video_expires_at TEXT,
        usage_json TEXT,
        error_code TEXT,
        error_message TEXT,
        progress_percent REAL
    );
    CREATE INDEX tasks_fingerprint ON tasks (fingerprint, submitted_at);
    CREATE INDEX tasks_submitted ON tasks (submitted_at);
    """,
    """
    ALTER TABLE tasks ADD COLUMN local_file TEXT;
    ALTER TABLE tasks ADD COLUMN download_error TEXT;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class JournalRecord(BaseModel):
    id: int
    handle: str | None
    tool: str
    provider: str
    model: str
    params: dict[str, Any]
    fingerprint: str
    state: JournalState
    submitted_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    video_url: str | None = None
    video_expires_at: datetime | None = None
    usage: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    progress_percent: float | None = None
    local_file: str | None = None
    download_error: str | None = None

    @property
    def outcome_unknown(self) -> bool:
        return self.state == "submit_unknown" or (
            self.state == "submitting" and utc_now() - self.submitted_at > STALE_SUBMIT
        )


def fingerprint(tool: str, provider: str, model: str, params: dict[str, Any]) -> str:
    """Same tool, provider, model and parameters => same fingerprint."""
    canonical = json.dumps([tool, provider, model, params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class Journal:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection
        # One thread at a time on the one connection.
        self._limiter = anyio.CapacityLimiter(1)

    @classmethod
    async def open(cls, path: Path) -> Journal:
        try:
            return cls(await anyio.to_thread.run_sync(_connect, path))
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(
                f"Cannot open the task journal at {path} ({exc}). Set WAN_MCP_DATA_DIR to a folder this "
                "server can write to."
            ) from None

    async def close(self) -> None:
        await self._run(lambda db: db.close())

    async def _run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await anyio.to_thread.run_sync(partial(fn, self._db), limiter=self._limiter)

    async def begin_submission(self, tool: str, provider: str, model: str, params: dict[str, Any]) -> int:
        now = utc_now().isoformat()
        row = {
            "tool": tool,
            "provider": provider,
            "model": model,
            "params_json": json.dumps(params, sort_keys=True),
            "fingerprint": fingerprint(tool, provider, model, params),
            "state": "submitting",
            "submitted_at": now,
            "updated_at": now,
        }
        return await self._run(partial(_insert, row=row))

    async def adopt(self, handle: str, provider: str) -> None:
        """Start a record for a handle submitted elsewhere (another replica, an older journal)."""
        now = utc_now().isoformat()
        row = {
            "handle": handle,
            "tool": "unknown",
            "provider": provider,
            "model": "unknown",
            "params_json": "{}",
            "fingerprint": f"adopted:{handle}",  # never matches a new submission
            "state": "queued",
            "submitted_at": now,
            "updated_at": now,
        }
        await self._run(partial(_insert, row=row, or_ignore=True))

    async def mark_submitted(self, row_id: int, handle: str) -> None:
        await self._update_row(row_id, handle=handle, state="queued")

    async def mark_rejected(self, row_id: int, message: str) -> None:
        await self._update_row(row_id, state="rejected", error_message=message)

    async def mark_unknown(self, row_id: int, message: str) -> None:
        await self._update_row(row_id, state="submit_unknown", error_message=message)

    async def record_snapshot(self, handle: str, snapshot: TaskSnapshot) -> None:
        values: dict[str, Any] = {
            "state": snapshot.state.value,
            "progress_percent": snapshot.progress_percent,
            "error_code": snapshot.error_code,
            "error_message": snapshot.error_message,
        }
        if snapshot.state.is_terminal:
            # Our clock, like submitted_at: provider clocks and zones are not ours to trust.
            values["finished_at"] = utc_now().isoformat()
        if snapshot.video_url:
            values["video_url"] = snapshot.video_url
            values["video_expires_at"] = _iso(snapshot.video_expires_at)
        if snapshot.usage is not None:
            values["usage_json"] = json.dumps(snapshot.usage)
        # A provider forgets tasks after ~24 h; that must not erase what the journal knows.
        keep_final = snapshot.state.value == "expired"
        await self._run(partial(_update, where=("handle", handle), values=values, keep_final=keep_final))

    async def record_download(self, handle: str, local_file: str | None, error: str | None) -> None:
        values = (
            {"download_error": error}
            if local_file is None
            else {"local_file": local_file, "download_error": None}
        )
        await self._run(partial(_update, where=("handle", handle), values=values))

    async def get(self, handle: str) -> JournalRecord | None:
        rows = await self._run(partial(_select, sql="SELECT * FROM tasks WHERE handle = ?", args=(handle,)))
        return rows[0] if rows else None

    async def get_row(self, row_id: int) -> JournalRecord | None:
        rows = await self._run(partial(_select, sql="SELECT * FROM tasks WHERE id = ?", args=(row_id,)))
        return rows[0] if rows else None

    async def recent(self, limit: int = 50) -> list[JournalRecord]:
        sql = "SELECT * FROM tasks WHERE state != 'rejected' ORDER BY submitted_at DESC, id DESC LIMIT ?"
        return await self._run(partial(_select, sql=sql, args=(limit,)))

    async def find_reusable(self, fingerprint_: str, window: timedelta) -> JournalRecord | None:
        """The newest identical submission that is in flight, unresolved, or succeeded within `window`."""
        sql = (
            "SELECT * FROM tasks WHERE fingerprint = ? AND state IN "
            "('submitting', 'submit_unknown', 'queued', 'running', 'succeeded') "
            "ORDER BY submitted_at DESC, id DESC LIMIT 5"
        )
        for record in await self._run(partial(_select, sql=sql, args=(fingerprint_,))):
            if (
                record.state != "succeeded"
                or utc_now() - (record.finished_at or record.submitted_at) <= window
            ):
                return record
        return None

    async def _update_row(self, row_id: int, **values: Any) -> None:
        await self._run(partial(_update, where=("id", row_id), values=values))


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10.0)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA busy_timeout=10000")
    _migrate(db, path)
    # Prompts and media URLs are private to the user.
    os.chmod(path, 0o600)
    return db


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        db.close()
        raise ConfigurationError(
            f"The journal {path} was written by a newer wan-video-mcp (schema {version}, this one knows "
            f"{SCHEMA_VERSION}). Upgrade wan-video-mcp, or set WAN_MCP_DATA_DIR to another folder."
        )
    for number in range(version, SCHEMA_VERSION):
        # executescript commits first; the explicit transaction makes each step all-or-nothing.
        db.executescript(f"BEGIN IMMEDIATE; {MIGRATIONS[number]} PRAGMA user_version = {number + 1}; COMMIT;")


def _insert(db: sqlite3.Connection, row: dict[str, Any], or_ignore: bool = False) -> int:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
    # Autocommit mode: a single statement is its own atomic transaction.
    sql = f"{verb} INTO tasks ({columns}) VALUES ({marks})"
    cursor = db.execute(sql, tuple(row.values()))
    return cursor.lastrowid or 0


def _update(
    db: sqlite3.Connection, where: tuple[str, Any], values: dict[str, Any], keep_final: bool = False
) -> None:
    values = {**values, "updated_at": utc_now().isoformat()}
    assignments = ", ".join(f"{column} = ?" for column in values)
    guard = " AND state NOT IN ('succeeded', 'failed', 'canceled')" if keep_final else ""
    sql = f"UPDATE tasks SET {assignments} WHERE {where[0]} = ?{guard}"  # noqa: S608  (as in _insert)
    db.execute(sql, (*values.values(), where[1]))


def _select(db: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> list[JournalRecord]:
    return [_record(row) for row in db.execute(sql, args).fetchall()]


def _record(row: sqlite3.Row) -> JournalRecord:
    data = dict(row)
    data["params"] = json.loads(data.pop("params_json"))
    usage = data.pop("usage_json")
    data["usage"] = json.loads(usage) if usage else None
    return JournalRecord.model_validate(data)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
