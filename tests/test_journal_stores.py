"""One journal interface, two stores: every test here runs against SQLite and against a
real PostgreSQL server, through two separate store objects where the point is that
processes or replicas share it."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest

from wan_video_mcp.journal import Claim, Journal, SqliteJournal, UploadRecord
from wan_video_mcp.tasks import TaskSnapshot, TaskState

pytestmark = pytest.mark.anyio

Opener = Callable[[], Awaitable[Journal]]
LEASE = timedelta(minutes=2)
PARAMS = {"prompt": "a fox", "seed": 1}


@pytest.fixture(params=["sqlite", "postgres"])
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens another store object on the same journal (as another process or replica would)."""
    opened: list[Journal] = []
    if request.param == "postgres":
        from wan_video_mcp.journal.postgres import PostgresJournal

        url = request.getfixturevalue("database_url")

        async def opener() -> Journal:
            opened.append(await PostgresJournal.open(url))
            return opened[-1]
    else:

        async def opener() -> Journal:
            opened.append(await SqliteJournal.open(tmp_path / "journal.sqlite3"))
            return opened[-1]

    yield opener
    for journal in opened:
        await journal.close()


async def claim(
    journal: Journal,
    params: dict[str, object] = PARAMS,
    window: timedelta | None = timedelta(hours=1),
    caller: str | None = None,
    viewer: str | None = None,
) -> Claim:
    return await journal.claim(
        "edit_video",
        "dashscope",
        "wan2.7-videoedit",
        dict(params),
        reuse_window=window,
        lease=LEASE,
        caller=caller,
        viewer=viewer,
    )


async def test_a_claim_then_the_identical_request_returns_it(open_store: Opener) -> None:
    journal = await open_store()
    first = await claim(journal)
    assert first.row is not None
    assert await journal.mark_submitted(first.row, "dashscope:t1")
    again = await claim(journal)
    forced = await claim(journal, window=None)

    assert again.existing is not None and again.existing.handle == "dashscope:t1"
    assert forced.row is not None and forced.row != first.row
    record = await journal.get("dashscope:t1")
    assert record is not None and record.state == "queued" and record.params == PARAMS


async def test_identical_claims_from_many_replicas_at_once_make_one_row(open_store: Opener) -> None:
    replicas = [await open_store() for _ in range(3)]
    results: list[int | None] = []

    async def one(journal: Journal) -> None:
        results.append((await claim(journal, {"prompt": "same moment"})).row)

    async with anyio.create_task_group() as tg:
        for n in range(24):
            tg.start_soon(one, replicas[n % 3])

    assert len([row for row in results if row is not None]) == 1


async def test_a_handle_already_held_is_an_unknown_outcome(open_store: Opener) -> None:
    journal = await open_store()
    first, second = await claim(journal, {"n": 1}), await claim(journal, {"n": 2})
    assert first.row and second.row
    assert await journal.mark_submitted(first.row, "dashscope:same")

    assert not await journal.mark_submitted(second.row, "dashscope:same")
    record = await journal.get_row(second.row)
    assert (
        record is not None
        and record.state == "submit_unknown"
        and "already has" in (record.error_message or "")
    )


async def test_an_abandoned_claim_is_an_unknown_outcome_for_everyone(open_store: Opener) -> None:
    dying, other = await open_store(), await open_store()
    stale = await dying.claim(
        "edit_video",
        "dashscope",
        "wan2.7-videoedit",
        PARAMS,
        reuse_window=timedelta(hours=1),
        lease=timedelta(0),
    )
    assert stale.row is not None
    await anyio.sleep(0.01)

    seen = await claim(other)
    assert seen.existing is not None and seen.existing.outcome_unknown
    settled = await other.settle(seen.existing)
    assert settled.state == "submit_unknown" and settled.error_message


async def test_snapshots_downloads_and_a_forgetful_provider(open_store: Opener) -> None:
    journal = await open_store()
    row = (await claim(journal)).row
    assert row is not None
    await journal.mark_submitted(row, "dashscope:v")
    done = TaskSnapshot(
        state=TaskState.SUCCEEDED,
        raw_status="SUCCEEDED",
        video_url="https://example.test/v.mp4",
        video_expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        usage={"duration": 5},
    )
    await journal.record_snapshot("dashscope:v", done)
    await journal.record_download("dashscope:v", "/videos/v.mp4", None)
    await journal.record_snapshot("dashscope:v", TaskSnapshot(state=TaskState.EXPIRED, raw_status="HTTP 404"))

    record = await journal.get("dashscope:v")
    assert record is not None and record.state == "succeeded" and record.finished_at is not None
    assert record.video_url == "https://example.test/v.mp4" and record.usage == {"duration": 5}
    assert record.local_file == "/videos/v.mp4" and record.video_expires_at is not None


async def test_listing_by_state_model_and_caller(open_store: Opener) -> None:
    journal = await open_store()
    rows = [(await claim(journal, {"n": n}, caller="alice" if n % 2 else "bob")).row for n in range(4)]
    for n, row in enumerate(rows):
        assert row is not None
        await journal.mark_submitted(row, f"dashscope:l{n}")
    await journal.record_snapshot("dashscope:l1", TaskSnapshot(state=TaskState.RUNNING, raw_status="RUNNING"))

    alices = await journal.recent(10, viewer="alice")
    running = await journal.listing(("running",), "wan2.7-videoedit", 10)
    since = await journal.submitted_since(datetime.now(UTC) - timedelta(minutes=1))

    assert [record.handle for record in alices] == ["dashscope:l3", "dashscope:l1"]
    assert [record.handle for record in running] == ["dashscope:l1"]
    assert len(since) == 4 and len(await journal.recent(10)) == 4
    assert await journal.listing((), "wan2.1-vace-plus", 10) == []


async def test_listing_pages_after_a_task_in_the_journals_order(open_store: Opener) -> None:
    journal = await open_store()
    for n in range(5):
        await submitted(journal, f"p{n}", None)
    newest = await journal.listing((), None, 2)
    after = await journal.listing((), None, 10, older_than=(newest[-1].submitted_at, newest[-1].id))

    assert [record.handle for record in newest + after] == [f"dashscope:p{n}" for n in range(4, -1, -1)]


async def test_one_caller_is_never_handed_anothers_task(open_store: Opener) -> None:
    journal = await open_store()
    alice = await claim(journal, caller="alice", viewer="alice")
    assert alice.row is not None
    bob = await claim(journal, caller="bob", viewer="bob")
    shared = await claim(journal, caller="carol")

    assert bob.row is not None
    assert shared.existing is not None


async def test_adopted_handles_and_uploads(open_store: Opener) -> None:
    journal = await open_store()
    await journal.adopt("dashscope:elsewhere", "dashscope", "alice")
    await journal.adopt("dashscope:elsewhere", "dashscope", "alice")  # twice is once
    row = (await claim(journal)).row
    assert row is not None
    assert await journal.mark_submitted(row, "dashscope:elsewhere")  # the placeholder gives way
    now = datetime.now(UTC)
    upload = UploadRecord(sha256="ab" * 32, destination="d", location="oss://x", size=10, uploaded_at=now)
    await journal.record_upload(upload)
    await journal.record_upload(upload.model_copy(update={"location": "oss://y"}))

    record = await journal.get("dashscope:elsewhere")
    assert record is not None and record.tool == "edit_video"
    found = await journal.find_upload("ab" * 32, "d")
    assert found is not None and found.location == "oss://y"
    assert await journal.find_upload("cd" * 32, "d") is None


async def test_an_unusable_database_is_one_sentence_without_the_password(database_url: str) -> None:
    from servers import free_port
    from wan_video_mcp.errors import ConfigurationError
    from wan_video_mcp.journal.postgres import PostgresJournal

    with pytest.raises(ConfigurationError) as refused:
        await PostgresJournal.open(f"postgresql://wan:hunter2secret@127.0.0.1:{free_port()}/nothing")

    message = refused.value.message
    assert "hunter2secret" not in message and "WAN_MCP_DATABASE_URL" in message
    assert "refused" in message.lower() or "connect" in message.lower()


async def test_an_older_database_is_upgraded_in_place_by_replicas_starting_together(
    database_url: str,
) -> None:
    """A team's journal from an earlier version (schema 1, a job still running in it), and three
    replicas of this version starting at once: one upgrades it, the others wait, none fails, the
    job is still there and the new column is in use."""
    import psycopg

    from wan_video_mcp.journal.postgres import MIGRATIONS, SCHEMA_VERSION, PostgresJournal

    with psycopg.connect(database_url, autocommit=True) as db:
        for statement in filter(str.strip, MIGRATIONS[0].split(";")):
            db.execute(statement.encode())
        db.execute("CREATE TABLE wan_schema (version INTEGER NOT NULL)")
        db.execute("INSERT INTO wan_schema (version) VALUES (1)")
        db.execute(
            "INSERT INTO tasks (handle, tool, provider, model, params_json, fingerprint, state, submitted_at,"
            " updated_at) VALUES ('dashscope:old', 'edit_video', 'dashscope', 'wan2.7-videoedit', '{}', 'f',"
            " 'running', now() - interval '1 minute', now())"
        )
    replicas: list[Journal] = []

    async def start() -> None:
        replicas.append(await PostgresJournal.open(database_url))

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(start)
    old = await replicas[0].get("dashscope:old")
    await replicas[1].record_snapshot(
        "dashscope:old", TaskSnapshot(state=TaskState.SUCCEEDED, raw_status="SUCCEEDED", run_seconds=55.5)
    )
    times = await replicas[2].run_times("dashscope", "wan2.7-videoedit", limit=20)
    for replica in replicas:
        await replica.close()

    assert old is not None and old.state == "running"
    assert times == [55.5]
    with psycopg.connect(database_url) as db:
        assert db.execute("SELECT version FROM wan_schema").fetchall() == [(SCHEMA_VERSION,)]


async def test_an_upgrade_gives_way_to_a_long_transaction_and_changes_nothing(database_url: str) -> None:
    """A journal one schema behind, and a session left in a transaction that read the tasks table
    (a psql session left open): the upgrade's ALTER, which every other query on the table would
    queue behind, gives up after a short wait with a sentence saying why and what to do, and
    changes nothing; once that session ends, the next start upgrades."""
    import psycopg

    from wan_video_mcp.errors import ConfigurationError
    from wan_video_mcp.journal.postgres import MIGRATIONS, SCHEMA_VERSION, PostgresJournal

    older = SCHEMA_VERSION - 1
    with psycopg.connect(database_url, autocommit=True) as db:
        for migration in MIGRATIONS[:older]:
            for statement in filter(str.strip, migration.split(";")):
                db.execute(statement.encode())
        db.execute("CREATE TABLE wan_schema (version INTEGER NOT NULL)")
        db.execute("INSERT INTO wan_schema (version) VALUES (%s)", (older,))
    with psycopg.connect(database_url) as busy:  # not autocommit: its transaction stays open
        busy.execute("SELECT count(*) FROM tasks")
        with anyio.fail_after(60), pytest.raises(ConfigurationError) as refused:
            await PostgresJournal.open(database_url)
        with psycopg.connect(database_url) as db:
            version_meanwhile = db.execute("SELECT version FROM wan_schema").fetchall()
        busy.rollback()
    journal = await PostgresJournal.open(database_url)
    await journal.close()

    assert "pg_stat_activity" in refused.value.message and "nothing was changed" in refused.value.message
    assert version_meanwhile == [(older,)]
    with psycopg.connect(database_url) as db:
        assert db.execute("SELECT version FROM wan_schema").fetchall() == [(SCHEMA_VERSION,)]


async def test_a_claim_behind_a_stalled_transaction_gives_up_and_records_nothing(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session holding the request's claim lock in a transaction that does not end (a replica
    cut off mid-claim keeps it until the database notices): the identical claim gives up after a
    short wait, with a sentence saying nothing was submitted, instead of waiting for hours; once
    that session ends, the claim goes through."""
    import psycopg

    from wan_video_mcp.errors import JournalBusy
    from wan_video_mcp.journal import postgres
    from wan_video_mcp.journal.rows import claim_fingerprints

    monkeypatch.setattr(postgres, "CLAIM_LOCK_WAIT_MS", 300)
    journal = await postgres.PostgresJournal.open(database_url)
    key = claim_fingerprints("edit_video", "dashscope", "wan2.7-videoedit", PARAMS, PARAMS)[0]
    try:
        with psycopg.connect(database_url) as stalled:  # not autocommit: its transaction stays open
            stalled.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
            with anyio.fail_after(30), pytest.raises(JournalBusy) as busy:
                await claim(journal)
            stalled.rollback()
        made = await claim(journal)
    finally:
        await journal.close()

    assert "Nothing was submitted or charged" in busy.value.message and "0.3 s" in busy.value.message
    assert made.row is not None and made.existing is None  # the refused claim left no row behind


async def submitted(journal: Journal, name: str, state: TaskState | None, saved: str | None = None) -> str:
    """A task under `name` (its handle), moved to `state`, with a saved file when `saved`."""
    made = await claim(journal, {"prompt": name})
    assert made.row is not None
    handle = f"dashscope:{name}"
    await journal.mark_submitted(made.row, handle)
    if state is not None:
        await journal.record_snapshot(handle, TaskSnapshot(state=state, raw_status=state.value.upper()))
    if saved:
        await journal.record_download(handle, saved, None)
    return handle


async def test_retention_deletes_old_finished_tasks_and_keeps_the_rest(open_store: Opener) -> None:
    journal = await open_store()
    old_done = await submitted(journal, "old-done", TaskState.SUCCEEDED)
    old_saved = await submitted(journal, "old-saved", TaskState.SUCCEEDED, saved="/videos/old.mp4")
    old_failed = await submitted(journal, "old-failed", TaskState.FAILED)
    old_running = await submitted(journal, "old-running", TaskState.RUNNING)
    unknown = await claim(journal, {"prompt": "old-unknown"})
    assert unknown.row is not None
    await journal.mark_unknown(unknown.row, "no answer")
    now = datetime.now(UTC)
    dead = UploadRecord(sha256="cd" * 32, destination="d", location="oss://a", size=1, uploaded_at=now)
    await journal.record_upload(dead.model_copy(update={"expires_at": now}))
    live = dead.model_copy(update={"sha256": "ef" * 32, "expires_at": now + timedelta(days=2)})
    await journal.record_upload(live)
    await anyio.sleep(0.01)
    cut = datetime.now(UTC) + timedelta(seconds=0.001)
    await anyio.sleep(0.01)
    young = await submitted(journal, "young-done", TaskState.SUCCEEDED)

    assert await journal.prune(cut) == 2
    assert await journal.prune(cut) == 0  # nothing left to delete: a second pass is harmless
    kept = {record.handle for record in await journal.recent(50)}
    assert kept == {old_saved, old_running, young, None}  # None: the unknown submit has no handle
    assert not {old_done, old_failed} & kept and await journal.get_row(unknown.row) is not None
    assert await journal.find_upload("cd" * 32, "d") is None
    assert await journal.find_upload("ef" * 32, "d") is not None


@pytest.mark.parametrize("made_by", ["this version", "a version before incremental vacuum"])
async def test_retention_gives_the_space_back_to_the_file_system(tmp_path: Path, made_by: str) -> None:
    path = tmp_path / "journal.sqlite3"
    if made_by != "this version":  # a file whose pages are laid out without vacuum bookkeeping
        with closing(sqlite3.connect(path)) as old:
            old.execute("CREATE TABLE earlier (x)")
    journal = await SqliteJournal.open(path)
    with closing(sqlite3.connect(path)) as look:
        assert look.execute("PRAGMA auto_vacuum").fetchone()[0] == (2 if made_by == "this version" else 0)
    for number in range(400):
        await submitted(journal, f"big-{number}-" + "x" * 2000, TaskState.FAILED)
    grown = path.stat().st_size + Path(f"{path}-wal").stat().st_size

    assert await journal.prune(datetime.now(UTC) + timedelta(seconds=1)) == 400
    await journal.close()
    assert path.stat().st_size < grown / 4
    with closing(sqlite3.connect(path)) as reopened:
        assert reopened.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental from now on


async def test_run_times_are_the_newest_successes_of_one_provider_and_model(open_store: Opener) -> None:
    journal = await open_store()
    for name in ("r1", "r2", "r3"):
        await submitted(journal, name, TaskState.SUCCEEDED)
    await submitted(journal, "still-running", TaskState.RUNNING)
    await submitted(journal, "failed", TaskState.FAILED)
    await journal.adopt("dashscope:adopted", "dashscope")
    await journal.record_snapshot(
        "dashscope:adopted", TaskSnapshot(state=TaskState.SUCCEEDED, raw_status="X")
    )

    times = await journal.run_times("dashscope", "wan2.7-videoedit", limit=2)

    assert len(times) == 2 and all(0 <= seconds < 5 for seconds in times)
    assert await journal.run_times("dashscope", "wan2.7-r2v", limit=20) == []
    assert len(await journal.run_times("dashscope", "wan2.7-videoedit", limit=20)) == 3


async def test_run_times_are_the_providers_own_where_it_reported_them(
    open_store: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Jobs seen finished by a poll 100 s after their submit took as long as the provider says,
    not as long as it took us to look (the poll's lag would make every next wait expect the end
    late); a figure longer than what we saw is not believed."""
    journal = await open_store()
    handles = [await submitted(journal, f"job-{number}", None) for number in range(5)]
    seen_later = datetime.now(UTC) + timedelta(seconds=100)
    monkeypatch.setattr("wan_video_mcp.journal.rows.utc_now", lambda: seen_later)
    for handle, seconds in zip(handles, (61.5, 58.25, 64.0, 500.0, None), strict=True):
        finished = TaskSnapshot(state=TaskState.SUCCEEDED, raw_status="SUCCEEDED", run_seconds=seconds)
        await journal.record_snapshot(handle, finished)

    times = sorted(await journal.run_times("dashscope", "wan2.7-videoedit", limit=20))

    assert times[:3] == [58.25, 61.5, 64.0]
    assert 99 < times[3] <= times[4] < 101  # the one not reported, and the one reported as 500 s


async def test_run_times_leave_out_a_batch_still_running(
    open_store: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of jobs submitted together the first to finish are the shortest: while one submitted
    before them still runs, they do not say how long the next job takes."""
    journal = await open_store()
    for name in ("before-1", "before-2", "before-3"):
        await submitted(journal, name, TaskState.SUCCEEDED)
    await submitted(journal, "batch-slow", TaskState.RUNNING)
    await submitted(journal, "batch-quick", TaskState.SUCCEEDED)

    assert len(await journal.run_times("dashscope", "wan2.7-videoedit", limit=20)) == 3
    # A job "running" for longer than jobs run is one nobody collected: it holds nothing back.
    monkeypatch.setattr("wan_video_mcp.journal.rows.RUNNING_AT_MOST", timedelta(0))
    assert len(await journal.run_times("dashscope", "wan2.7-videoedit", limit=20)) == 4


async def test_many_calls_at_once_each_get_their_own_answer(open_store: Opener) -> None:
    """A thousand jobs finishing together: calls queued behind one another share trips to the
    journal (journal/serial.py), and each caller still gets its own row back."""
    journal = await open_store()
    rows: dict[int, int] = {}

    async def submit(n: int) -> None:
        row = (await claim(journal, {"n": n})).row
        assert row is not None and await journal.mark_submitted(row, f"dashscope:many-{n}")
        rows[n] = row

    async def follow(n: int) -> None:
        await journal.record_snapshot(
            f"dashscope:many-{n}", TaskSnapshot(state=TaskState.RUNNING, raw_status="RUNNING")
        )
        record = await journal.get(f"dashscope:many-{n}")
        assert record is not None and record.id == rows[n] and record.params == {"n": n}
        assert record.state == "running"

    async with anyio.create_task_group() as tg:
        for n in range(150):
            tg.start_soon(submit, n)
    async with anyio.create_task_group() as tg:
        for n in range(150):
            tg.start_soon(follow, n)
    assert len(set(rows.values())) == 150
