"""The journal: every submission on disk before the tool returns, crash-safe, self-upgrading."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from mcp import Client

from conftest import R2V_ARGS, emulator_settings
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import RunningEmulator
from wan_video_mcp.errors import ConfigurationError
from wan_video_mcp.journal import MIGRATIONS, SCHEMA_VERSION, SqliteJournal, fingerprint
from wan_video_mcp.settings import Settings

pytestmark = pytest.mark.anyio


def rows(path: Path) -> list[sqlite3.Row]:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM tasks ORDER BY id").fetchall()
    finally:
        db.close()


async def test_a_submission_is_on_disk_when_the_tool_returns(client: Client, settings: Settings) -> None:
    result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 9, "wait_seconds": 0})

    [row] = rows(settings.journal_path)
    assert row["handle"] == (result.structured_content or {})["task_id"]
    assert (row["tool"], row["provider"], row["model"], row["state"]) == (
        "generate_reference_video",
        "dashscope",
        "wan2.7-r2v",
        "queued",
    )
    assert json.loads(row["params_json"]) == {**R2V_ARGS, "seed": 9}
    assert len(row["fingerprint"]) == 64 and row["submitted_at"]


async def test_the_record_follows_the_task_to_the_end(client: Client, settings: Settings) -> None:
    result = await client.call_tool("generate_reference_video", R2V_ARGS)

    [row] = rows(settings.journal_path)
    structured = result.structured_content or {}
    assert row["state"] == "succeeded" and row["finished_at"]
    assert row["video_url"] == structured["video_url"] and row["video_expires_at"]
    assert row["local_file"] == structured["local_file"]
    assert json.loads(row["usage_json"])["video_count"] == 1


@pytest.mark.parametrize("provider", ["dashscope", "modellix", "apiyi", "aimlapi"])
async def test_a_run_time_is_the_providers_own_not_when_a_poll_saw_the_end(
    emulator: RunningEmulator, tmp_path: Path, provider: str
) -> None:
    """The first poll comes long after this job's end: the journal keeps how long the job ran
    by the provider's clock (DashScope's and Modellix's submit and end times), so the next
    waits expect their ends when they come, not a poll's lag later."""
    settings = emulator_settings(emulator, tmp_path, poll_first_seconds=1.5, poll_max_seconds=3.0)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": provider})

    [row] = rows(settings.journal_path)
    task = emulator.state.find(provider, row["handle"].partition(":")[2])
    assert task is not None and task.ended_at is not None and not result.is_error
    seen = (
        datetime.fromisoformat(row["finished_at"]) - datetime.fromisoformat(row["submitted_at"])
    ).total_seconds()
    if provider in ("dashscope", "modellix"):
        assert row["run_seconds"] == pytest.approx(task.ended_at - task.created_at, abs=0.002)
        assert seen >= 1.5 > row["run_seconds"]
    else:  # no times in their answers: what our polls saw is all there is
        assert row["run_seconds"] is None and seen >= 1.5


async def test_an_older_journal_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
    old.execute(
        "INSERT INTO tasks (handle, tool, provider, model, params_json, fingerprint, state, submitted_at, updated_at)"
        " VALUES ('dashscope:old', 'edit_video', 'dashscope', 'wan2.7-videoedit', '{}', 'f', 'running',"
        " '2026-11-20T10:00:00+00:00', '2026-11-20T10:00:00+00:00')"
    )
    old.commit()
    old.close()

    journal = await SqliteJournal.open(path)
    record = await journal.get("dashscope:old")
    await journal.close()

    assert record is not None and record.state == "running" and record.local_file is None
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    columns = {row[1] for row in db.execute("PRAGMA table_info(tasks)")}
    db.close()
    assert {
        "local_file",
        "download_error",
        "owner",
        "lease_until",
        "provider_status",
        "run_seconds",
    } <= columns


async def test_a_journal_from_a_newer_version_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    newer = sqlite3.connect(path)
    newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    newer.close()

    with pytest.raises(ConfigurationError, match=r"newer wan-video-mcp.*WAN_MCP_DATA_DIR"):
        await SqliteJournal.open(path)


async def test_wal_mode_and_private_permissions(tmp_path: Path) -> None:
    path = tmp_path / "data" / "journal.sqlite3"
    journal = await SqliteJournal.open(path)
    await journal.close()

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600


WRITER = """
import anyio, sys
from datetime import timedelta
from pathlib import Path
from wan_video_mcp.journal import SqliteJournal

async def main():
    journal = await SqliteJournal.open(Path(sys.argv[1]))
    n = 0
    while True:
        params = {"n": n, "pad": "x" * 2000}
        claim = await journal.claim("edit_video", "dashscope", "wan2.7-videoedit", params, reuse_window=None, lease=timedelta(minutes=1))
        await journal.mark_submitted(claim.row, f"dashscope:{n}")
        n += 1
        if n == 20:
            print("writing", flush=True)

anyio.run(main)
"""


def test_a_kill_9_mid_write_leaves_a_consistent_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
    time.sleep(0.3)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=10)

    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count, torn = db.execute(
        "SELECT count(*), sum(state = 'submitting' AND handle IS NULL) FROM tasks"
    ).fetchone()
    db.close()
    assert count >= 20
    assert torn <= 1, "at most the one row being written when the kill came may lack its handle"


async def test_a_request_journaled_before_an_upgrade_is_still_found(
    client: Client, settings: Settings
) -> None:
    # Rows before schema 3 were fingerprinted from the parameters the caller set.
    first = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})
    db = sqlite3.connect(settings.journal_path)
    db.execute(
        "UPDATE tasks SET fingerprint = ?",
        (fingerprint("generate_reference_video", "dashscope", "wan2.7-r2v", R2V_ARGS),),
    )
    db.commit()
    db.close()

    again = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})

    assert (again.structured_content or {})["task_id"] == (first.structured_content or {})["task_id"]
    assert (again.structured_content or {})["reused"]


async def test_reading_recent_tasks_as_a_resource(client: Client, emulator: RunningEmulator) -> None:
    await client.call_tool(
        "edit_video", {"video_url": "https://x.example/in.mp4", "prompt": "snow", "wait_seconds": 0}
    )
    listed = await client.list_resources()

    uris = [str(resource.uri) for resource in listed.resources]
    task_id = next(iter(emulator.state.tasks.values())).task_id
    assert "wan://tasks/recent" in uris
    assert f"wan://tasks/dashscope/{task_id}" in uris

    one = json.loads((await client.read_resource(f"wan://tasks/dashscope/{task_id}")).contents[0].text)  # type: ignore[union-attr]
    assert one["task_id"] == f"dashscope:{task_id}" and one["params"]["prompt"] == "snow"
    assert one["continue_with"] == {"tool": "get_task", "arguments": {"task_id": f"dashscope:{task_id}"}}


def test_an_unusable_data_folder_is_one_clear_sentence_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    initialize = (
        '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",'
        '"capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n'
    )

    done = subprocess.run(
        [sys.executable, "-m", "wan_video_mcp"],
        input=initialize,
        env={**os.environ, "WAN_MCP_DATA_DIR": str(blocker / "data")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert "WAN_MCP_DATA_DIR" in done.stderr and "Traceback" not in done.stderr


OPENER = """
import anyio, sys
from pathlib import Path
from wan_video_mcp.journal import SqliteJournal

async def main():
    journal = await SqliteJournal.open(Path(sys.argv[1]))
    await journal.close()

anyio.run(main)
"""


@pytest.mark.parametrize("start", ["new", "schema 1"])
def test_servers_starting_together_on_one_journal_all_start(tmp_path: Path, start: str) -> None:
    for round_ in range(3):
        path = tmp_path / f"{round_}" / "journal.sqlite3"
        path.parent.mkdir()
        if start == "schema 1":  # an older journal: they race to upgrade it
            old = sqlite3.connect(path)
            old.executescript(MIGRATIONS[0] + "PRAGMA user_version = 1;")
            old.close()
        openers = [
            subprocess.Popen([sys.executable, "-c", OPENER, str(path)], stderr=subprocess.PIPE, text=True)
            for _ in range(6)
        ]
        failures = [opener.communicate(timeout=60)[1] for opener in openers if opener.wait(timeout=60) != 0]
        assert failures == [], failures[0]
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.close()
