"""Whole jobs through the real client: budgets, continuation, faults, cancellation, provider choice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from conftest import EDIT_ARGS, R2V_ARGS, emulator_settings, text_of
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import Fault, RunningEmulator, TaskScript
from wan_video_mcp.lingering import FRESH_SECONDS
from wan_video_mcp.settings import Settings

pytestmark = pytest.mark.anyio
LONG = TaskScript(queue_seconds=0.1, run_seconds=3600)


async def test_a_short_budget_returns_a_usable_handle_and_get_task_finishes(
    client: Client, emulator: RunningEmulator
) -> None:
    emulator.state.script_next(LONG)

    first = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0.4})

    assert not first.is_error, "running out of budget is not an error"
    still = first.structured_content or {}
    assert still["status"] in ("queued", "running") and still["done"] is False
    step = still["continue_with"]
    assert (step["tool"], step["arguments"]) == ("get_task", {"task_id": still["task_id"]})
    assert 30 <= step["after_seconds"] <= 240, "about when the job is usually done"
    assert "get_task" in text_of(first) and still["task_id"] in text_of(first)
    assert "usually done in about 4 minutes" in text_of(first)

    emulator.state.clock.advance(3600)
    final = await client.call_tool(still["continue_with"]["tool"], still["continue_with"]["arguments"])

    done = final.structured_content or {}
    assert not final.is_error and done["status"] == "succeeded" and done["task_id"] == still["task_id"]
    assert Path(done["local_file"]).exists() and done["video_url"]
    assert emulator.state.count(call="submit") == 1


async def test_wait_seconds_zero_returns_right_after_submit(
    client: Client, emulator: RunningEmulator
) -> None:
    result = await client.call_tool("edit_video", {**EDIT_ARGS, "wait_seconds": 0})

    assert (result.structured_content or {})["status"] == "queued"
    assert emulator.state.count(call="submit") == 1 and emulator.state.count(call="poll") == 0


async def test_get_task_with_wait_zero_answers_with_fresh_status(
    client: Client, emulator: RunningEmulator
) -> None:
    emulator.state.script_next(LONG)
    submitted = await client.call_tool("edit_video", {**EDIT_ARGS, "wait_seconds": 0})
    await anyio.sleep(0.2)

    result = await client.call_tool(
        "get_task", {"task_id": (submitted.structured_content or {})["task_id"], "wait_seconds": 0}
    )

    answered = emulator.state.clock.now()
    assert (result.structured_content or {})["status"] == "running"
    [submit] = emulator.state.of(call="submit")
    newest = max(request.at for request in emulator.state.of(call="poll"))
    assert submit.at < newest <= answered and answered - newest < FRESH_SECONDS, (
        "the answer is the provider's word from moments ago (asked for it, or a lingering wait's)"
    )


@pytest.mark.parametrize(
    "fault",
    [
        Fault("rate_limit", retry_after=0.2),
        Fault("server_error"),
        Fault("garbled"),
        Fault("drop"),
        Fault("slow", delay=1.5),
    ],
    ids=["429", "500", "garbled", "dropped", "timeout"],
)
@pytest.mark.parametrize("provider", ["dashscope", "apiyi", "modellix", "aimlapi"])
async def test_transient_poll_failures_do_not_end_the_wait(
    emulator: RunningEmulator, tmp_path: Path, fault: Fault, provider: str
) -> None:
    settings = emulator_settings(emulator, tmp_path, http_timeout_seconds=1.0)
    emulator.state.inject(provider, "poll", fault, times=2)
    messages: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")

    async with Client(build_server(settings)) as client:
        result = await client.call_tool(
            "generate_reference_video", {**R2V_ARGS, "provider": provider}, progress_callback=on_progress
        )

    assert not result.is_error, text_of(result)
    assert (result.structured_content or {})["status"] == "succeeded"
    assert any("retrying" in message for message in messages)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_client_cancellation_stops_polling_and_keeps_the_handle(
    settings: Settings, emulator: RunningEmulator, mode: str
) -> None:
    emulator.state.script_next(LONG)
    updates = 0
    progressing = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        nonlocal updates
        updates += 1
        if updates >= 3:
            progressing.set()

    async with Client(build_server(settings), mode=mode) as client:
        async with anyio.create_task_group() as tg:
            call_scope = anyio.CancelScope()

            async def call() -> None:
                with call_scope:
                    await client.call_tool(
                        "generate_reference_video",
                        {**R2V_ARGS, "wait_seconds": 60},
                        progress_callback=on_progress,
                    )

            tg.start_soon(call)
            await progressing.wait()
            call_scope.cancel()
        polls_at_cancel = emulator.state.count(call="poll")
        await anyio.sleep(0.6)  # six poll intervals
        polls_later = emulator.state.count(call="poll")
        recent = await client.read_resource("wan://tasks/recent")

    assert polls_later <= polls_at_cancel + 1, "polling went on after the client cancelled"
    tasks = json.loads(recent.contents[0].text)  # type: ignore[union-attr]
    assert tasks[0]["state"] in ("queued", "running") and tasks[0]["task_id"].startswith("dashscope:")
    assert tasks[0]["continue_with"]["tool"] == "get_task"


async def test_cancelling_during_submit_still_records_the_task(
    settings: Settings, emulator: RunningEmulator
) -> None:
    emulator.state.inject("dashscope", "submit", Fault("slow", delay=0.5))

    async with Client(build_server(settings)) as client:
        with anyio.move_on_after(0.2):
            await client.call_tool("generate_reference_video", R2V_ARGS)
        recent: list[dict[str, Any]] = []
        with anyio.fail_after(10):  # the shielded submit finishes and is journaled
            while not recent or recent[0]["task_id"] is None:
                await anyio.sleep(0.05)
                recent = json.loads((await client.read_resource("wan://tasks/recent")).contents[0].text)  # type: ignore[union-attr]

    assert emulator.state.count(call="submit") == 1
    assert recent[0]["task_id"] == f"dashscope:{next(iter(emulator.state.tasks.values())).task_id}"


@pytest.mark.parametrize(
    ("default", "tool", "arguments", "expected"),
    [
        ("modellix", "generate_reference_video", R2V_ARGS, "modellix"),
        (None, "generate_reference_video", R2V_ARGS, "dashscope"),
        # The configured default cannot do videoedit: the first provider with a key that can.
        ("aimlapi", "edit_video", EDIT_ARGS, "dashscope"),
        # The default cannot honour a 7 s duration: another configured provider takes it.
        ("aimlapi", "generate_reference_video", {**R2V_ARGS, "duration": 7}, "dashscope"),
        ("aimlapi", "generate_reference_video", {**R2V_ARGS, "duration": 10}, "aimlapi"),
    ],
)
async def test_provider_choice(
    emulator: RunningEmulator,
    tmp_path: Path,
    default: Any,
    tool: str,
    arguments: dict[str, Any],
    expected: str,
) -> None:
    settings = emulator_settings(emulator, tmp_path, provider=default)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool(tool, {**arguments, "wait_seconds": 0})

    assert (result.structured_content or {})["provider"] == expected
    assert emulator.state.of(call="submit")[0].provider == expected
    passed_over = default is not None and expected != default
    assert ("the default provider" in text_of(result)) == passed_over


async def test_without_a_dashscope_key_the_next_configured_provider_is_chosen(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = emulator_settings(emulator, tmp_path, dashscope_api_key=None)
    async with Client(build_server(settings)) as client:
        result = await client.call_tool(
            "vace_edit",
            {
                "function": "image_reference",
                "prompt": "x",
                "ref_images_url": ["https://x.example/a.png"],
                "wait_seconds": 0,
            },
        )

    assert (result.structured_content or {})["provider"] == "modellix"


async def test_a_harmless_surprise_is_noted(client: Client) -> None:
    arguments = {
        **R2V_ARGS,
        "first_frame_image": "https://x.example/first.png",
        "ratio": "1:1",
        "wait_seconds": 0,
    }

    result = await client.call_tool("generate_reference_video", arguments)

    assert "ratio is ignored" in text_of(result)
