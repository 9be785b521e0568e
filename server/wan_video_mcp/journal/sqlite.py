"""The durable record of every submission (SQLite).

A row is written *before* the submit request leaves, so a crash at any moment
leaves either a known task or a row that says "outcome unknown" -- never a paid
job nobody can find. "Is there one already? If not, I claim it" is one
`BEGIN IMMEDIATE` transaction, so any number of processes sharing the file submit
an identical request once. WAL mode and one transaction per write make a `kill -9`
mid-write harmless. Calls run on a worker thread so the event loop never blocks.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Generator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from wan_video_mcp.errors import ConfigurationError
from wan_video_mcp.journal.records import (
    Claim,
    JournalRecord,
    UploadRecord,
    abandoned_reason,
    record_from_row,
)
from wan_video_mcp.journal.rows import (
    PRUNE_TASKS,
    PRUNE_UPLOADS,
    RECENT_SUCCESSES,
    REUSABLE_STATES,
    adopted_row,
    claim_fingerprints,
    claim_row,
    conflicting_handle_message,
    download_values,
    reused_too_late,
    run_seconds,
    snapshot_values,
    still_running_since,
)
from wan_video_mcp.journal.serial import SerialRunner
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.tasks import TaskSnapshot, utc_now

T = TypeVar("T")

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
    """
    ALTER TABLE tasks ADD COLUMN owner TEXT;
    ALTER TABLE tasks ADD COLUMN lease_until TEXT;
    ALTER TABLE tasks ADD COLUMN provider_status TEXT;
    CREATE INDEX tasks_state ON tasks (state);
    """,
    """
    ALTER TABLE tasks ADD COLUMN uploads_json TEXT;
    CREATE TABLE uploads (
        sha256 TEXT NOT NULL,
        destination TEXT NOT NULL,
        location TEXT NOT NULL,
        size INTEGER NOT NULL,
        uploaded_at TEXT NOT NULL,
        expires_at TEXT,
        PRIMARY KEY (sha256, destination)
    );
    """,
    """
    ALTER TABLE tasks ADD COLUMN cost_json TEXT;
    """,
    """
    ALTER TABLE tasks ADD COLUMN caller TEXT;
    CREATE INDEX tasks_caller ON tasks (caller, submitted_at);
    """,
    """
    ALTER TABLE tasks ADD COLUMN run_seconds REAL;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
# How long a write waits for another process's transaction (a migration, a claim).
BUSY_SECONDS = 30.0
INCREMENTAL = 2  # PRAGMA auto_vacuum's value for incremental
VACUUM_STEP_PAGES = 256  # 1 MB of 4 KB pages per step
REUSABLE = ", ".join(f"'{state}'" for state in REUSABLE_STATES)


class SqliteJournal:
    def __init__(self, connection: sqlite3.Connection, redactor: Redactor) -> None:
        self._db = connection
        self._redactor = redactor
        # One thread at a time on the one connection; calls queued meanwhile share a trip.
        self._serial = SerialRunner()

    @classmethod
    async def open(cls, path: Path, redactor: Redactor | None = None) -> SqliteJournal:
        try:
            journal = cls(await anyio.to_thread.run_sync(_connect, path), redactor or Redactor([]))
        except (OSError, sqlite3.Error) as exc:
            raise ConfigurationError(_unusable(path, exc)) from None
        await journal._run(_settle_all)  # claims of processes that died since the last start
        return journal

    async def close(self) -> None:
        await self._run(lambda db: db.close())

    async def _run(self, fn: Callable[[sqlite3.Connection], T], durable: bool = True) -> T:
        work = partial(fn, self._db) if durable else partial(_lightly, fn, self._db)
        return await self._serial.run(work)

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
        """An identical submission to return (unless `reuse_window` is None), or a new row owned
        by this process for `lease`, decided in one transaction that all processes respect.

        `params` is what the caller set (kept for people to read); `identity` (default: `params`)
        is what makes two submissions the same: every parameter with its effective value.
        `caller` is recorded as who submitted; with a `viewer`, only that caller's submissions
        are returned instead (one caller never receives another's task)."""
        identity = params if identity is None else identity
        extra = {"uploads": uploads, "cost": cost, "caller": caller}
        row = claim_row(tool, provider, model, params, identity, lease, self._redactor, extra)
        known = claim_fingerprints(tool, provider, model, params, identity)
        claim = partial(_claim, row=row, fingerprints=known, window=reuse_window, viewer=viewer)
        return await self._run(claim)

    async def identical(  # noqa: PLR0917  (the fingerprint's parts, as claim takes them)
        self,
        tool: str,
        provider: str,
        model: str,
        params: dict[str, Any],
        identity: dict[str, Any],
        window: timedelta,
        viewer: str | None = None,
    ) -> JournalRecord | None:
        """The submission `claim` would return instead of a new row now (read only)."""
        known = claim_fingerprints(tool, provider, model, params, identity)
        return await self._run(partial(_reusable, fingerprints=known, window=window, viewer=viewer))

    async def find_upload(self, sha256: str, destination: str) -> UploadRecord | None:
        sql = "SELECT * FROM uploads WHERE sha256 = ? AND destination = ?"
        rows = await self._run(lambda db: db.execute(sql, (sha256, destination)).fetchall())
        return UploadRecord.model_validate(dict(rows[0])) if rows else None

    async def record_upload(self, upload: UploadRecord) -> None:
        row = upload.model_dump(mode="json")
        sql = f"INSERT OR REPLACE INTO uploads ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})"  # noqa: S608  (column names are ours)
        await self._run(lambda db: db.execute(sql, tuple(row.values())))

    async def settle(self, record: JournalRecord) -> JournalRecord:
        """`record`, turned into an unknown outcome first if its claim was abandoned."""
        if record.state != "submitting":
            return record
        return await self._run(partial(_settle, row_id=record.id)) or record

    async def adopt(self, handle: str, provider: str, caller: str | None = None) -> None:
        """Start a record for a handle submitted elsewhere (another replica, an older journal)."""
        row = adopted_row(handle, provider, caller)
        await self._run(partial(_insert, row=row, or_ignore=True))

    async def mark_submitted(self, row_id: int, handle: str) -> bool:
        """Give the row its task handle; False when another submission already holds that handle
        (the provider answered with an earlier task's id), in which case the row says so."""
        # Unconditional on state: even a claim another process wrongly judged abandoned gets
        # its real task.
        return await self._run(partial(_mark_submitted, row_id=row_id, handle=handle))

    async def mark_rejected(self, row_id: int, message: str) -> None:
        await self._update_row(row_id, state="rejected", error_message=message)

    async def mark_unknown(self, row_id: int, message: str) -> None:
        await self._update_row(row_id, state="submit_unknown", error_message=message)

    async def record_snapshot(self, handle: str, snapshot: TaskSnapshot) -> None:
        values = snapshot_values(snapshot, self._redactor)
        # A provider forgets tasks after ~24 h; that must not erase what the journal knows.
        keep_final = snapshot.state.value == "expired"
        # What the provider says can be asked again: no wait for the disk (see _lightly).
        await self._update(("handle", handle), values, keep_final=keep_final, durable=False)

    async def record_provider_status(self, handle: str, raw_status: str) -> None:
        """A status word the server could not map (the state stays what it was)."""
        await self._update(("handle", handle), {"provider_status": raw_status[:200]}, durable=False)

    async def record_download(self, handle: str, local_file: str | None, error: str | None) -> None:
        # Lost to a power cut, it costs one download again (the file's name is fixed per task).
        await self._update(("handle", handle), download_values(local_file, error), durable=False)

    async def get(self, handle: str) -> JournalRecord | None:
        rows = await self._run(partial(_select, sql="SELECT * FROM tasks WHERE handle = ?", args=(handle,)))
        return rows[0] if rows else None

    async def get_row(self, row_id: int) -> JournalRecord | None:
        rows = await self._run(partial(_select, sql="SELECT * FROM tasks WHERE id = ?", args=(row_id,)))
        return rows[0] if rows else None

    async def recent(self, limit: int = 50, viewer: str | None = None) -> list[JournalRecord]:
        """The newest tasks (of `viewer` when given)."""
        return await self.listing((), None, limit, viewer)

    async def submitted_since(self, moment: datetime) -> list[JournalRecord]:
        """Every submission since `moment` (for budgets), refused ones left out."""
        sql = "SELECT * FROM tasks WHERE submitted_at >= ? AND state != 'rejected' AND tool != 'unknown'"
        return await self._run(partial(_select, sql=sql, args=(moment.isoformat(),)))

    async def listing(
        self,
        states: tuple[str, ...],
        model: str | None,
        limit: int,
        viewer: str | None = None,
        older_than: tuple[datetime, int] | None = None,
    ) -> list[JournalRecord]:
        """The newest tasks in `states` (all when empty), of `model` (any when None) and of
        `viewer` (anyone's when None)."""
        conditions, args = ["state != 'rejected'"], list[Any]()
        if viewer is not None:
            conditions.append("caller = ?")
            args.append(viewer)
        if states:
            conditions.append(f"state IN ({', '.join('?' for _ in states)})")
            args += states
        if model is not None:
            conditions.append("model = ?")
            args.append(model)
        if older_than is not None:  # the page after the task (submitted_at, id), in this order
            conditions.append("(submitted_at, id) < (?, ?)")
            args += [older_than[0].isoformat(), older_than[1]]
        where = " AND ".join(conditions)
        sql = f"SELECT * FROM tasks WHERE {where} ORDER BY submitted_at DESC, id DESC LIMIT ?"  # noqa: S608  (placeholders only)
        return await self._run(partial(_select, sql=sql, args=(*args, limit)))

    async def run_times(self, provider: str, model: str, limit: int) -> list[float]:
        query = RECENT_SUCCESSES.format("?")
        since = still_running_since().isoformat()
        args = (provider, model, provider, model, since, limit)
        rows = await self._run(lambda db: db.execute(query, args).fetchall())
        return run_seconds([(row[0], row[1], row[2]) for row in rows])

    async def prune(self, before: datetime) -> int:
        deleted = await self._run(partial(_prune, before=before.isoformat()))
        # Each step is its own turn on the connection: requests interleave with the vacuum.
        while await self._run(_vacuum_step, durable=False):
            pass
        return deleted

    async def _update_row(self, row_id: int, **values: Any) -> None:
        await self._update(("id", row_id), values)

    async def _update(
        self, where: tuple[str, Any], values: dict[str, Any], keep_final: bool = False, durable: bool = True
    ) -> None:
        scrubbed = {column: self._redactor.deep(value) for column, value in values.items()}
        await self._run(partial(_update, where=where, values=scrubbed, keep_final=keep_final), durable)


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=BUSY_SECONDS)
    db.row_factory = sqlite3.Row
    try:
        # A new journal gives freed pages back in steps (see _vacuum_step); no effect on an old
        # one. First: once WAL mode is set the file is no longer new.
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        _migrate(db, path)
    except BaseException:
        db.close()
        raise
    # Prompts and media URLs are private to the user.
    os.chmod(path, 0o600)
    return db


def _unusable(path: Path, exc: Exception) -> str:
    problem = f"Cannot open the task journal at {path} ({exc})."
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return f"{problem} Another wan-video-mcp held it too long; start this one again."
    return f"{problem} Set WAN_MCP_DATA_DIR to a folder this server can write to."


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    # Version check and every step in one write transaction: servers starting together
    # on a new (or older) journal wait for each other instead of migrating twice.
    with _transaction(db):
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise ConfigurationError(
                f"The journal {path} was written by a newer wan-video-mcp (schema {version}, this one "
                f"knows {SCHEMA_VERSION}). Upgrade wan-video-mcp, or set WAN_MCP_DATA_DIR to another folder."
            )
        for number in range(version, SCHEMA_VERSION):
            for statement in filter(str.strip, MIGRATIONS[number].split(";")):
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _lightly(fn: Callable[[sqlite3.Connection], T], db: sqlite3.Connection) -> T:
    """`fn` with its commit not waiting for the disk (WAL, synchronous=NORMAL): a crash of this
    process loses nothing, a power cut may lose it. Claims, handles and unknown outcomes are
    never written so (money depends on them), and each of their commits makes every earlier
    one durable too; a provider's status or a download's outcome only saves a re-ask."""
    db.execute("PRAGMA synchronous=NORMAL")
    try:
        return fn(db)
    finally:
        db.execute("PRAGMA synchronous=FULL")


def _prune(db: sqlite3.Connection, before: str) -> int:
    with _transaction(db):
        deleted = db.execute(PRUNE_TASKS + "?", (before,)).rowcount
        db.execute(PRUNE_UPLOADS + "?", (before,))
    return deleted


def _vacuum_step(db: sqlite3.Connection) -> bool:
    """Give up to VACUUM_STEP_PAGES free pages back to the file system; True while more are left."""
    if not db.execute("PRAGMA freelist_count").fetchone()[0]:
        return False
    if db.execute("PRAGMA auto_vacuum").fetchone()[0] != INCREMENTAL:
        # A journal made before incremental vacuum: one full VACUUM converts it.
        db.execute("PRAGMA auto_vacuum=INCREMENTAL")
        db.execute("VACUUM")
        return False
    # execute() would free one page: the pragma frees a page per result row it steps through.
    db.executescript(f"PRAGMA incremental_vacuum({VACUUM_STEP_PAGES});")
    return bool(db.execute("PRAGMA freelist_count").fetchone()[0])


@contextmanager
def _transaction(db: sqlite3.Connection) -> Generator[None]:
    """A write transaction taken at once: other processes' writers wait until it ends."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _claim(
    db: sqlite3.Connection,
    row: dict[str, Any],
    fingerprints: tuple[str, str],
    window: timedelta | None,
    viewer: str | None,
) -> Claim:
    with _transaction(db):
        existing = None if window is None else _reusable(db, fingerprints, window, viewer)
        return Claim(existing=existing) if existing else Claim(row=_insert(db, row))


def _mark_submitted(db: sqlite3.Connection, row_id: int, handle: str) -> bool:
    with _transaction(db):
        holder = db.execute("SELECT id, tool FROM tasks WHERE handle = ?", (handle,)).fetchone()
        if holder is not None and holder["tool"] == "unknown":
            # A placeholder from get_task (adopted before this submit was answered): ours now.
            db.execute("DELETE FROM tasks WHERE id = ?", (holder["id"],))
        elif holder is not None and holder["id"] != row_id:
            message = conflicting_handle_message(handle)
            _update(db, ("id", row_id), {"state": "submit_unknown", "error_message": message})
            return False
        _update(db, ("id", row_id), {"handle": handle, "state": "queued"})
        return True


def _reusable(
    db: sqlite3.Connection, fingerprints: tuple[str, str], window: timedelta, viewer: str | None = None
) -> JournalRecord | None:
    """The newest identical submission (of `viewer`, if given) in flight, unresolved, or
    succeeded within `window`."""
    mine = "" if viewer is None else "AND caller = ? "
    sql = (
        f"SELECT * FROM tasks WHERE fingerprint IN (?, ?) AND state IN ({REUSABLE}) {mine}"  # noqa: S608  (constants)
        "ORDER BY submitted_at DESC, id DESC LIMIT 5"
    )
    args = fingerprints if viewer is None else (*fingerprints, viewer)
    for record in _select(db, sql, args):
        if not reused_too_late(record, window):
            return record
    return None


def _settle(db: sqlite3.Connection, row_id: int) -> JournalRecord | None:
    [record] = _select(db, "SELECT * FROM tasks WHERE id = ?", (row_id,))
    reason = abandoned_reason(record)
    if reason is None:
        return record
    values = {"state": "submit_unknown", "error_message": reason}
    # Only while still "submitting": a late answer recorded meanwhile wins.
    _update(db, ("id", row_id), values, only_state="submitting")
    [settled] = _select(db, "SELECT * FROM tasks WHERE id = ?", (row_id,))
    return settled


def _settle_all(db: sqlite3.Connection) -> None:
    for (row_id,) in db.execute("SELECT id FROM tasks WHERE state = 'submitting'").fetchall():
        _settle(db, row_id)


def _insert(db: sqlite3.Connection, row: dict[str, Any], or_ignore: bool = False) -> int:
    columns = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
    # Autocommit mode: a single statement is its own atomic transaction.
    sql = f"{verb} INTO tasks ({columns}) VALUES ({marks})"
    cursor = db.execute(sql, tuple(row.values()))
    return cursor.lastrowid or 0


def _update(
    db: sqlite3.Connection,
    where: tuple[str, Any],
    values: dict[str, Any],
    keep_final: bool = False,
    only_state: str | None = None,
) -> None:
    values = {**values, "updated_at": utc_now().isoformat()}
    assignments = ", ".join(f"{column} = ?" for column in values)
    guard = " AND state NOT IN ('succeeded', 'failed', 'canceled')" if keep_final else ""
    arguments = (*values.values(), where[1])
    if only_state is not None:
        guard, arguments = guard + " AND state = ?", (*arguments, only_state)
    sql = f"UPDATE tasks SET {assignments} WHERE {where[0]} = ?{guard}"  # noqa: S608  (as in _insert)
    db.execute(sql, arguments)


def _select(db: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> list[JournalRecord]:
    return [record_from_row(dict(row)) for row in db.execute(sql, args).fetchall()]
