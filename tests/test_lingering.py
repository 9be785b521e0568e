"""Polling on after a call returns with its job still running (lingering.py), through the real
client and server against the emulator: a job that ends between an agent's calls is seen and
saved before the next call, the next call does not ask again what was just answered, and a
job nobody asks about again is left alone after the linger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from conftest import EDIT_ARGS, NAMED, emulator_settings
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import RunningEmulator, TaskScript

pytestmark = pytest.mark.anyio

LONG = TaskScript(queue_seconds=0.1, run_seconds=3600)


def connect(emulator: RunningEmulator, tmp_path: Path, **overrides: Any) -> Client:
    return Client(build_server(emulator_settings(emulator, tmp_path, **overrides)), client_info=NAMED)


async def until(condition: Any, seconds: float = 10.0) -> None:
    with anyio.fail_after(seconds):
        while not condition():  # noqa: ASYNC110  (the emulator gives no event)
            await anyio.sleep(0.02)


async def test_a_job_ending_between_calls_is_seen_and_saved_before_the_next_call(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=0.1, run_seconds=0.8))
    async with connect(emulator, tmp_path) as client:
        first = await client.call_tool("edit_video", {**EDIT_ARGS, "wait_seconds": 0.3})
        assert (first.structured_content or {})["status"] in ("queued", "running")

        await until(lambda: emulator.state.count(call="download") == 1)  # no call made meanwhile
        polls = emulator.state.count(call="poll")
        await anyio.sleep(0.3)  # the lingering wait is over: nothing more is asked
        assert emulator.state.count(call="poll") == polls
        final = await client.call_tool("get_task", {"task_id": (first.structured_content or {})["task_id"]})

    done = final.structured_content or {}
    assert done["status"] == "succeeded" and Path(done["local_file"]).exists()
    assert emulator.state.count(call="poll") == polls, "the journal already knew; the provider is not asked"
    assert emulator.state.count(call="download") == 1


async def test_the_next_call_carries_on_instead_of_asking_again_at_once(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(LONG)
    slow_polls = {"poll_first_seconds": 2.0, "poll_max_seconds": 5.0}
    async with connect(emulator, tmp_path, **slow_polls) as client:
        first = await client.call_tool("edit_video", {**EDIT_ARGS, "wait_seconds": 0.3})
        asked = emulator.state.count(call="poll")  # the last look at the deadline
        again = await client.call_tool(
            "get_task", {"task_id": (first.structured_content or {})["task_id"], "wait_seconds": 0}
        )

    assert asked == 1 and emulator.state.count(call="poll") == 1, "a second-old answer is not asked for again"
    assert (again.structured_content or {})["status"] == "running"


async def test_a_job_nobody_asks_about_is_left_alone_after_the_linger(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(LONG)
    async with connect(emulator, tmp_path, linger_seconds=0.5) as client:
        await client.call_tool("edit_video", {**EDIT_ARGS, "wait_seconds": 0})
        await anyio.sleep(1.5)
        lingered = emulator.state.count(call="poll")
        await anyio.sleep(1.0)

        assert lingered >= 2, "polled on while an agent's next call could come"
        assert emulator.state.count(call="poll") == lingered, "then no more"
        await client.list_tools()  # the connection is still open: the polling stopped by itself


async def test_a_linger_of_zero_polls_only_during_calls(emulator: RunningEmulator, tmp_path: Path) -> None:
    emulator.state.script_next(LONG)
    async with connect(emulator, tmp_path, linger_seconds=0) as client:
        await client.call_tool("edit_video", {**EDIT_ARGS, "wait_seconds": 0})
        await anyio.sleep(0.5)

        assert emulator.state.count(call="poll") == 0
