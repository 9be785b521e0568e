"""Many waits at once keep only a few status queries in flight per provider (statusqueries.py):
the rest queue in the server, first come first served, and every job is still delivered."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from mcp import Client

from conftest import NAMED, R2V_ARGS, emulator_settings
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import Fault, RunningEmulator, TaskScript
from wan_video_mcp.statusqueries import AT_ONCE

pytestmark = pytest.mark.anyio

JOBS = 3 * AT_ONCE
SLOW_ANSWER_SECONDS = 1.0  # every status answer takes this long, so queries overlap


def most_within(moments: list[float], window: float) -> int:
    """The most moments that fall within any span shorter than `window`."""
    moments = sorted(moments)
    start, most = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_a_burst_of_due_polls_is_queued_not_sent_at_once(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    state = emulator.state
    state.default_script = TaskScript(queue_seconds=0.2, run_seconds=0.5)
    state.inject("dashscope", "poll", Fault("slow", delay=SLOW_ANSWER_SECONDS), times=10 * JOBS)
    settings = emulator_settings(emulator, tmp_path, poll_first_seconds=0.5, poll_max_seconds=1.0)
    results: list[str] = []

    async def one_job(client: Client, number: int) -> None:
        arguments = {**R2V_ARGS, "prompt": f"Image 1 waves, take {number}", "wait_seconds": 60}
        result = await client.call_tool("generate_reference_video", arguments)
        results.append(str((result.structured_content or {}).get("status")))

    async with Client(build_server(settings), client_info=NAMED) as client, anyio.create_task_group() as jobs:
        for number in range(JOBS):
            jobs.start_soon(one_job, client, number)

    assert results == ["succeeded"] * JOBS
    # An answer takes SLOW_ANSWER_SECONDS: queries sent within less than that overlapped.
    polls = [request.at for request in state.of("dashscope", "poll")]
    assert most_within(polls, SLOW_ANSWER_SECONDS * 0.9) == AT_ONCE
    assert len(polls) >= JOBS
