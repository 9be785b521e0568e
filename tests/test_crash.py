"""Several server processes on one data folder, and processes killed with `kill -9`:
identical calls submit once, a dead process's claim is an unknown outcome at once, and
its partial download is swept away."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from conftest import R2V_ARGS, emulator_env, text_of
from servers import free_port, http_server
from wan_video_mcp.emulator import Fault, RunningEmulator, TaskScript

pytestmark = pytest.mark.anyio
ROUNDS = 12


def stdio_server(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "wan_video_mcp"], env=env)


async def wait_until(condition: Any, seconds: float = 20) -> None:
    with anyio.fail_after(seconds):
        while not condition():  # noqa: ASYNC110  (the emulator and the file system give no event)
            await anyio.sleep(0.02)


async def call_into(client: Client, arguments: dict[str, Any], results: list[dict[str, Any]]) -> None:
    result = await client.call_tool("generate_reference_video", arguments)
    assert not result.is_error, text_of(result)
    results.append(result.structured_content or {})


async def test_two_processes_on_one_journal_submit_an_identical_request_once(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = emulator_env(emulator, tmp_path)
    async with Client(stdio_server(env)) as one, Client(stdio_server(env)) as two:
        for round_ in range(ROUNDS):
            if round_ % 3 == 1:  # a slow provider: the other process finds the claim in flight
                emulator.state.inject("dashscope", "submit", Fault("slow", delay=0.5))
            args = {**R2V_ARGS, "seed": round_, "wait_seconds": 0}
            results: list[dict[str, Any]] = []
            async with anyio.create_task_group() as tg:
                tg.start_soon(call_into, one, args, results)
                tg.start_soon(call_into, two, args, results)

            assert emulator.state.count(call="submit") == round_ + 1, f"paid twice in round {round_}"
            assert results[0]["task_id"] == results[1]["task_id"]
            assert sorted(result["reused"] for result in results) == [False, True]


async def test_callers_waiting_on_a_refused_submit_submit_once_after_it(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    # The first process's submit is refused after 2 s; two others wait for it meanwhile.
    emulator.state.inject("dashscope", "submit", Fault("rate_limit", delay=2.0, retry_after=1))
    env = emulator_env(emulator, tmp_path)
    async with (
        Client(stdio_server(env)) as one,
        Client(stdio_server(env)) as two,
        Client(stdio_server(env)) as three,
    ):
        results: list[dict[str, Any]] = []
        args = R2V_ARGS  # the quick budget these anonymous clients get covers the 2 s wait
        async with anyio.create_task_group() as tg:
            tg.start_soon(refused_call, one, args)
            await wait_until(lambda: emulator.state.count(call="submit") == 1)
            tg.start_soon(call_into, two, args, results)
            tg.start_soon(call_into, three, args, results)

    assert emulator.state.count(call="submit") == 2, "one refused submit, then exactly one more"
    assert len(emulator.state.tasks) == 1
    assert results[0]["task_id"] == results[1]["task_id"]


async def refused_call(client: Client, arguments: dict[str, Any]) -> None:
    result = await client.call_tool("generate_reference_video", arguments)
    assert result.is_error and "rate-limiting" in text_of(result)


async def test_a_claim_whose_process_was_killed_is_an_unknown_outcome_at_once(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.inject("dashscope", "submit", Fault("slow", delay=60))
    env = emulator_env(emulator, tmp_path)
    port = free_port()
    async with Client(stdio_server(env)) as survivor:
        with http_server(env, port, tmp_path / "doomed.log") as doomed:
            async with anyio.create_task_group() as tg:

                async def doomed_call() -> None:
                    with pytest.raises(Exception):  # noqa: B017, PT011  (its server dies mid-call)
                        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                            await client.call_tool("generate_reference_video", R2V_ARGS)

                tg.start_soon(doomed_call)
                await wait_until(lambda: emulator.state.count(call="submit") == 1)
                doomed.send_signal(signal.SIGKILL)
                doomed.wait(timeout=10)

        started = time.monotonic()
        result = await survivor.call_tool("generate_reference_video", R2V_ARGS)
        elapsed = time.monotonic() - started

    structured = result.structured_content or {}
    assert structured["status"] == "submit_unknown" and structured["task_id"] is None
    assert "stopped before the provider's answer was recorded" in text_of(result)
    assert elapsed < 5, "a dead owner's claim is not waited out"
    assert emulator.state.count(call="submit") == 1, "nothing was resubmitted"


async def test_a_restart_settles_a_dead_claim_and_sweeps_a_partial_download(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=0.05, run_seconds=0.1))
    emulator.state.inject("*", "download", Fault("stall", delay=60))
    env = emulator_env(emulator, tmp_path)
    videos = tmp_path / "videos"
    port = free_port()
    with http_server(env, port, tmp_path / "first.log") as first:
        async with anyio.create_task_group() as tg:

            async def doomed_call() -> None:
                with pytest.raises(Exception):  # noqa: B017, PT011  (its server dies mid-call)
                    async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                        await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 30})

            tg.start_soon(doomed_call)
            await wait_until(lambda: videos.exists() and any(videos.glob(".*.part")))
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
    assert any(videos.glob(".*.part")), "the kill left a partial file"

    async with Client(stdio_server(env)) as client:
        listed = await client.list_tools()
        assert listed.tools
        await client.list_resources()  # the first request that needs the runtime opens it
        assert list(videos.glob(".*.part")) == [], "swept when the runtime opens, before any call uses it"
        [task] = (await client.call_tool("generate_reference_video", R2V_ARGS),)

    structured = task.structured_content or {}
    assert (
        structured["reused"] is True and Path(structured["local_file"]).read_bytes() == emulator.state.video
    )
    assert emulator.state.count(call="submit") == 1
