"""No double charges: identical requests reuse the task; unknown outcomes are never guessed."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp_types import CallToolResult

from conftest import EDIT_ARGS, R2V_ARGS, VACE_ARGS, emulator_settings, text_of
from test_hostile import journal_rows
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import Fault, RunningEmulator, TaskScript
from wan_video_mcp.settings import Settings

pytestmark = pytest.mark.anyio

# A submit the provider refuses this long after it arrives: an identical call elsewhere sees it in flight.
REFUSED_AFTER_SECONDS = 1.0


async def recent(client: Client) -> list[dict[str, Any]]:
    return json.loads((await client.read_resource("wan://tasks/recent")).contents[0].text)  # type: ignore[union-attr]


async def test_the_same_request_twice_is_one_submission(client: Client, emulator: RunningEmulator) -> None:
    first = await client.call_tool("generate_reference_video", R2V_ARGS)
    second = await client.call_tool("generate_reference_video", R2V_ARGS)

    assert emulator.state.count(call="submit") == 1
    one, two = first.structured_content or {}, second.structured_content or {}
    assert two["task_id"] == one["task_id"] and two["reused"] is True and one["reused"] is False
    assert two["local_file"] == one["local_file"]
    assert "instead of paying twice" in text_of(second) and "force_new=true" in text_of(second)


async def test_a_default_spelled_out_is_the_same_request(client: Client, emulator: RunningEmulator) -> None:
    spelled = {
        "resolution": "1080P",
        "watermark": False,
        "duration": 5,
        "prompt_extend": True,
        "ratio": "16:9",
    }
    first = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})
    others = [
        await client.call_tool("generate_reference_video", {**R2V_ARGS, name: value, "wait_seconds": 0})
        for name, value in spelled.items()
    ]
    everything = await client.call_tool(
        "generate_reference_video", {**R2V_ARGS, **spelled, "wait_seconds": 0}
    )

    assert emulator.state.count(call="submit") == 1
    task_id = (first.structured_content or {})["task_id"]
    for result in [*others, everything]:
        assert (result.structured_content or {})["task_id"] == task_id and (result.structured_content or {})[
            "reused"
        ]


@pytest.mark.parametrize(
    ("tool", "arguments", "spelled"),
    [
        ("edit_video", EDIT_ARGS, {"audio_setting": "auto", "resolution": "1080P"}),
        (
            "vace_edit",
            {
                "function": "video_repainting",
                "prompt": "x",
                "video_url": "https://e.com/v.mp4",
                "control_condition": "depth",
            },
            {"strength": 1.0, "prompt_extend": True},
        ),
        ("vace_edit", {**VACE_ARGS, "provider": "modellix"}, {"prompt_extend": True, "size": "1280*720"}),
    ],
)
async def test_defaults_left_out_of_the_body_are_the_same_request_too(
    client: Client, emulator: RunningEmulator, tool: str, arguments: dict[str, Any], spelled: dict[str, Any]
) -> None:
    await client.call_tool(tool, {**arguments, "wait_seconds": 0})
    again = await client.call_tool(tool, {**arguments, **spelled, "wait_seconds": 0})

    assert emulator.state.count(call="submit") == 1 and (again.structured_content or {})["reused"]


async def test_force_new_pays_for_a_second_job(client: Client, emulator: RunningEmulator) -> None:
    first = await client.call_tool("generate_reference_video", R2V_ARGS)
    second = await client.call_tool("generate_reference_video", {**R2V_ARGS, "force_new": True})

    assert emulator.state.count(call="submit") == 2
    assert (first.structured_content or {})["task_id"] != (second.structured_content or {})["task_id"]


async def test_identical_requests_at_the_same_moment_submit_once(
    client: Client, emulator: RunningEmulator
) -> None:
    results: list[dict[str, Any]] = []

    async def call() -> None:
        results.append((await client.call_tool("edit_video", EDIT_ARGS)).structured_content or {})

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(call)

    assert emulator.state.count(call="submit") == 1
    assert len({result["task_id"] for result in results}) == 1


async def test_an_identical_call_joins_at_once_instead_of_queueing_behind_the_first(
    client: Client, emulator: RunningEmulator
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=0.1, run_seconds=3600))
    first_done = anyio.Event()
    second: Any = None
    joined_before_the_first_returned = False

    async def first() -> None:
        await client.call_tool("edit_video", {**EDIT_ARGS, "wait_seconds": 5})
        first_done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(first)
        while emulator.state.count(call="submit") == 0:  # noqa: ASYNC110  (the emulator has no event)
            await anyio.sleep(0.01)
        second = await client.call_tool("edit_video", {**EDIT_ARGS, "wait_seconds": 0})
        joined_before_the_first_returned = not first_done.is_set()
        tg.cancel_scope.cancel()

    assert joined_before_the_first_returned
    assert (second.structured_content or {})["reused"] is True
    assert emulator.state.count(call="submit") == 1


async def test_a_running_identical_task_is_joined_not_repeated(
    client: Client, emulator: RunningEmulator
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=0.1, run_seconds=1.0))
    await client.call_tool("edit_video", {**EDIT_ARGS, "wait_seconds": 0})

    joined = await client.call_tool("edit_video", EDIT_ARGS)

    assert emulator.state.count(call="submit") == 1
    assert (joined.structured_content or {})["status"] == "succeeded" and (joined.structured_content or {})[
        "reused"
    ]


async def test_different_parameters_are_different_jobs(client: Client, emulator: RunningEmulator) -> None:
    await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})
    await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 5, "wait_seconds": 0})
    await client.call_tool(
        "generate_reference_video", {**R2V_ARGS, "provider": "modellix", "wait_seconds": 0}
    )

    assert emulator.state.count(call="submit") == 3


async def test_a_success_older_than_the_window_is_not_reused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with Client(build_server(emulator_settings(emulator, tmp_path, dedupe_window_seconds=0))) as client:
        await client.call_tool("generate_reference_video", R2V_ARGS)
        await anyio.sleep(0.05)
        await client.call_tool("generate_reference_video", R2V_ARGS)

    assert emulator.state.count(call="submit") == 2


async def test_an_unanswered_submit_is_recorded_as_unknown_and_not_guessed(
    client: Client, emulator: RunningEmulator
) -> None:
    emulator.state.inject("dashscope", "submit", Fault("drop"))

    first = await client.call_tool("generate_reference_video", R2V_ARGS)

    assert first.is_error
    unknown = first.structured_content or {}
    assert unknown["status"] == "submit_unknown" and unknown["task_id"] is None and unknown["done"] is True
    assert unknown["provider"] == "dashscope" and "no answer came back" in unknown["error"]["message"]
    assert "unknown whether a wan2.7-r2v job was created" in text_of(first) and "list_tasks" in text_of(first)
    [entry] = await recent(client)
    assert entry["state"] == "submit_unknown" and entry["task_id"] is None

    again = await client.call_tool("generate_reference_video", R2V_ARGS)
    assert again.is_error and (again.structured_content or {})["status"] == "submit_unknown"
    assert "nothing new was submitted" in text_of(again)
    assert emulator.state.count(call="submit") == 1, "an unknown outcome must not be resubmitted silently"

    forced = await client.call_tool("generate_reference_video", {**R2V_ARGS, "force_new": True})
    assert not forced.is_error and emulator.state.count(call="submit") == 2


async def test_an_unparseable_accepted_answer_is_also_unknown(
    client: Client, emulator: RunningEmulator
) -> None:
    emulator.state.inject("modellix", "submit", Fault("garbled"))

    result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "modellix"})

    assert result.is_error and (result.structured_content or {})["status"] == "submit_unknown"
    assert "answered the submit unreadably" in text_of(result)


async def test_an_unreachable_provider_means_nothing_was_submitted(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    settings = emulator_settings(emulator, tmp_path, dashscope_base_url=f"http://127.0.0.1:{port}")

    async with Client(build_server(settings)) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)
        entries = await recent(client)

    assert result.is_error
    assert "Could not reach DashScope" in text_of(result) and "Nothing was submitted" in text_of(result)
    assert entries == [], "a request that never left is not a task"


async def test_a_refused_submit_does_not_block_the_next_try(
    client: Client, emulator: RunningEmulator
) -> None:
    emulator.state.inject("dashscope", "submit", Fault("rate_limit", retry_after=1))

    first = await client.call_tool("generate_reference_video", R2V_ARGS)
    second = await client.call_tool("generate_reference_video", R2V_ARGS)

    assert first.is_error and "Nothing was submitted" in text_of(first) and not second.is_error
    assert emulator.state.count(call="submit") == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("provider", ["dashscope", "apiyi", "modellix", "aimlapi"])
async def test_a_server_error_after_the_job_was_created_is_never_paid_twice(
    client: Client, emulator: RunningEmulator, provider: str, status: int
) -> None:
    # The provider accepted (and bills) the job, then answered 5xx: three identical calls.
    emulator.state.inject(provider, "submit", Fault("server_error", status=status, after_create=True))
    args = {**R2V_ARGS, "provider": provider}

    results = [await client.call_tool("generate_reference_video", args) for _ in range(3)]

    assert emulator.state.count(provider, "submit") == 1, "an ambiguous submit is never repeated"
    assert len(emulator.state.tasks) == 1
    for result in results:
        structured = result.structured_content or {}
        assert result.is_error and structured["status"] == "submit_unknown" and structured["task_id"] is None
    assert f"HTTP {status}" in text_of(results[0]) and "Do not resubmit" in text_of(results[0])
    assert "nothing new was submitted" in text_of(results[2])
    [entry] = await recent(client)
    assert entry["state"] == "submit_unknown"


async def test_a_cut_off_answer_after_the_job_was_created_is_unknown(
    client: Client, emulator: RunningEmulator
) -> None:
    emulator.state.inject("apiyi", "submit", Fault("drop", after_create=True))

    first = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "apiyi"})
    second = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "apiyi"})

    assert (first.structured_content or {})["status"] == "submit_unknown"
    assert (second.structured_content or {})["status"] == "submit_unknown"
    assert emulator.state.count("apiyi", "submit") == 1


async def test_a_submit_that_times_out_after_it_was_sent_is_unknown(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.inject("dashscope", "submit", Fault("slow", delay=3))
    settings = emulator_settings(emulator, tmp_path, http_timeout_seconds=0.5)

    async with Client(build_server(settings)) as client:
        first = await client.call_tool("generate_reference_video", R2V_ARGS)
        again = await client.call_tool("generate_reference_video", R2V_ARGS)

    assert (first.structured_content or {})["status"] == "submit_unknown" and "Timeout" in text_of(first)
    assert (again.structured_content or {})["status"] == "submit_unknown"
    assert emulator.state.count(call="submit") == 1


async def test_an_error_wrapped_in_http_200_is_a_refusal_only_when_its_code_says_so(
    client: Client, emulator: RunningEmulator
) -> None:
    # Modellix wraps its real status in `code`: 400 is a refusal, 500 proves nothing.
    emulator.state.inject("modellix", "submit", Fault("invalid", status=200, message="prompt too odd"))
    refused = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "modellix"})
    assert (
        refused.is_error
        and "rejected the request" in text_of(refused)
        and "prompt too odd" in text_of(refused)
    )

    emulator.state.inject("modellix", "submit", Fault("server_error", status=200, after_create=True))
    unclear = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "modellix"})
    assert (unclear.structured_content or {})["status"] == "submit_unknown"
    assert emulator.state.count("modellix", "submit") == 2


async def test_journal_survives_a_restart_and_still_prevents_a_double_charge(
    emulator: RunningEmulator, settings: Settings
) -> None:
    async with Client(build_server(settings)) as client:
        first = await client.call_tool("generate_reference_video", R2V_ARGS)
    async with Client(build_server(settings)) as client:
        second = await client.call_tool("generate_reference_video", R2V_ARGS)

    assert emulator.state.count(call="submit") == 1
    assert (second.structured_content or {})["task_id"] == (first.structured_content or {})["task_id"]


async def refused_at_one_claimed_at_another(
    emulator: RunningEmulator, first: Client, second: Client, call: dict[str, Any]
) -> tuple[CallToolResult, CallToolResult]:
    """`first` (one replica) submits `call`, which the provider refuses after a while (the fault
    is the test's); meanwhile `second` (another replica, same journal) gets the identical call:
    it finds that submit in flight, so it expects to return its task, waits for it (a wait long
    enough to see the refusal), and when it is refused claims a new job of its own."""
    submits_before = emulator.state.count(call="submit")
    results: dict[str, CallToolResult] = {}

    async def call_first() -> None:
        results["first"] = await first.call_tool("generate_reference_video", call)

    async def call_second_once_the_first_is_sent() -> None:
        while emulator.state.count(call="submit") == submits_before:  # noqa: ASYNC110  (the emulator signals nothing)
            await anyio.sleep(0.02)
        results["second"] = await second.call_tool("generate_reference_video", {**call, "wait_seconds": 5})

    async with anyio.create_task_group() as calls:
        calls.start_soon(call_first)
        calls.start_soon(call_second_once_the_first_is_sent)
    return results["first"], results["second"]


def states_of(settings: Settings) -> list[str]:
    return [str(row["state"]) for row in journal_rows(settings)]


async def test_an_identical_task_that_falls_through_is_a_new_job_the_callers_limit_counts(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.inject("dashscope", "submit", Fault("invalid", delay=REFUSED_AFTER_SECONDS))
    call = {**R2V_ARGS, "wait_seconds": 0}
    limited = emulator_settings(emulator, tmp_path, submits_per_minute=1)
    async with (
        Client(build_server(emulator_settings(emulator, tmp_path))) as first,
        Client(build_server(limited)) as second,
    ):
        refused, claimed = await refused_at_one_claimed_at_another(emulator, first, second, call)
        another = await second.call_tool("generate_reference_video", {**call, "seed": 7})

    assert refused.is_error and not claimed.is_error, text_of(claimed)
    assert another.is_error and "WAN_MCP_SUBMITS_PER_MINUTE" in text_of(another)
    assert emulator.state.count(call="submit") == 2  # the refused one and the claimed one


async def test_an_identical_task_that_falls_through_is_a_new_job_the_budget_counts(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    call = {**R2V_ARGS, "wait_seconds": 0}
    unbudgeted = emulator_settings(emulator, tmp_path)
    async with Client(build_server(unbudgeted)) as first:
        priced = await first.call_tool("generate_reference_video", {**call, "dry_run": True})
        estimate = float((priced.structured_content or {})["cost"]["estimate"])
        earlier = await first.call_tool("generate_reference_video", {**call, "seed": 7})  # one job spent
        emulator.state.inject("dashscope", "submit", Fault("invalid", delay=REFUSED_AFTER_SECONDS))
        budgeted = emulator_settings(emulator, tmp_path, daily_budget=1.5 * estimate)
        async with Client(build_server(budgeted)) as second:
            refused, claimed = await refused_at_one_claimed_at_another(emulator, first, second, call)

    assert not earlier.is_error and refused.is_error
    assert claimed.is_error and "WAN_MCP_DAILY_BUDGET" in text_of(claimed), text_of(claimed)
    assert emulator.state.count(call="submit") == 2  # the earlier job and the refused one
    # The claim the budget refused is closed as not sent, not left to expire into "unknown".
    states = states_of(unbudgeted)
    assert len(states) == 3 and states.count("rejected") == 2 and "submitting" not in states


async def write_to_the_journal_for(settings: Settings, seconds: float) -> None:
    """Another process holding the journal's write lock for `seconds`."""
    writer = sqlite3.connect(settings.journal_path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        await anyio.sleep(seconds)
        writer.execute("ROLLBACK")
    finally:
        writer.close()


async def test_a_call_cancelled_while_its_claim_waits_to_be_written_leaves_no_claim_open(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The journal busy for a moment (another process writing) and the call cancelled while its
    claim waits to be written: the claim is written once the journal is free, then closed as not
    sent -- not left "submitting" to expire into an unknown outcome that an identical call would
    have to be forced past. Nothing is sent for the cancelled call; the identical call submits.
    (Here the claim's own call drives the journal's worker; when another call's trip carries it,
    `submitting._seen_through` keeps it waiting for the write the same way.)"""
    settings = emulator_settings(emulator, tmp_path)
    call = {**R2V_ARGS, "wait_seconds": 0}
    async with Client(build_server(settings)) as client:
        await client.call_tool("generate_reference_video", {**call, "dry_run": True})  # the journal is open
        async with anyio.create_task_group() as busy:
            busy.start_soon(write_to_the_journal_for, settings, 1.0)
            await anyio.sleep(0.1)
            with anyio.move_on_after(0.5):  # cancelled (the client then waits for the server's end)
                await client.call_tool("generate_reference_video", call)
        again = await client.call_tool("generate_reference_video", call)

    assert (again.structured_content or {})["status"] in {"queued", "running", "succeeded"}
    assert emulator.state.count(call="submit") == 1  # the identical call's
    assert sorted(states_of(settings)) == ["queued", "rejected"]
