"""Several server processes on one PostgreSQL journal, as a team deployment runs them
behind a load balancer: identical calls arriving at different replicas at the same moment
submit once, a replica killed mid-wait loses nothing, and stateless HTTP lets any replica
answer any request."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from balancer import RoundRobin
from conftest import R2V_ARGS, emulator_env, text_of
from servers import free_port, http_server
from wan_video_mcp.emulator import RunningEmulator, TaskScript

pytestmark = pytest.mark.anyio
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@contextmanager
def replicas(
    count: int, emulator: RunningEmulator, tmp_path: Path, database_url: str, **extra: str
) -> Iterator[list[tuple[str, object]]]:
    """`count` HTTP servers sharing one database; each saves videos in its own folder."""
    with ExitStack() as stack:
        started: list[tuple[str, object]] = []
        for n in range(count):
            port = free_port()
            env = emulator_env(emulator, tmp_path / f"replica{n}", WAN_MCP_DATABASE_URL=database_url, **extra)
            process = stack.enter_context(http_server(env, port, tmp_path / f"replica{n}.log"))
            started.append((f"http://127.0.0.1:{port}/mcp", process))
        yield started


async def test_identical_calls_at_three_replicas_submit_once_in_every_round(
    emulator: RunningEmulator, tmp_path: Path, database_url: str
) -> None:
    with replicas(3, emulator, tmp_path, database_url) as servers:
        for round_number in range(3):
            args = {**R2V_ARGS, "seed": 100 + round_number, "wait_seconds": 15}
            task_ids: list[str] = []

            async def call(url: str, args: dict[str, object] = args, task_ids: list[str] = task_ids) -> None:
                async with Client(url) as client:
                    result = await client.call_tool("generate_reference_video", args)
                assert not result.is_error, text_of(result)
                task_ids.append((result.structured_content or {})["task_id"])

            async with anyio.create_task_group() as tg:
                for n in range(6):
                    tg.start_soon(call, servers[n % 3][0])

            assert emulator.state.count(call="submit") == round_number + 1
            assert len(task_ids) == 6 and len(set(task_ids)) == 1


async def test_a_replica_killed_mid_wait_loses_nothing(
    emulator: RunningEmulator, tmp_path: Path, database_url: str
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=0.2, run_seconds=2.5))
    with replicas(2, emulator, tmp_path, database_url) as servers:
        (first_url, first), (second_url, _) = servers
        async with Client(first_url) as client:
            started = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0.3})
        task_id = (started.structured_content or {})["task_id"]
        first.send_signal(signal.SIGKILL)  # type: ignore[attr-defined]
        async with Client(second_url) as client:
            done = await client.call_tool("get_task", {"task_id": task_id, "wait_seconds": 20})
            listed = await client.call_tool("list_tasks", {})

    assert (started.structured_content or {})["status"] in ("queued", "running")
    result = done.structured_content or {}
    assert not done.is_error and result["status"] == "succeeded", text_of(done)
    assert Path(result["local_file"]).is_relative_to(tmp_path / "replica1")  # saved where it can be reached
    assert [task["task_id"] for task in (listed.structured_content or {})["tasks"]] == [task_id]
    assert emulator.state.count(call="submit") == 1


async def test_each_request_at_another_replica_on_the_current_protocol(
    emulator: RunningEmulator, tmp_path: Path, database_url: str
) -> None:
    """2026-07-28 requests stand alone: a balancer may send every one to a different replica."""
    emulator.state.script_next(TaskScript(queue_seconds=0.2, run_seconds=1.5))
    with replicas(3, emulator, tmp_path, database_url) as servers:
        balancer = RoundRobin([url.rsplit("/", 1)[0] for url, _ in servers])
        http = httpx2.AsyncClient(transport=balancer, timeout=30)
        async with Client(streamable_http_client(servers[0][0], http_client=http)) as client:
            started = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0.2})
            task_id = (started.structured_content or {})["task_id"]
            done = await client.call_tool("get_task", {"task_id": task_id, "wait_seconds": 20})
            listed = await client.call_tool("list_tasks", {})

    assert len(set(balancer.sent)) == 3  # every replica answered some of this one client's requests
    assert not done.is_error and (done.structured_content or {})["status"] == "succeeded", text_of(done)
    assert [task["task_id"] for task in (listed.structured_content or {})["tasks"]] == [task_id]
    assert emulator.state.count(call="submit") == 1


def rpc(method: str, params: dict[str, object], number: int) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": number, "method": method, "params": params}


async def test_stateless_http_lets_any_replica_answer_any_request(
    emulator: RunningEmulator, tmp_path: Path, database_url: str
) -> None:
    initialize = {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "lb", "version": "1"},
    }
    with replicas(2, emulator, tmp_path, database_url, WAN_MCP_HTTP_STATELESS="true") as servers:
        (first_url, _), (second_url, _) = servers
        async with httpx2.AsyncClient(timeout=30) as http:
            opened = await http.post(first_url, json=rpc("initialize", initialize, 1), headers=HEADERS)
            headers = {**HEADERS, "MCP-Protocol-Version": "2025-06-18"}
            call = rpc("tools/call", {"name": "list_tasks", "arguments": {}}, 2)
            answered = await http.post(second_url, json=call, headers=headers)

    assert opened.status_code == 200 and "mcp-session-id" not in opened.headers
    assert answered.status_code == 200 and '"tasks"' in answered.text
