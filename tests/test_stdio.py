"""The server as a client launches it: a subprocess speaking MCP over stdio."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from conftest import R2V_ARGS, emulator_env, text_of
from wan_video_mcp.emulator import RunningEmulator

pytestmark = pytest.mark.anyio


def stdio_server(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "wan_video_mcp"], env=env)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_tools_list_over_stdio(emulator: RunningEmulator, tmp_path: Path, mode: str) -> None:
    async with Client(stdio_server(emulator_env(emulator, tmp_path)), mode=mode) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

    assert set(tools) == {
        "generate_reference_video",
        "edit_video",
        "vace_edit",
        "get_task",
        "cancel_task",
        "list_tasks",
    }
    assert all(tool.output_schema for tool in tools.values())
    duration = tools["generate_reference_video"].input_schema["properties"]["duration"]
    assert (duration["minimum"], duration["maximum"], duration["default"]) == (2, 15, 5)
    assert tools["vace_edit"].input_schema["properties"]["function"]["enum"][0] == "image_reference"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_job_over_stdio_reports_progress_and_ends_with_a_video(
    emulator: RunningEmulator, tmp_path: Path, mode: str
) -> None:
    updates: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append((progress, total, message))

    async with Client(stdio_server(emulator_env(emulator, tmp_path)), mode=mode) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS, progress_callback=on_progress)

    assert not result.is_error, text_of(result)
    structured = result.structured_content or {}
    assert structured["status"] == "succeeded"
    assert Path(structured["local_file"]).read_bytes() == emulator.state.video
    values = [progress for progress, _, _ in updates]
    assert len(values) >= 3 and values == sorted(set(values)), "progress must strictly increase"
    assert updates[-1][0] == 100.0 and "SUCCEEDED" in (updates[-1][2] or "")


async def test_progress_is_sent_only_when_the_client_asked_for_it(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    seen: list[str] = []

    async def on_message(message: object) -> None:
        seen.append(type(getattr(message, "root", message)).__name__)

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        del progress, total, message

    async with Client(
        stdio_server(emulator_env(emulator, tmp_path)), mode="legacy", message_handler=on_message
    ) as client:
        # With a progress token (set by passing a callback), notifications arrive...
        asked = await client.call_tool(
            "generate_reference_video", {**R2V_ARGS, "seed": 1}, progress_callback=on_progress
        )
        with_token = seen.count("ProgressNotification")
        # ...and without one, none do.
        unasked = await client.call_tool("generate_reference_video", {**R2V_ARGS, "seed": 2})
        without_token = seen.count("ProgressNotification") - with_token

    assert not asked.is_error and not unasked.is_error
    assert with_token >= 3
    assert without_token == 0
