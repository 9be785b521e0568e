"""The server over streamable HTTP, as a remote deployment serves it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
import uvicorn
from mcp import Client

from conftest import EDIT_ARGS, R2V_ARGS, text_of
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import RunningEmulator, TaskScript
from wan_video_mcp.settings import Settings

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serving_http(settings: Settings) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = build_server(settings).streamable_http_app()
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="on"))
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        while not server.started:  # noqa: ASYNC110
            await anyio.sleep(0.01)
        yield f"http://127.0.0.1:{port}/mcp"
        server.should_exit = True


async def test_a_job_over_streamable_http(settings: Settings, emulator: RunningEmulator) -> None:
    values: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        values.append(progress)

    async with serving_http(settings) as url, Client(url) as client:
        tools = await client.list_tools()
        result = await client.call_tool("generate_reference_video", R2V_ARGS, progress_callback=on_progress)

    assert len(tools.tools) == 4
    assert not result.is_error, text_of(result)
    assert Path((result.structured_content or {})["local_file"]).exists()
    assert values == sorted(set(values)) and values[-1] == 100.0


async def test_still_running_then_get_task_over_http(settings: Settings, emulator: RunningEmulator) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=0.1, run_seconds=0.8))

    async with serving_http(settings) as url, Client(url, mode="legacy") as client:
        first = await client.call_tool("edit_video", {**EDIT_ARGS, "wait_seconds": 0.2})
        done = await client.call_tool("get_task", {"task_id": (first.structured_content or {})["task_id"]})

    assert (first.structured_content or {})["done"] is False
    assert (done.structured_content or {})["status"] == "succeeded"
