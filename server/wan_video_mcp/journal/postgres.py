"""The journal in PostgreSQL, for many replicas behind one load balancer.

The same rows and rules as the SQLite store (`rows.py` builds them for both); what
changes is how "is there one already? if not, I claim it" stays atomic: a transaction
takes an advisory lock on the request's fingerprint, so replicas receiving identical
calls at the same moment queue on that one key, and the second sees the first's row. A
replica that dies mid-submit leaves a claim with a lease; when the lease runs out, every
replica reads it as an unknown outcome -- never resubmitted, never blocking for minutes.

psycopg 3 with its async pool is the only code here that touches the driver; its
failures at start become one ConfigurationError that names WAN_MCP_DATABASE_URL.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.errors import Error as DatabaseError
from psycopg.errors import LockNotAvailable
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from wan_video_mcp.errors import ConfigurationError, JournalBusy
from wan_video_mcp.journal.records import (
    Claim,
    JournalRecord,
    UploadRecord,
    abandoned_reason,
    record_from_row,
)
from wan_video_mcp.journal.rows import (
    FINAL_STATES,
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
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.tasks import TaskSnapshot, utc_now

Connection = AsyncConnection[dict[str, Any]]

# Index = schema version - 1. Never edit a shipped entry; append a new one.
MIGRATIONS = (
    """
    CREATE TABLE tasks (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        handle TEXT UNIQUE,
        tool TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        params_json TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        state TEXT NOT NULL,
        submitted_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        video_url TEXT,
        video_expires_at TIMESTAMPTZ,
        usage_json TEXT,
        error_code TEXT,
        error_message TEXT,
        progress_percent DOUBLE PRECISION,
        local_file TEXT,
        download_error TEXT,
        owner TEXT,
        lease_until TIMESTAMPTZ,
        provider_status TEXT,
        uploads_json TEXT,
        cost_json TEXT,
        caller TEXT
    );
    CREATE INDEX tasks_fingerprint ON tasks (fingerprint, submitted_at);
    CREATE INDEX tasks_submitted ON tasks (submitted_at);
    CREATE INDEX tasks_state ON tasks (state);
    CREATE INDEX tasks_caller ON tasks (caller, submitted_at);
    CREATE TABLE uploads (
        sha256 TEXT NOT NULL,
        destination TEXT NOT NULL,
        location TEXT NOT NULL,
        size BIGINT NOT NULL,
        uploaded_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ,
        PRIMARY KEY (sha256, destination)
    );
    """,
    """
    ALTER TABLE tasks ADD COLUMN run_seconds DOUBLE PRECISION;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
# One key for "migrating now": replicas starting together wait for each other.
MIGRATION_LOCK = 0x57414E4D4350  # "WANMCP"
# How long an upgrade waits for a table that other sessions are using (see _upgrade).
MIGRATION_LOCK_WAIT_MS = 10_000
# Identical claims queue on one advisory lock while the first commits: milliseconds. A claim
# that waits longer is behind a transaction that stalled (a replica cut off mid-claim keeps its
# lock until the database notices the dead connection, by default after hours): the call is
# told so, with nothing submitted, instead of waiting behind it for as long.
CLAIM_LOCK_WAIT_MS = 10_000
POOL_SIZE = 20
# Under a burst, a call waits for a free connection rather than failing after psycopg's 30 s.
POOL_WAIT_SECONDS = 300.0
CONNECT_SECONDS = 15.0


class PostgresJournal:
    def __init__(self, pool: AsyncConnectionPool[Connection], redactor: Redactor) -> None:
        self._pool = pool
        self._redactor = redactor

    @classmethod
    async def open(cls, url: str, redactor: Redactor | None = None) -> PostgresJournal:
        pool = AsyncConnectionPool[Connection](
            url,
            min_size=1,
            max_size=POOL_SIZE,
            timeout=POOL_WAIT_SECONDS,
            open=False,
            # Each statement commits on its own unless a transaction block groups several.
            kwargs={"row_factory": dict_row, "autocommit": True},
            # A connection the server dropped (a restart, a failover) is replaced, not handed out.
            check=_alive,
        )
        try:
            # One plain connection first: its error says why (refused, password, no such database),
            # where the pool would only say that it timed out.
            await (await AsyncConnection.connect(url, connect_timeout=int(CONNECT_SECONDS))).close()
            await pool.open(wait=True, timeout=CONNECT_SECONDS)
            journal = cls(pool, redactor or Redactor([]))
            await journal._migrate()
        except ConfigurationError:
            await pool.close()
            raise
        except (DatabaseError, OSError, TimeoutError) as exc:
            await pool.close()
            raise ConfigurationError(_unusable(url, exc)) from None
        await journal._settle_all()
        return journal

    async def close(self) -> None:
        await self._pool.close()

    async def _migrate(self) -> None:
        async with self._pool.connection() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            await db.execute("CREATE TABLE IF NOT EXISTS wan_schema (version INTEGER NOT NULL)")
            found = await (await db.execute("SELECT version FROM wan_schema")).fetchone()
            version = int(found["version"]) if found else 0
            if version > SCHEMA_VERSION:
                raise ConfigurationError(
                    f"The journal database was written by a newer wan-video-mcp (schema {version}, this "
                    f"one knows {SCHEMA_VERSION}). Upgrade wan-video-mcp, or point WAN_MCP_DATABASE_URL "
                    "elsewhere."
                )
            await _upgrade(db, version)
            await db.execute("DELETE FROM wan_schema")
            await db.execute("INSERT INTO wan_schema (version) VALUES (%s)", (SCHEMA_VERSION,))

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
        identity = params if identity is None else identity
        extra = {"uploads": uploads, "cost": cost, "caller": caller}
        row = claim_row(tool, provider, model, params, identity, lease, self._redactor, extra)
        known = claim_fingerprints(tool, provider, model, params, identity)
        async with self._pool.connection() as db, db.transaction():
            await _wait_for_locks_at_most(db, CLAIM_LOCK_WAIT_MS)
            try:
                # Every replica claiming this request queues here until the first one commits.
                await db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (known[0],))
                existing = None if reuse_window is None else await _reusable(db, known, reuse_window, viewer)
                return Claim(existing=existing) if existing else Claim(row=await _insert(db, row))
            except LockNotAvailable:
                raise JournalBusy(
                    f"The journal database kept this request waiting over {CLAIM_LOCK_WAIT_MS / 1000:g} s: "
                    "another session holds it (an identical request being recorded, or a transaction left "
                    "open; pg_stat_activity lists them). Nothing was submitted or charged; try again shortly."
                ) from None

    async def identical(  # noqa: PLR0917  (as the interface)
        self,
        tool: str,
        provider: str,
        model: str,
        params: dict[str, Any],
        identity: dict[str, Any],
        window: timedelta,
        viewer: str | None = None,
    ) -> JournalRecord | None:
        known = claim_fingerprints(tool, provider, model, params, identity)
        async with self._pool.connection() as db:
            return await _reusable(db, known, window, viewer)

    async def find_upload(self, sha256: str, destination: str) -> UploadRecord | None:
        query = "SELECT * FROM uploads WHERE sha256 = %s AND destination = %s"
        async with self._pool.connection() as db:
            found = await (await db.execute(query, (sha256, destination))).fetchone()
        return UploadRecord.model_validate(found) if found else None

    async def record_upload(self, upload: UploadRecord) -> None:
        row = upload.model_dump(mode="json")
        query = sql.SQL(
            "INSERT INTO uploads ({columns}) VALUES ({values}) ON CONFLICT (sha256, destination) DO UPDATE "
            "SET location = EXCLUDED.location, size = EXCLUDED.size, uploaded_at = EXCLUDED.uploaded_at, "
            "expires_at = EXCLUDED.expires_at"
        ).format(**_columns(row))
        async with self._pool.connection() as db:
            await db.execute(query, tuple(row.values()))

    async def settle(self, record: JournalRecord) -> JournalRecord:
        if record.state != "submitting":
            return record
        return await self._settle(record.id) or record

    async def _settle(self, row_id: int) -> JournalRecord | None:
        record = await self.get_row(row_id)
        reason = abandoned_reason(record) if record else None
        if record is None or reason is None:
            return record
        values = {"state": "submit_unknown", "error_message": reason}
        # Only while still "submitting": a late answer recorded meanwhile wins.
        await self._update(("id", row_id), values, only_state="submitting")
        return await self.get_row(row_id)

    async def _settle_all(self) -> None:
        async with self._pool.connection() as db:
            found = await (await db.execute("SELECT id FROM tasks WHERE state = 'submitting'")).fetchall()
        for row in found:
            await self._settle(int(row["id"]))

    async def adopt(self, handle: str, provider: str, caller: str | None = None) -> None:
        async with self._pool.connection() as db:
            await _insert(db, adopted_row(handle, provider, caller), or_ignore=True)

    async def mark_submitted(self, row_id: int, handle: str) -> bool:
        async with self._pool.connection() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (handle,))
            query = "SELECT id, tool FROM tasks WHERE handle = %s FOR UPDATE"
            holder = await (await db.execute(query, (handle,))).fetchone()
            if holder is not None and holder["tool"] == "unknown":
                # A placeholder from get_task (adopted before this submit was answered): ours now.
                await db.execute("DELETE FROM tasks WHERE id = %s", (holder["id"],))
            elif holder is not None and holder["id"] != row_id:
                values = {"state": "submit_unknown", "error_message": conflicting_handle_message(handle)}
                await _update(db, ("id", row_id), values)
                return False
            await _update(db, ("id", row_id), {"handle": handle, "state": "queued"})
            return True

    async def mark_rejected(self, row_id: int, message: str) -> None:
        await self._update(("id", row_id), {"state": "rejected", "error_message": message})

    async def mark_unknown(self, row_id: int, message: str) -> None:
        await self._update(("id", row_id), {"state": "submit_unknown", "error_message": message})

    async def record_snapshot(self, handle: str, snapshot: TaskSnapshot) -> None:
        # A provider forgets tasks after ~24 h; that must not erase what the journal knows.
        keep_final = snapshot.state.value == "expired"
        values = snapshot_values(snapshot, self._redactor)
        await self._update(("handle", handle), values, keep_final=keep_final)

    async def record_provider_status(self, handle: str, raw_status: str) -> None:
        await self._update(("handle", handle), {"provider_status": raw_status[:200]})

    async def record_download(self, handle: str, local_file: str | None, error: str | None) -> None:
        await self._update(("handle", handle), download_values(local_file, error))

    async def get(self, handle: str) -> JournalRecord | None:
        found = await self._select("SELECT * FROM tasks WHERE handle = %s", (handle,))
        return found[0] if found else None

    async def get_row(self, row_id: int) -> JournalRecord | None:
        found = await self._select("SELECT * FROM tasks WHERE id = %s", (row_id,))
        return found[0] if found else None

    async def recent(self, limit: int = 50, viewer: str | None = None) -> list[JournalRecord]:
        return await self.listing((), None, limit, viewer)

    async def submitted_since(self, moment: datetime) -> list[JournalRecord]:
        query = "SELECT * FROM tasks WHERE submitted_at >= %s AND state != 'rejected' AND tool != 'unknown'"
        return await self._select(query, (moment,))

    async def listing(
        self,
        states: tuple[str, ...],
        model: str | None,
        limit: int,
        viewer: str | None = None,
        older_than: tuple[datetime, int] | None = None,
    ) -> list[JournalRecord]:
        conditions, args = ["state != 'rejected'"], list[Any]()
        if viewer is not None:
            conditions.append("caller = %s")
            args.append(viewer)
        if states:
            conditions.append("state = ANY(%s)")
            args.append(list(states))
        if model is not None:
            conditions.append("model = %s")
            args.append(model)
        if older_than is not None:  # the page after the task (submitted_at, id), in this order
            conditions.append("(submitted_at, id) < (%s, %s)")
            args += [older_than[0], older_than[1]]
        where = " AND ".join(conditions)
        query = f"SELECT * FROM tasks WHERE {where} ORDER BY submitted_at DESC, id DESC LIMIT %s"  # noqa: S608  (placeholders only)
        return await self._select(query, (*args, limit))

    async def run_times(self, provider: str, model: str, limit: int) -> list[float]:
        async with self._pool.connection() as db:
            args = (provider, model, provider, model, still_running_since(), limit)
            cursor = await db.execute(RECENT_SUCCESSES.format("%s").encode(), args)
            rows = await cursor.fetchall()
        return run_seconds([(row["submitted_at"], row["finished_at"], row["run_seconds"]) for row in rows])

    async def prune(self, before: datetime) -> int:
        # PostgreSQL's autovacuum reuses the space; nothing to give back by hand.
        async with self._pool.connection() as db:
            deleted = (await db.execute((PRUNE_TASKS + "%s").encode(), (before,))).rowcount
            await db.execute((PRUNE_UPLOADS + "%s").encode(), (before,))
        return max(0, deleted)

    async def _select(self, query: str, args: tuple[Any, ...]) -> list[JournalRecord]:
        async with self._pool.connection() as db:
            return await _select(db, query, args)

    async def _update(
        self,
        where: tuple[str, Any],
        values: dict[str, Any],
        keep_final: bool = False,
        only_state: str | None = None,
    ) -> None:
        scrubbed = {column: self._redactor.deep(value) for column, value in values.items()}
        async with self._pool.connection() as db:
            await _update(db, where, scrubbed, keep_final, only_state)


async def _alive(db: Connection) -> None:
    await db.execute("SELECT 1")


async def _reusable(
    db: Connection, fingerprints: tuple[str, str], window: timedelta, viewer: str | None
) -> JournalRecord | None:
    """The newest identical submission (of `viewer`, if given) in flight, unresolved, or
    succeeded within `window`."""
    mine = "" if viewer is None else "AND caller = %s "
    query = (
        f"SELECT * FROM tasks WHERE fingerprint = ANY(%s) AND state = ANY(%s) {mine}"  # noqa: S608  (constants)
        "ORDER BY submitted_at DESC, id DESC LIMIT 5"
    )
    args: tuple[Any, ...] = (list(fingerprints), list(REUSABLE_STATES))
    for record in await _select(db, query, args if viewer is None else (*args, viewer)):
        if not reused_too_late(record, window):
            return record
    return None


def _columns(row: dict[str, Any]) -> dict[str, sql.Composable]:
    return {
        "columns": sql.SQL(", ").join(map(sql.Identifier, row)),
        "values": sql.SQL(", ").join(sql.Placeholder() * len(row)),
    }


async def _insert(db: Connection, row: dict[str, Any], or_ignore: bool = False) -> int:
    conflict = " ON CONFLICT DO NOTHING" if or_ignore else ""
    query = sql.SQL("INSERT INTO tasks ({columns}) VALUES ({values})" + conflict + " RETURNING id")  # noqa: S608  (constants)
    found = await (await db.execute(query.format(**_columns(row)), tuple(row.values()))).fetchone()
    return int(found["id"]) if found else 0


async def _update(
    db: Connection,
    where: tuple[str, Any],
    values: dict[str, Any],
    keep_final: bool = False,
    only_state: str | None = None,
) -> None:
    values = {**values, "updated_at": utc_now()}
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(column), sql.Placeholder()) for column in values
    )
    guard = sql.SQL(" AND state <> ALL(%s)" if keep_final else "")
    arguments: tuple[Any, ...] = (*values.values(), where[1], *([list(FINAL_STATES)] if keep_final else []))
    if only_state is not None:
        guard, arguments = sql.SQL("{} AND state = %s").format(guard), (*arguments, only_state)
    query = sql.SQL("UPDATE tasks SET {} WHERE {} = %s{}").format(
        assignments, sql.Identifier(where[0]), guard
    )
    await db.execute(query, arguments)


async def _select(db: Connection, query: str, args: tuple[Any, ...]) -> list[JournalRecord]:
    rows = await (await db.execute(query.encode(), args)).fetchall()
    return [record_from_row(row) for row in rows]


async def _upgrade(db: AsyncConnection[dict[str, Any]], version: int) -> None:
    """The migrations after `version`, in the caller's transaction. An ALTER waits for every
    transaction using the table, and every query after it waits behind it: one long transaction
    elsewhere (a psql session left open) would stall every replica on this database. So the
    upgrade waits a short while, then gives up, changing nothing."""
    if version < SCHEMA_VERSION:
        await _wait_for_locks_at_most(db, MIGRATION_LOCK_WAIT_MS)
    try:
        for number in range(version, SCHEMA_VERSION):
            for statement in filter(str.strip, MIGRATIONS[number].split(";")):
                await db.execute(statement.encode())
    except LockNotAvailable:
        raise ConfigurationError(
            f"The journal database needs an upgrade (schema {version} -> {SCHEMA_VERSION}), and another "
            f"session kept its tables busy for {MIGRATION_LOCK_WAIT_MS / 1000:g} s, so nothing was changed. "
            "End long-running transactions on it (pg_stat_activity lists them) and start again."
        ) from None


async def _wait_for_locks_at_most(db: Connection, milliseconds: int) -> None:
    """For the rest of this transaction, a statement waiting longer for a lock fails with
    LockNotAvailable (the setting ends with the transaction: pooled connections keep none)."""
    await db.execute(f"SET LOCAL lock_timeout = '{milliseconds}ms'".encode())


def _unusable(url: str, exc: BaseException) -> str:
    where = re.sub(r"//[^@/]*@", "//", url)  # never the password
    reason = " ".join(str(exc).split())[:240]
    return (
        f"Cannot use the journal database {where} ({type(exc).__name__}: {reason}). "
        "Check WAN_MCP_DATABASE_URL (postgresql://user:password@host:5432/dbname) and that the server is up."
    )
