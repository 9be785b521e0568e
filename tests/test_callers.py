"""How long a call waits, and what it links, follows who is calling (callers.py): quick
answers for the anonymous framework wrappers and ADK, the long wait for clients that
listen for progress or name themselves; an explicit budget always wins."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from mcp_types import Implementation

from conftest import R2V_ARGS, emulator_env, text_of
from wan_video_mcp.callers import Caller
from wan_video_mcp.emulator import RunningEmulator, TaskScript

pytestmark = pytest.mark.anyio
SIX_SECONDS = TaskScript(queue_seconds=0.5, run_seconds=5.5)


def server(env: dict[str, str]) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "wan_video_mcp"], env=env)


async def timed_call(client: Client, arguments: dict[str, Any], **kw: Any) -> tuple[float, Any]:
    started = time.monotonic()
    result = await client.call_tool("generate_reference_video", arguments, **kw)
    return time.monotonic() - started, result


@pytest.mark.parametrize("name", [None, "google-adk"])
async def test_a_framework_wrapper_gets_its_handle_before_5_seconds(
    emulator: RunningEmulator, tmp_path: Path, name: str | None
) -> None:
    emulator.state.script_next(SIX_SECONDS)
    info = Implementation(name=name, version="2.13.0") if name else None  # None: the SDK's "mcp"
    async with Client(server(emulator_env(emulator, tmp_path)), client_info=info) as client:
        took, result = await timed_call(client, R2V_ARGS)
        later = await client.call_tool("get_task", {"task_id": (result.structured_content or {})["task_id"]})

    structured = result.structured_content or {}
    assert took < 4.5 and structured["status"] in ("queued", "running") and not result.is_error
    assert structured["continue_with"]["after_seconds"] >= 30
    assert "usually done in about" in text_of(result) and "returns within seconds" in text_of(result)
    assert [block for block in result.content if block.type == "resource_link"] == []
    assert (later.structured_content or {})["status"] in ("running", "succeeded")


async def test_a_client_that_listens_for_progress_is_kept_waiting(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(SIX_SECONDS)
    updates: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        updates.append(progress)

    async with Client(server(emulator_env(emulator, tmp_path))) as client:
        took, result = await timed_call(client, R2V_ARGS, progress_callback=on_progress)

    assert (result.structured_content or {})["status"] == "succeeded" and took > 5
    assert updates and updates[-1] == 100


async def test_a_client_that_names_itself_is_kept_waiting_and_gets_the_link(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(SIX_SECONDS)
    async with Client(
        server(emulator_env(emulator, tmp_path)),
        client_info=Implementation(name="claude-ai", version="0.1.0"),
    ) as client:
        _, result = await timed_call(client, R2V_ARGS)

    assert (result.structured_content or {})["status"] == "succeeded"
    assert [block.type for block in result.content] == ["text", "image", "resource_link", "resource_link"]


async def test_an_explicit_budget_wins_over_the_client_guess(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(SIX_SECONDS)
    async with Client(server(emulator_env(emulator, tmp_path, WAN_MCP_WAIT_SECONDS="20"))) as client:
        _, configured = await timed_call(client, R2V_ARGS)
        emulator.state.script_next(SIX_SECONDS)
        took, asked = await timed_call(client, {**R2V_ARGS, "seed": 1, "wait_seconds": 0})

    assert (configured.structured_content or {})["status"] == "succeeded", "WAN_MCP_WAIT_SECONDS"
    assert took < 3 and (asked.structured_content or {})["status"] == "queued", "wait_seconds on the call"


@pytest.mark.parametrize(
    ("caller", "seconds", "links"),
    [
        (Caller(None, listens_for_progress=False), 3.0, False),
        (Caller("mcp", listens_for_progress=False), 3.0, False),
        (Caller("mcp", listens_for_progress=True), 50.0, False),
        (Caller("google-adk", listens_for_progress=True), 3.0, True),
        (Caller("fastmcp", listens_for_progress=True), 50.0, True),
        (Caller("claude-ai", listens_for_progress=False), 50.0, True),
    ],
)
def test_the_policy(caller: Caller, seconds: float, links: bool) -> None:
    assert caller.wait_seconds(None, None) == seconds
    assert caller.wants_links is links
    assert caller.wait_seconds(7, None) == 7 and caller.wait_seconds(None, 12) == 12
