"""MCP tasks (protocol 2025-11-25) with a real client: the TypeScript SDK's experimental tasks
client (`client.experimental.tasks`), run by Node against `wan-video-mcp serve` over stdio.

Needs `node` and the SDK in tests/node (`npm ci --prefix tests/node`; CI does both)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from conftest import R2V_ARGS, emulator_env
from servers import free_port, http_server
from wan_video_mcp.emulator import RunningEmulator, TaskScript

NODE_DIR = Path(__file__).parent / "node"
SERVE = [sys.executable, "-m", "wan_video_mcp", "serve"]
TASK_TOOLS = {"generate_reference_video", "edit_video", "vace_edit", "get_task"}

pytestmark = pytest.mark.anyio


def node() -> str:
    found = shutil.which("node")
    missing = (
        "Node is not installed"
        if found is None
        else None
        if (NODE_DIR / "node_modules" / "@modelcontextprotocol" / "sdk").is_dir()
        else "the TypeScript SDK is not installed (npm ci --prefix tests/node)"
    )
    if missing is not None:
        if os.environ.get("CI") == "true":  # CI installs both: a skip would hide a failure
            pytest.fail(f"{missing}; .ci/run installs it")
        pytest.skip(f"{missing}: the TypeScript client's tests need it")
    assert found is not None
    return found


async def typescript(env: dict[str, str], *command: str, url: str | None = None) -> list[dict[str, Any]]:
    """The TypeScript client's messages, one per line (tests/node/taskcall.mjs): against a server
    it spawns over stdio, or the one listening at `url`."""
    server = [url] if url is not None else SERVE
    with anyio.fail_after(120):
        done = await anyio.run_process(
            [node(), "taskcall.mjs", *command, "--", *server],
            env={**os.environ, **env},
            cwd=NODE_DIR,
            check=False,
        )
    return [json.loads(line) for line in done.stdout.decode().splitlines() if line.startswith("{")]


def one(messages: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    [found] = [message for message in messages if message["type"] == kind]
    return found


async def test_the_typescript_tasks_client_gets_the_same_result_as_a_plain_call(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = emulator_env(emulator, tmp_path)
    streamed = await typescript(env, "call", "generate_reference_video", json.dumps(R2V_ARGS))
    task_id = one(streamed, "taskCreated")["task"]["taskId"]
    plain = await typescript(env, "plain", "get_task", json.dumps({"task_id": task_id}))

    assert one(streamed, "connected")["capabilities"]["tasks"]["requests"] == {"tools": {"call": {}}}
    tools = one(streamed, "tools")["tools"]
    assert {tool["name"] for tool in tools if tool["execution"] == {"taskSupport": "optional"}} == TASK_TOOLS
    assert task_id.startswith("dashscope:"), "the task id is the durable handle"
    statuses = [message["task"]["status"] for message in streamed if message["type"] == "taskStatus"]
    assert statuses[-1] == "completed" and set(statuses) <= {"working", "completed"}
    result = one(streamed, "result")["result"]  # checked against the tool's outputSchema by the SDK
    assert not result.get("isError") and result["structuredContent"]["status"] == "succeeded"
    assert result["structuredContent"] == one(plain, "result")["result"]["structuredContent"]
    assert [block["type"] for block in result["content"]] == [
        "text",
        "image",
        "resource_link",
        "resource_link",
    ]
    assert emulator.state.count(call="submit") == 1


async def test_a_task_is_still_answered_after_the_server_restarts(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=1.5, run_seconds=1.0))
    env = emulator_env(emulator, tmp_path)
    started = await typescript(env, "start", "generate_reference_video", json.dumps(R2V_ARGS))
    created = one(started, "taskCreated")["task"]
    # That server is gone with its client; a new one, with the same journal, answers.
    resumed = await typescript(env, "get", created["taskId"])

    assert created["status"] == "working" and created["pollInterval"] == 100
    statuses = [message["task"]["status"] for message in resumed if message["type"] == "taskStatus"]
    assert statuses[-1] == "completed"
    result = one(resumed, "result")["result"]
    assert result["structuredContent"]["task_id"] == created["taskId"]
    assert Path(result["structuredContent"]["local_file"]).is_file()
    assert result["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": created["taskId"]}
    assert emulator.state.count(call="submit") == 1


async def test_a_refused_call_is_an_error_and_starts_nothing(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = emulator_env(emulator, tmp_path)
    streamed = await typescript(
        env, "call", "generate_reference_video", json.dumps({"prompt": "no references"})
    )

    error = one(streamed, "error")["error"]
    assert error["code"] == -32602 and "No task was started" in error["message"]
    assert emulator.state.count(call="submit") == 0


async def test_over_streamable_http_a_task_outlives_its_server(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=1.5, run_seconds=1.0))
    env = emulator_env(emulator, tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    with http_server(env, port, tmp_path / "first.log"):
        started = await typescript(env, "start", "generate_reference_video", json.dumps(R2V_ARGS), url=url)
    with http_server(env, port, tmp_path / "second.log"):  # a new process: another replica, or a restart
        resumed = await typescript(env, "get", one(started, "taskCreated")["task"]["taskId"], url=url)

    task_id = one(started, "taskCreated")["task"]["taskId"]
    assert one(started, "connected")["capabilities"]["tasks"]["requests"] == {"tools": {"call": {}}}
    statuses = [message["task"]["status"] for message in resumed if message["type"] == "taskStatus"]
    assert statuses[-1] == "completed"
    result = one(resumed, "result")["result"]
    assert (
        result["structuredContent"]["task_id"] == task_id
        and result["structuredContent"]["status"] == "succeeded"
    )
    assert emulator.state.count(call="submit") == 1
