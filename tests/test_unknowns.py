"""What the providers' documents leave open ([unknown] in providers.md), acted out both ways
by the emulator: the server must do the right thing either way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from conftest import EDIT_ARGS, FAST_SCRIPT, R2V_ARGS, emulator_settings, text_of
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import EmulatorOptions, EmulatorState, Fault, TaskScript, serve_emulator

pytestmark = pytest.mark.anyio
FAILING = TaskScript(queue_seconds=0.05, run_seconds=0.1, outcome="failed", error_message="GPU fell over")


@asynccontextmanager
async def running(tmp_path: Path, **options: Any) -> AsyncIterator[tuple[Client, EmulatorState]]:
    state = EmulatorState(EmulatorOptions(**options))
    state.default_script = FAST_SCRIPT
    async with (
        serve_emulator(state) as emulator,
        Client(build_server(emulator_settings(emulator, tmp_path))) as client,
    ):
        yield client, state


@pytest.mark.parametrize("shape", ["object", "string"])
async def test_apiyi_errors_are_read_in_either_shape(tmp_path: Path, shape: str) -> None:
    async with running(tmp_path, apiyi_error_shape=shape) as (client, state):
        state.inject("apiyi", "submit", Fault("invalid", message="too many references"))
        refused = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "apiyi"})
        state.script_next(FAILING)
        failed = await client.call_tool(
            "generate_reference_video", {**R2V_ARGS, "provider": "apiyi", "seed": 1}
        )

    assert (
        refused.is_error
        and "too many references" in text_of(refused)
        and "nothing was charged" in text_of(refused)
    )
    assert (failed.structured_content or {})["error"]["message"] == "GPU fell over"


@pytest.mark.parametrize("required", [False, True])
async def test_apiyi_videoedit_without_references_either_way(tmp_path: Path, required: bool) -> None:
    async with running(tmp_path, apiyi_videoedit_requires_reference=required) as (client, state):
        result = await client.call_tool("edit_video", {**EDIT_ARGS, "provider": "apiyi", "wait_seconds": 0})
        tasks = len(state.tasks)

    if required:
        assert (
            result.is_error
            and "reference_image" in text_of(result)
            and "nothing was charged" in text_of(result)
        )
        assert tasks == 0
    else:
        assert not result.is_error and tasks == 1


@pytest.mark.parametrize("status", [404, 400])
@pytest.mark.parametrize("provider", ["apiyi", "aimlapi"])
async def test_an_unknown_task_is_reported_as_gone_whether_404_or_400(
    tmp_path: Path, provider: str, status: int
) -> None:
    async with running(tmp_path, missing_task_status=status) as (client, _state):
        result = await client.call_tool(
            "get_task", {"task_id": f"{provider}:0385dc79-gone", "wait_seconds": 0}
        )

    assert (result.structured_content or {})["status"] == "expired"
    assert "not known to the provider any more" in text_of(result)


@pytest.mark.parametrize("zero", ["accept", "reject"])
async def test_modellix_videoedit_duration_either_way(tmp_path: Path, zero: str) -> None:
    async with running(tmp_path, modellix_videoedit_zero_duration=zero) as (client, state):
        default = await client.call_tool(
            "edit_video", {**EDIT_ARGS, "provider": "modellix", "wait_seconds": 0}
        )
        explicit = await client.call_tool(
            "edit_video", {**EDIT_ARGS, "provider": "modellix", "duration": 0, "wait_seconds": 0}
        )
        bodies = [request.body for request in state.of("modellix", "submit")]

    assert not default.is_error and "duration" not in bodies[0], "sent only when chosen"
    assert bodies[1]["duration"] == 0
    if zero == "accept":
        assert not explicit.is_error
    else:
        assert (
            explicit.is_error
            and "duration" in text_of(explicit)
            and "nothing was charged" in text_of(explicit)
        )


@pytest.mark.parametrize("with_usage", [False, True])
async def test_a_failed_task_with_or_without_usage(tmp_path: Path, with_usage: bool) -> None:
    async with running(tmp_path, dashscope_usage_on_failure=with_usage) as (client, state):
        state.script_next(FAILING)
        result = await client.call_tool("generate_reference_video", R2V_ARGS)

    structured = result.structured_content or {}
    assert structured["status"] == "failed" and structured["error"]["message"] == "GPU fell over"
    if with_usage:
        assert structured["usage"]["video_count"] == 0
    else:
        assert structured["usage"] is None


@pytest.mark.parametrize("floats", [False, True])
async def test_usage_numbers_as_integers_or_floats(tmp_path: Path, floats: bool) -> None:
    async with running(tmp_path, float_usage=floats) as (client, _state):
        result = await client.call_tool("edit_video", {**EDIT_ARGS, "duration": 4})

    usage = (result.structured_content or {})["usage"]
    assert usage["output_video_duration"] == 4 and usage["duration"] == 9
    assert isinstance(usage["duration"], float) is floats


@pytest.mark.parametrize("retry_after_too", [False, True])
async def test_modellix_rate_limits_are_timed_by_its_reset_header(
    tmp_path: Path, retry_after_too: bool
) -> None:
    async with running(tmp_path, modellix_retry_after_header=retry_after_too) as (client, state):
        state.inject("modellix", "submit", Fault("rate_limit", retry_after=7))
        refused = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "modellix"})
        state.script_next(TaskScript(queue_seconds=0.05, run_seconds=0.1))
        state.inject("modellix", "poll", Fault("rate_limit", retry_after=0.4))
        done = await client.call_tool(
            "generate_reference_video", {**R2V_ARGS, "provider": "modellix", "seed": 2}
        )
        polls = [request for request in state.requests if request.call == "poll"]

    assert "about 7 s" in text_of(refused) and "Nothing was submitted" in text_of(refused)
    assert (done.structured_content or {})["status"] == "succeeded"
    assert len(polls) >= 2
