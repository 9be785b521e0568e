"""The server over streamable HTTP, as a remote deployment serves it."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest
import uvicorn
from mcp import Client

from conftest import EDIT_ARGS, R2V_ARGS, emulator_env, text_of
from servers import free_port, http_server
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import RunningEmulator, TaskScript
from wan_video_mcp.settings import Settings

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def serving_http(settings: Settings) -> AsyncIterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
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

    assert len(tools.tools) == 6
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


def half_sent(port: int, payload: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(payload)
    sock.settimeout(10)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True


async def test_stalled_requests_and_surplus_connections_are_let_go(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = emulator_env(
        emulator, tmp_path, WAN_MCP_HTTP_READ_TIMEOUT_SECONDS="1", WAN_MCP_HTTP_MAX_CONNECTIONS="50"
    )
    port = free_port()
    with http_server(env, port, tmp_path / "server.log"):
        stalled = [half_sent(port, b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1") for _ in range(40)]
        stalled.append(half_sent(port, b""))  # connects, says nothing
        stalled.append(
            half_sent(port, b'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 500\r\n\r\n{"json')
        )
        started = time.monotonic()
        assert all(closed_by_server(sock) for sock in stalled), "every stalled request is dropped"
        assert time.monotonic() - started < 5
        surplus = [half_sent(port, b"") for _ in range(60)]
        quick = time.monotonic()
        assert sum(closed_by_server(sock) for sock in surplus[50:]) == 10
        assert time.monotonic() - quick < 0.9, "connections past the cap are closed on arrival"
        for sock in stalled + surplus:
            sock.close()

        async with Client(f"http://127.0.0.1:{port}/mcp") as client:  # and the server still serves
            result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})
        assert not result.is_error, text_of(result)
