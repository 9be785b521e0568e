"""Journal retention through the real server: an old finished task leaves the journal soon
after a start, a young one stays, and retention 0 keeps everything."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from pydantic import ValidationError

from conftest import NAMED, R2V_ARGS, emulator_settings
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import RunningEmulator
from wan_video_mcp.settings import Settings

pytestmark = pytest.mark.anyio


async def finished_task(client: Client, seed: int) -> str:
    result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": seed})
    structured: dict[str, Any] = result.structured_content or {}
    assert structured["status"] == "succeeded"
    return str(structured["task_id"])


def age(journal: Path, handle: str, days: float) -> None:
    """Make `handle` look last changed `days` ago (as if the server had run that long)."""
    moment = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    with closing(sqlite3.connect(journal)) as db, db:
        db.execute(
            "UPDATE tasks SET updated_at = ?, submitted_at = ? WHERE handle = ?", (moment, moment, handle)
        )


async def listed_handles(client: Client) -> set[str]:
    listed = await client.call_tool("list_tasks", {"limit": 100})
    return {task["task_id"] for task in (listed.structured_content or {})["tasks"]}


async def handles_after_a_restart(settings: Settings, gone: str, patience: float) -> set[str]:
    """The listed tasks once `gone` has gone, or after `patience` seconds (the pass runs in the
    background after the start)."""
    async with Client(build_server(settings), client_info=NAMED) as restarted:
        handles = await listed_handles(restarted)
        for _ in range(int(patience / 0.05)):
            if gone not in handles:
                break
            await anyio.sleep(0.05)
            handles = await listed_handles(restarted)
        return handles


@pytest.mark.parametrize("retention_days", [90.0, 0.0])
async def test_old_finished_tasks_leave_the_journal_after_a_start(
    emulator: RunningEmulator, tmp_path: Path, retention_days: float
) -> None:
    settings = emulator_settings(emulator, tmp_path, download=False, journal_retention_days=retention_days)
    async with Client(build_server(settings), client_info=NAMED) as client:
        old, young = await finished_task(client, 1), await finished_task(client, 2)
    age(settings.journal_path, old, days=91)

    remaining = await handles_after_a_restart(settings, gone=old, patience=10 if retention_days else 1)

    assert remaining == ({young} if retention_days else {old, young})


def test_a_retention_shorter_than_a_month_is_refused() -> None:
    with pytest.raises(ValidationError, match="WAN_MCP_JOURNAL_RETENTION_DAYS must be 0"):
        Settings.model_validate({"journal_retention_days": 7})


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"journal_retention_days": float("inf")}, "journal_retention_days"),
        (
            {"journal_retention_days": 40, "dedupe_window_seconds": 50 * 86400},
            "WAN_MCP_DEDUPE_WINDOW_SECONDS",
        ),
    ],
)
def test_a_retention_that_cannot_hold_is_refused(values: dict[str, float], named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings.model_validate(values)
