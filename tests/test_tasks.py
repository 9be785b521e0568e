"""MCP tasks through raw JSON-RPC from Python: protocol 2026-07-28's extension
`io.modelcontextprotocol/tasks` (opt in per request, `resultType: "task"`, `tasks/get` with the
result inline, `tasks/cancel`) and 2025-11-25's core tasks; a client that does not ask sees
nothing new. The TypeScript SDK's own tasks client is in test_tasks_typescript.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest

from conftest import EDIT_ARGS, FAST_SCRIPT, R2V_ARGS, emulator_env
from rawmcp import TASKS, RawPeer, modern_meta, raw_stdio_server
from wan_video_mcp.emulator import (
    EmulatorOptions,
    EmulatorState,
    Fault,
    RunningEmulator,
    TaskScript,
    serve_emulator,
)

HANDLE = re.compile(r"^dashscope:[0-9a-f-]{36}$")
WAITING = TaskScript(queue_seconds=60, run_seconds=5)

pytestmark = pytest.mark.anyio


async def call(peer: RawPeer, method: str, params: dict[str, Any], *, tasks: bool = True) -> dict[str, Any]:
    return await peer.request(method, {**params, "_meta": modern_meta(tasks=tasks)})


async def until_settled(peer: RawPeer, task_id: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    with anyio.fail_after(30):
        while not seen or seen[-1]["status"] == "working":
            seen.append((await call(peer, "tasks/get", {"taskId": task_id}))["result"])
            await anyio.sleep(seen[-1]["pollIntervalMs"] / 1000)
    return seen


async def test_a_modern_client_that_opts_in_gets_a_task_and_then_the_tools_own_result(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = emulator_env(emulator, tmp_path)
    async with raw_stdio_server(env, tmp_path / "server.log") as peer:
        discovered = (await call(peer, "server/discover", {}))["result"]
        tools = (await call(peer, "tools/list", {}))["result"]["tools"]
        created = await call(peer, "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS})
        task = created["result"]
        first = (await call(peer, "tasks/get", {"taskId": task["taskId"]}))["result"]
        seen = await until_settled(peer, task["taskId"])
        plain = await call(
            peer, "tools/call", {"name": "get_task", "arguments": {"task_id": task["taskId"]}}, tasks=False
        )

    assert discovered["capabilities"]["extensions"][TASKS] == {}
    assert task["resultType"] == "task" and HANDLE.match(task["taskId"]), "the task id is the durable handle"
    assert task["status"] == "working" and task["pollIntervalMs"] == 100, (
        "the provider's interval (here 0.1 s)"
    )
    assert task["ttlMs"] == 90 * 86_400_000, "kept as long as the journal keeps it"
    assert first["taskId"] == task["taskId"], "tasks/get resolves the moment the task is returned"
    assert emulator.state.count(call="submit") == 1
    final = seen[-1]
    assert final["status"] == "completed" and final["resultType"] == "complete"
    result = final["result"]
    output_schema = next(tool for tool in tools if tool["name"] == "generate_reference_video")["outputSchema"]
    jsonschema.validate(result["structuredContent"], output_schema)
    assert result["structuredContent"]["status"] == "succeeded" and result["structuredContent"]["local_file"]
    assert Path(result["structuredContent"]["local_file"]).is_file(), "completed means the video is saved"
    assert [block["type"] for block in result["content"]] == [
        "text",
        "image",
        "resource_link",
        "resource_link",
    ]
    same = plain["result"]
    assert same.get("resultType") != "task", "no opt-in on that request: a plain result"
    assert same["structuredContent"] == result["structuredContent"], "exactly what the tool returns"
    assert [block["type"] for block in same["content"]] == [block["type"] for block in result["content"]]
    assert "Video ready" in final["statusMessage"]


async def test_without_the_opt_in_a_modern_call_is_answered_as_before(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        answer = await call(
            peer, "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS}, tasks=False
        )

    result = answer["result"]
    assert result["resultType"] == "complete" and "taskId" not in result
    assert result["structuredContent"]["status"] == "succeeded", "the bounded wait, as always"


async def test_modern_tasks_cancel_unknown_ids_and_methods_of_the_other_generation(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(WAITING)
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        created = await call(peer, "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS})
        task_id = created["result"]["taskId"]
        cancelled = await call(peer, "tasks/cancel", {"taskId": task_id})
        after = (await call(peer, "tasks/get", {"taskId": task_id}))["result"]
        again = await call(peer, "tasks/cancel", {"taskId": task_id})
        unknown = await call(peer, "tasks/get", {"taskId": "dashscope:00000000-0000-0000-0000-000000000000"})
        garbage = await call(peer, "tasks/get", {"taskId": "no such thing"})
        legacy_only = [
            await call(peer, method, {"taskId": task_id}) for method in ("tasks/result", "tasks/list")
        ]
        update = await call(peer, "tasks/update", {"taskId": task_id, "inputResponses": {}})
        not_a_task_tool = await call(peer, "tools/call", {"name": "list_tasks", "arguments": {}})

    assert cancelled["result"]["resultType"] == "complete", "an acknowledgement"
    assert after["status"] == "cancelled" and "canceled at the provider" in after["statusMessage"]
    assert emulator.state.count(call="cancel") == 1
    assert again["result"]["resultType"] == "complete", "cancelling is cooperative: always acknowledged"
    assert emulator.state.count(call="cancel") == 1, "a finished task is not cancelled again"
    assert unknown["error"]["code"] == -32602 and "Task not found" in unknown["error"]["message"]
    assert garbage["error"]["code"] == -32602
    assert [answer["error"]["code"] for answer in legacy_only] == [-32601, -32601]
    assert update["result"]["resultType"] == "complete"
    assert "tasks" in not_a_task_tool["result"]["structuredContent"], "list_tasks answers at once"


async def test_a_provider_that_cannot_cancel_is_said_plainly(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(WAITING)
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        created = await call(
            peer,
            "tools/call",
            {"name": "generate_reference_video", "arguments": {**R2V_ARGS, "provider": "apiyi"}},
        )
        refused = await call(peer, "tasks/cancel", {"taskId": created["result"]["taskId"]})
        still = (await call(peer, "tasks/get", {"taskId": created["result"]["taskId"]}))["result"]

    assert refused["result"]["resultType"] == "complete", "acknowledged ..."
    message = still["statusMessage"]  # ... and the task says what became of it
    assert "APIYI cannot cancel" in message and "keeps running" in message
    assert still["status"] == "working" and emulator.state.count(call="cancel") == 0


async def test_an_unknown_submit_outcome_is_a_task_that_says_so(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.inject("dashscope", "submit", Fault("drop"))
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        created = await call(peer, "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS})
        task = created["result"]
        got = (await call(peer, "tasks/get", {"taskId": task["taskId"]}))["result"]
        again = await call(peer, "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS})

    assert task["resultType"] == "task" and re.match(r"^submit-unknown:\d+\.[0-9a-f]{20}$", task["taskId"])
    assert task["status"] == "working", "a task begins working; its first tasks/get has the outcome"
    assert "unknown whether a wan2.7-r2v job was created" in task["statusMessage"]
    assert got["status"] == "completed", "2026-07-28: a tool error is a completed task with an error result"
    assert got["result"]["isError"] and got["result"]["structuredContent"]["status"] == "submit_unknown"
    assert again["result"]["taskId"] == task["taskId"], "the same unknown outcome, never a second submit"
    assert emulator.state.count(call="submit") == 1


async def test_refusals_and_dry_runs_start_no_task(emulator: RunningEmulator, tmp_path: Path) -> None:
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        bad = await call(
            peer, "tools/call", {"name": "generate_reference_video", "arguments": {"prompt": "x"}}
        )
        dry = await call(
            peer,
            "tools/call",
            {"name": "generate_reference_video", "arguments": {**R2V_ARGS, "dry_run": True}},
        )

    assert bad["result"]["isError"] and "reference" in bad["result"]["content"][0]["text"]
    assert dry["result"]["structuredContent"]["status"] == "dry_run" and "taskId" not in dry["result"]
    assert emulator.state.count(call="submit") == 0


async def test_a_2025_11_25_client_runs_a_task_with_raw_requests(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        initialized = await peer.initialize("2025-11-25")
        tools = (await peer.request("tools/list"))["result"]["tools"]
        created = await peer.request(
            "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS, "task": {"ttl": 60000}}
        )
        task_id = created["result"]["task"]["taskId"]
        blocked = await peer.request("tasks/result", {"taskId": task_id})  # returns once terminal
        got = (await peer.request("tasks/get", {"taskId": task_id}))["result"]
        listed = (await peer.request("tasks/list", {}))["result"]
        finished = await peer.request("tasks/cancel", {"taskId": task_id})
        forbidden = await peer.request("tools/call", {"name": "list_tasks", "arguments": {}, "task": {}})
        modern_only = await peer.request("tasks/update", {"taskId": task_id, "inputResponses": {}})
        plain = await peer.request("tools/call", {"name": "edit_video", "arguments": EDIT_ARGS})

    assert initialized["capabilities"]["tasks"] == {
        "list": {},
        "cancel": {},
        "requests": {"tools": {"call": {}}},
    }
    marked = {tool["name"] for tool in tools if tool.get("execution") == {"taskSupport": "optional"}}
    assert marked == {"generate_reference_video", "edit_video", "vace_edit", "get_task"}
    task = created["result"]["task"]
    assert HANDLE.match(task_id) and task["status"] == "working" and task["pollInterval"] == 100
    assert task["ttl"] == 90 * 86_400_000 and task["createdAt"].endswith("Z")
    result = blocked["result"]
    assert result["structuredContent"]["status"] == "succeeded" and not result.get("isError")
    assert result["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task_id}
    assert got["status"] == "completed" and got["taskId"] == task_id and "result" not in got
    assert [entry["taskId"] for entry in listed["tasks"]] == [task_id] and "nextCursor" not in listed
    assert finished["error"]["code"] == -32602 and "already" in finished["error"]["message"]
    assert forbidden["error"]["code"] == -32601 and "does not run as a task" in forbidden["error"]["message"]
    assert modern_only["error"]["code"] == -32601
    assert plain["result"]["structuredContent"]["status"] == "succeeded", "no params.task: as before"


async def test_a_failed_job_is_a_failed_2025_task_whose_result_says_why(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=0.1, run_seconds=0.2, outcome="failed"))
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        await peer.initialize("2025-11-25")
        created = await peer.request(
            "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS, "task": {}}
        )
        task_id = created["result"]["task"]["taskId"]
        result = (await peer.request("tasks/result", {"taskId": task_id}))["result"]
        got = (await peer.request("tasks/get", {"taskId": task_id}))["result"]

    assert got["status"] == "failed" and "failed" in got["statusMessage"]
    assert result["isError"] and result["structuredContent"]["status"] == "failed"


async def test_clients_before_2025_11_25_see_no_tasks(emulator: RunningEmulator, tmp_path: Path) -> None:
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        initialized = await peer.initialize("2025-06-18")
        tools = (await peer.request("tools/list"))["result"]["tools"]
        answer = await peer.request(
            "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS, "task": {}}
        )
        get = await peer.request("tasks/get", {"taskId": answer["result"]["structuredContent"]["task_id"]})

    assert "tasks" not in initialized["capabilities"]
    assert all("execution" not in tool for tool in tools)
    assert answer["result"]["structuredContent"]["status"] == "succeeded", (
        "a task field is ignored, as before"
    )
    assert get["error"]["code"] == -32601


async def test_no_key_leaves_in_a_task_status_result_or_error(tmp_path: Path) -> None:
    state = EmulatorState(EmulatorOptions(echo_key="plain"))
    state.default_script = FAST_SCRIPT
    key = state.keys["dashscope"]
    state.inject("dashscope", "submit", Fault("invalid", message=f"API key {key} lacks access"))
    state.inject("dashscope", "cancel", Fault("invalid", message=f"key {key} may not cancel"))
    log = tmp_path / "server.log"
    async with (
        serve_emulator(state) as emulator,
        raw_stdio_server(emulator_env(emulator, tmp_path), log) as peer,
    ):
        await peer.initialize("2025-11-25")
        refused = await peer.request(
            "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS, "task": {}}
        )
        state.script_next(TaskScript(queue_seconds=0.05, run_seconds=0.1, outcome="failed"))
        failed = await peer.request(
            "tools/call",
            {"name": "generate_reference_video", "arguments": {**R2V_ARGS, "seed": 1}, "task": {}},
        )
        failed_id = failed["result"]["task"]["taskId"]
        outputs = [refused, failed, await peer.request("tasks/result", {"taskId": failed_id})]
        outputs.append(await peer.request("tasks/get", {"taskId": failed_id}))
        state.script_next(WAITING)
        queued = await peer.request(
            "tools/call",
            {"name": "generate_reference_video", "arguments": {**R2V_ARGS, "seed": 2}, "task": {}},
        )
        outputs.append(await peer.request("tasks/cancel", {"taskId": queued["result"]["task"]["taskId"]}))

    text = json.dumps(outputs)
    assert key not in text and "[redacted]" in text
    assert (
        "lacks access" in refused["error"]["message"] and "may not cancel" in outputs[-1]["error"]["message"]
    )


async def test_modern_tasks_methods_need_the_extension_declared(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        created = await call(peer, "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS})
        undeclared = await call(peer, "tasks/get", {"taskId": created["result"]["taskId"]}, tasks=False)

    assert undeclared["error"]["code"] == -32021 and TASKS in undeclared["error"]["message"]


async def test_2025_cancel_dry_run_and_refusal(emulator: RunningEmulator, tmp_path: Path) -> None:
    emulator.state.script_next(WAITING)
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        await peer.initialize("2025-11-25")

        async def task_call(arguments: dict[str, Any]) -> dict[str, Any]:
            return await peer.request(
                "tools/call", {"name": "generate_reference_video", "arguments": arguments, "task": {}}
            )

        queued = (await task_call(R2V_ARGS))["result"]["task"]["taskId"]
        cancelled = await peer.request("tasks/cancel", {"taskId": queued})
        emulator.state.script_next(WAITING)
        at_apiyi = (await task_call({**R2V_ARGS, "provider": "apiyi"}))["result"]["task"]["taskId"]
        cannot = await peer.request("tasks/cancel", {"taskId": at_apiyi})
        dry = (await task_call({**R2V_ARGS, "seed": 3, "dry_run": True}))["result"]["task"]
        dry_got = (await peer.request("tasks/get", {"taskId": dry["taskId"]}))["result"]
        dry_result = (await peer.request("tasks/result", {"taskId": dry["taskId"]}))["result"]
        refused = await task_call({"prompt": "no references"})

    assert cancelled["result"]["status"] == "cancelled" and cancelled["result"]["taskId"] == queued
    assert cannot["error"]["code"] == -32602
    assert (
        "APIYI cannot cancel" in cannot["error"]["message"] and "keeps running" in cannot["error"]["message"]
    )
    assert dry_got["status"] == "completed", "a dry run is answered at once, as a completed task"
    assert dry_result["structuredContent"]["status"] == "dry_run" and dry_result["structuredContent"]["cost"]
    assert refused["error"]["code"] == -32602 and "No task was started" in refused["error"]["message"]
    assert emulator.state.count(call="submit") == 2 and emulator.state.count(call="cancel") == 1


async def test_tasks_result_waits_at_the_providers_pace_whatever_the_callers_budget(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=0.5, run_seconds=1.5))
    env = emulator_env(emulator, tmp_path, WAN_MCP_WAIT_SECONDS="0", WAN_MCP_POLL_MAX_SECONDS="0.5")
    async with raw_stdio_server(env, tmp_path / "server.log") as peer:
        await peer.initialize("2025-11-25")
        created = await peer.request(
            "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS, "task": {}}
        )
        result = await peer.request("tasks/result", {"taskId": created["result"]["task"]["taskId"]})

    assert result["result"]["structuredContent"]["status"] == "succeeded"
    assert emulator.state.count(call="poll") <= 12, "about one status query per interval, not a tight loop"


async def test_what_the_starting_call_said_stays_in_the_tasks_result(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    arguments = {**R2V_ARGS, "ratio": "16:9", "first_frame_image": "https://example.com/first.png"}
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        await peer.initialize("2025-11-25")
        created = await peer.request(
            "tools/call", {"name": "generate_reference_video", "arguments": arguments, "task": {}}
        )
        task_id = created["result"]["task"]["taskId"]
        plain = await peer.request("tools/call", {"name": "generate_reference_video", "arguments": arguments})
        result = (await peer.request("tasks/result", {"taskId": task_id}))["result"]

    notes = plain["result"]["structuredContent"]["notes"]
    assert any("ratio" in note for note in notes), "the plain call notes the ignored ratio"
    assert [note for note in result["structuredContent"]["notes"] if "ratio" in note] == [
        note for note in notes if "ratio" in note
    ]
    assert result["structuredContent"]["reused"] is False and plain["result"]["structuredContent"]["reused"]


async def test_a_long_retry_after_does_not_make_tasks_result_spin(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.inject("dashscope", "poll", Fault("rate_limit", retry_after=120), times=8)
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        await peer.initialize("2025-11-25")
        created = await peer.request(
            "tools/call", {"name": "generate_reference_video", "arguments": R2V_ARGS, "task": {}}
        )
        result = await peer.request("tasks/result", {"taskId": created["result"]["task"]["taskId"]})

    assert result["result"]["structuredContent"]["status"] == "succeeded"
    assert emulator.state.count(call="poll") <= 20, "one query per provider interval, not a tight loop"


async def test_tasks_list_pages_through_every_task_once(emulator: RunningEmulator, tmp_path: Path) -> None:
    async with raw_stdio_server(emulator_env(emulator, tmp_path), tmp_path / "server.log") as peer:
        await peer.initialize("2025-11-25")
        created = [
            (
                await peer.request(
                    "tools/call",
                    {
                        "name": "generate_reference_video",
                        "arguments": {**R2V_ARGS, "seed": seed, "wait_seconds": 0},
                    },
                )
            )["result"]["structuredContent"]["task_id"]
            for seed in range(53)
        ]
        first = (await peer.request("tasks/list", {}))["result"]
        second = (await peer.request("tasks/list", {"cursor": first["nextCursor"]}))["result"]
        bad = await peer.request("tasks/list", {"cursor": "not-a-cursor"})
        unknown_result = await peer.request(
            "tasks/result", {"taskId": "dashscope:00000000-0000-0000-0000-000000000000"}
        )
        gone_answer = await peer.request("tasks/get", {"taskId": "answer:nothing-kept-under-this"})

    listed = [task["taskId"] for task in first["tasks"] + second["tasks"]]
    assert len(first["tasks"]) == 50 and "nextCursor" not in second
    assert listed == created[::-1], "newest first, each task once"
    assert bad["error"]["code"] == -32602
    assert (
        unknown_result["error"]["code"] == -32602 and "Task not found" in unknown_result["error"]["message"]
    )
    assert gone_answer["error"]["code"] == -32602 and "Task not found" in gone_answer["error"]["message"]
