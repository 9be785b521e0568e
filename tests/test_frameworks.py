"""Agent frameworks' own MCP clients, each in its own virtualenv and on its default
settings, drive the real server over stdio against the emulator (no model involved):
tools convert, no call times out or raises, and long jobs finish through get_task.

The virtualenvs come from `python3 tests/frameworks/setup.py` (CI runs it); without
them these tests skip and say so.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from conftest import emulator_env
from wan_video_mcp.emulator import RunningEmulator, TaskScript
from wan_video_mcp.player import PLAYER_URI

pytestmark = [pytest.mark.anyio, pytest.mark.frameworks]
ROOT = Path(__file__).resolve().parent.parent
DRIVERS = ROOT / "tests" / "frameworks"
VENVS = ROOT / ".framework-venvs"
TOOLS = ["cancel_task", "edit_video", "generate_reference_video", "get_task", "list_tasks", "vace_edit"]
# framework: (driver, its default timeout for one tool call in seconds, None for none)
FRAMEWORKS: dict[str, tuple[str, float | None]] = {
    "openai-agents": ("drive_openai_agents.py", 5.0),
    "google-adk": ("drive_google_adk.py", 5.0),
    "pydantic-ai-1": ("drive_pydantic_ai.py", 300.0),
    "pydantic-ai-2": ("drive_pydantic_ai.py", 300.0),
    "langchain": ("drive_langchain.py", None),
}
# The scenario's jobs, in the order the driver submits them (tests/frameworks/common.py).
JOBS = {
    "a 5 s job": TaskScript(queue_seconds=0.5, run_seconds=4.5),
    "an 8 s job": TaskScript(queue_seconds=0.5, run_seconds=7.5),
    "wait_seconds 0": TaskScript(queue_seconds=0.2, run_seconds=0.8),
    "an edit": TaskScript(queue_seconds=0.2, run_seconds=1.0),
    "a vace edit": TaskScript(queue_seconds=0.2, run_seconds=1.0),
    "a failing job": TaskScript(queue_seconds=0.2, run_seconds=1.0, outcome="failed"),
}
FAILING = {"a failing job"}


async def run_driver(framework: str, env: dict[str, str]) -> list[dict[str, Any]]:
    python = VENVS / framework / "bin" / "python"
    if not python.exists():
        if os.environ.get("CI") == "true":  # CI creates them first: a skip would hide a failure
            pytest.fail(f"{framework} has no virtualenv; run: python3 tests/frameworks/setup.py")
        pytest.skip(
            f"{framework} has no virtualenv here; create them with: python3 tests/frameworks/setup.py"
        )
    driver = DRIVERS / FRAMEWORKS[framework][0]
    with anyio.fail_after(240):
        done = await anyio.run_process([str(python), str(driver)], env=env, cwd=DRIVERS, check=False)
    steps = [json.loads(line) for line in done.stdout.decode().splitlines() if line.startswith("{")]
    assert done.returncode == 0, done.stderr.decode()[-3000:] + done.stdout.decode()[-2000:]
    return steps


@pytest.mark.parametrize("framework", list(FRAMEWORKS))
async def test_a_framework_on_its_defaults(emulator: RunningEmulator, tmp_path: Path, framework: str) -> None:
    for script in JOBS.values():
        emulator.state.script_next(script)
    env = {**os.environ, **emulator_env(emulator, tmp_path), "WAN_SERVER_PYTHON": sys.executable}
    env.pop("WAN_MCP_WAIT_SECONDS", None)  # the server's own choice for this client

    steps = {step["step"]: step for step in await run_driver(framework, env)}

    assert steps["tools"]["names"] == TOOLS, "every tool converted by the framework"
    limit = FRAMEWORKS[framework][1]
    for job in JOBS:
        first, follow = steps[job], steps[f"{job}: get_task"]
        calls = [first, *follow["calls"]]
        assert first["status"] in ("running", "succeeded", "failed") and first["handle"], first
        assert follow["final"] == ("failed" if job in FAILING else "succeeded"), follow
        slowest = max(call["seconds"] for call in calls)
        assert limit is None or slowest < limit - 0.5, f"{job}: a call took {slowest} s of {limit}"
        running = [call for call in calls if call["status"] == "running"]
        assert all(call["says_when"] for call in running), f"{job}: a still-running answer says when"
        if job not in FAILING:
            assert follow["saved"] and Path(follow["saved"]).is_file(), f"{job}: the video is saved"
    if limit is not None and limit < 8:
        assert steps["an 8 s job"]["status"] == "running", "a job longer than the timeout: a handle"
    assert emulator.state.count(call="submit") == len(JOBS), "nothing submitted twice"
    if "widgets" in steps:  # ADK renders each call's MCP Apps view: the player
        assert steps["widgets"]["uris"] == [PLAYER_URI] and steps["widgets"]["count"] > len(JOBS)
