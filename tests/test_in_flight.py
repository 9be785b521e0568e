"""Many waits at once keep only a few status queries in flight per provider, and many calls at
once only a few submits (inflight.py): the rest queue in the server, first come first served,
and every job is still delivered; a request never waits long for a slot (a provider that hangs
on some cannot hold up all)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.abc import TaskGroup
from mcp import Client

from conftest import NAMED, R2V_ARGS, emulator_settings
from test_hostile import journal_rows
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import EmulatorState, Fault, RunningEmulator, TaskScript, serve_emulator
from wan_video_mcp.inflight import (
    STATUS_AT_ONCE,
    STATUS_LONGEST_WAIT,
    SUBMITS_AT_ONCE,
    SUBMITS_LONGEST_WAIT,
)

pytestmark = pytest.mark.anyio

JOBS = 2 * STATUS_AT_ONCE
SLOW_ANSWER_SECONDS = 0.2  # every status answer takes this long, so queries overlap
# Long enough that the first 16 calls' checks and journal claims fit in it on a slow machine.
SLOW_SUBMIT_SECONDS = 1.0
# Not HUNG_SECONDS: a submit on the wire is seen through even when its call is cancelled.
SUBMIT_HANG_SECONDS = SUBMITS_LONGEST_WAIT + 3
HUNG_SECONDS = 20.0


def most_within(moments: list[float], window: float) -> int:
    """The most moments that fall within any span shorter than `window`."""
    moments = sorted(moments)
    start, most = 0, 0
    for end, moment in enumerate(moments):
        while moment - moments[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def arguments(number: int, wait: float) -> dict[str, Any]:
    return {**R2V_ARGS, "prompt": f"Image 1 waves, take {number}", "wait_seconds": wait}


async def test_a_burst_of_due_polls_is_queued_not_sent_at_once(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    state = emulator.state
    state.default_script = TaskScript(queue_seconds=0.2, run_seconds=0.5)
    state.inject("dashscope", "poll", Fault("slow", delay=SLOW_ANSWER_SECONDS), times=20 * JOBS)
    settings = emulator_settings(emulator, tmp_path, poll_first_seconds=0.5, poll_max_seconds=1.0)
    results: list[str] = []

    async def one_job(client: Client, number: int) -> None:
        result = await client.call_tool("generate_reference_video", arguments(number, 60))
        results.append(str((result.structured_content or {}).get("status")))

    async with Client(build_server(settings), client_info=NAMED) as client, anyio.create_task_group() as jobs:
        for number in range(JOBS):
            jobs.start_soon(one_job, client, number)

    assert results == ["succeeded"] * JOBS
    # An answer takes SLOW_ANSWER_SECONDS: queries sent within less than that overlapped.
    polls = [request.at for request in state.of("dashscope", "poll")]
    assert most_within(polls, SLOW_ANSWER_SECONDS * 0.9) == STATUS_AT_ONCE
    assert len(polls) >= JOBS


async def test_queries_hung_at_the_provider_do_not_hold_up_the_others(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Every slot held by a query the provider never answers (for HUNG_SECONDS): another job's
    `get_task` still gets the provider's word within its few seconds."""
    state = emulator.state
    settings = emulator_settings(emulator, tmp_path, linger_seconds=0.0)
    async with Client(build_server(settings), client_info=NAMED) as client, anyio.create_task_group() as hung:
        ready = await client.call_tool("generate_reference_video", arguments(0, 0))
        task_id = (ready.structured_content or {})["task_id"]
        state.inject("dashscope", "poll", Fault("slow", delay=HUNG_SECONDS), times=STATUS_AT_ONCE)
        for number in range(1, STATUS_AT_ONCE + 1):
            hung.start_soon(client.call_tool, "generate_reference_video", arguments(number, 60))
        while state.count("dashscope", "poll") < STATUS_AT_ONCE:  # noqa: ASYNC110  (the emulator has no event)
            await anyio.sleep(0.05)
        await anyio.sleep(STATUS_LONGEST_WAIT)  # the job has long finished at the provider

        looked = await client.call_tool("get_task", {"task_id": task_id, "wait_seconds": 3})
        hung.cancel_scope.cancel()
        assert (looked.structured_content or {})["status"] == "succeeded"


async def test_calls_made_at_once_submit_a_few_at_a_time_and_all_get_their_job(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    state = emulator.state
    calls = 2 * SUBMITS_AT_ONCE
    state.inject("dashscope", "submit", Fault("slow", delay=SLOW_SUBMIT_SECONDS), times=calls)
    settings = emulator_settings(emulator, tmp_path)
    handles: list[str] = []

    async def one_call(client: Client, number: int) -> None:
        result = await client.call_tool("generate_reference_video", arguments(number, 0))
        handles.append(str((result.structured_content or {}).get("task_id")))

    async with (
        Client(build_server(settings), client_info=NAMED) as client,
        anyio.create_task_group() as calls_,
    ):
        for number in range(calls):
            calls_.start_soon(one_call, client, number)

    submits = [request.at for request in state.of("dashscope", "submit")]
    assert len(submits) == calls and len(set(handles)) == calls
    # A submit's answer takes SLOW_SUBMIT_SECONDS: submits sent within less than that overlapped.
    assert most_within(submits, SLOW_SUBMIT_SECONDS * 0.9) == SUBMITS_AT_ONCE


async def hold_every_submit_slot(client: Client, state: EmulatorState, hung: TaskGroup) -> None:
    """SUBMITS_AT_ONCE calls whose submits the provider answers only after SUBMIT_HANG_SECONDS,
    started in `hung` and returned once every one of them is at the provider."""
    state.inject("dashscope", "submit", Fault("slow", delay=SUBMIT_HANG_SECONDS), times=SUBMITS_AT_ONCE)
    for number in range(SUBMITS_AT_ONCE):
        hung.start_soon(client.call_tool, "generate_reference_video", arguments(number, 0))
    while state.count("dashscope", "submit") < SUBMITS_AT_ONCE:  # noqa: ASYNC110  (the emulator has no event)
        await anyio.sleep(0.05)


async def test_submits_hung_at_the_provider_do_not_hold_up_the_next(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Every submit slot held by a submit the provider does not answer yet: the next call's
    submit goes after at most SUBMITS_LONGEST_WAIT, and its job is made."""
    state = emulator.state
    settings = emulator_settings(emulator, tmp_path)
    async with Client(build_server(settings), client_info=NAMED) as client, anyio.create_task_group() as hung:
        await hold_every_submit_slot(client, state, hung)

        with anyio.fail_after(SUBMIT_HANG_SECONDS - 1):
            made = await client.call_tool("generate_reference_video", arguments(SUBMITS_AT_ONCE, 0))
            assert (made.structured_content or {})["status"] in {"queued", "running"}
        assert state.count("dashscope", "submit") == SUBMITS_AT_ONCE + 1
        hung.cancel_scope.cancel()


async def test_a_call_cancelled_while_its_submit_waits_for_its_turn_sends_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Every submit slot held by a submit the provider does not answer yet; the next call is
    cancelled (the user pressed stop) while its submit waits for a turn: nothing is sent for it
    later, and its claim is closed as not sent (an identical call is free to submit)."""
    state = emulator.state
    settings = emulator_settings(emulator, tmp_path)
    async with Client(build_server(settings), client_info=NAMED) as client, anyio.create_task_group() as hung:
        await hold_every_submit_slot(client, state, hung)
        with anyio.move_on_after(1.0):
            await client.call_tool("generate_reference_video", arguments(SUBMITS_AT_ONCE, 0))
        await anyio.sleep(SUBMITS_LONGEST_WAIT + 1)  # past the moment it would have gone anyway
        assert state.count("dashscope", "submit") == SUBMITS_AT_ONCE
        again = await client.call_tool("generate_reference_video", arguments(SUBMITS_AT_ONCE, 0))
        assert (again.structured_content or {})["status"] in {"queued", "running"}
        hung.cancel_scope.cancel()

    assert state.count("dashscope", "submit") == SUBMITS_AT_ONCE + 1
    closed = [row for row in journal_rows(settings) if row["state"] == "rejected"]
    assert len(closed) == 1 and "cancelled" in closed[0]["error_message"]


async def test_two_busy_providers_keep_their_own_connections(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Two providers polled at once, each with every status slot busy: neither closes the
    other's kept connections, so each polls on the few it keeps (a new connection is a TCP and
    TLS handshake with a real provider)."""
    state = emulator.state
    state.default_script = TaskScript(queue_seconds=0.5, run_seconds=4.0)
    state.inject("*", "poll", Fault("slow", delay=SLOW_ANSWER_SECONDS), times=40 * JOBS)
    results: list[str] = []

    async def one_job(client: Client, number: int, provider: str) -> None:
        call = {**arguments(number, 60), "provider": provider}
        result = await client.call_tool("generate_reference_video", call)
        results.append(str((result.structured_content or {}).get("status")))

    async with serve_emulator(state) as second_host:  # the same emulator at another port
        settings = emulator_settings(
            emulator,
            tmp_path,
            poll_first_seconds=0.5,
            poll_max_seconds=0.5,
            apiyi_base_url=second_host.base_url("apiyi"),
        )
        async with (
            Client(build_server(settings), client_info=NAMED) as client,
            anyio.create_task_group() as jobs,
        ):
            for number in range(STATUS_AT_ONCE):
                jobs.start_soon(one_job, client, number, "dashscope")
                jobs.start_soon(one_job, client, number, "apiyi")

    assert results == ["succeeded"] * (2 * STATUS_AT_ONCE)
    # Without a pool per host: 22-27 connections each for 56 polls (a third of them reconnects).
    for provider in ("dashscope", "apiyi"):
        polls = state.of(provider, "poll")
        assert len(polls) > 4 * STATUS_AT_ONCE and all(poll.connection for poll in polls)
        assert len({poll.connection for poll in polls}) <= STATUS_AT_ONCE + 2  # what a pool keeps
