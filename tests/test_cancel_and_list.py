"""cancel_task and list_tasks through the real MCP client against the emulator: a queued DashScope
job is cancelled at the provider; a running one, or one at a provider without cancel, is left
alone with a plain answer; and a task whose handle was lost is found again after a restart."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from mcp import Client

from conftest import NAMED, R2V_ARGS, emulator_settings, text_of
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import Fault, RunningEmulator, TaskScript

pytestmark = pytest.mark.anyio

WAITING = TaskScript(queue_seconds=60, run_seconds=5)
RUNNING = TaskScript(queue_seconds=0.05, run_seconds=60)


async def test_a_queued_dashscope_job_is_cancelled_at_the_provider(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(WAITING)
    async with Client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        started = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})
        task_id = (started.structured_content or {})["task_id"]
        cancelled = await client.call_tool("cancel_task", {"task_id": task_id})
        looked_up = await client.call_tool("get_task", {"task_id": task_id, "wait_seconds": 0})
        listed = await client.call_tool("list_tasks", {"status": "canceled"})

    structured = cancelled.structured_content or {}
    [sent] = emulator.state.of(provider="dashscope", call="cancel")
    assert sent.method == "POST" and sent.path.endswith(f"/api/v1/tasks/{task_id.split(':', 1)[1]}/cancel")
    assert structured["status"] == "canceled" and structured["cancel"]["outcome"] == "canceled"
    assert not cancelled.is_error and "Cancelled at DashScope" in text_of(cancelled)
    assert (looked_up.structured_content or {})["status"] == "canceled", "the journal and the provider agree"
    [task] = (listed.structured_content or {})["tasks"]
    assert task["task_id"] == task_id and task["cost_actual"] == 0, (
        "a job cancelled while queued costs nothing"
    )
    assert structured["cost"]["actual"] == 0 and "not billed" in structured["cost"]["actual_basis"]


async def test_a_cancel_answered_with_a_server_error_is_unknown_not_refused(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(WAITING)
    emulator.state.inject("dashscope", "cancel", Fault("server_error"))
    async with Client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        started = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})
        task_id = (started.structured_content or {})["task_id"]
        unclear = await client.call_tool("cancel_task", {"task_id": task_id})
        again = await client.call_tool("cancel_task", {"task_id": task_id})

    assert (unclear.structured_content or {})["cancel"]["outcome"] == "unknown"
    assert "HTTP 500" in text_of(unclear) and "Call cancel_task again" in text_of(unclear)
    assert "refused" not in text_of(unclear)
    assert (again.structured_content or {})["cancel"]["outcome"] == "canceled"


async def test_a_running_job_is_not_cancelled_and_the_answer_says_why(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(RUNNING)
    async with Client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        started = await client.call_tool("generate_reference_video", {**R2V_ARGS, "wait_seconds": 0})
        task_id = (started.structured_content or {})["task_id"]
        await anyio.sleep(0.2)  # past its queue: running
        refused = await client.call_tool("cancel_task", {"task_id": task_id})

    structured = refused.structured_content or {}
    assert structured["cancel"]["outcome"] == "refused" and structured["status"] == "running"
    assert emulator.state.count(call="cancel") == 1, "the provider was asked, and said no"
    text = text_of(refused)
    assert "refused to cancel" in text and "PENDING" in text and "keeps running and is billed" in text
    assert "call again" not in text and "nothing was charged" not in text, "no advice meant for a submit"
    assert not refused.is_error


async def test_a_provider_without_cancel_is_not_asked_and_nothing_changes(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(WAITING)
    async with Client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        started = await client.call_tool(
            "generate_reference_video", {**R2V_ARGS, "provider": "apiyi", "wait_seconds": 0}
        )
        answer = await client.call_tool(
            "cancel_task", {"task_id": (started.structured_content or {})["task_id"]}
        )

    structured = answer.structured_content or {}
    assert structured["cancel"]["outcome"] == "not_supported" and structured["status"] == "queued"
    assert emulator.state.count(call="cancel") == 0
    assert "APIYI cannot cancel" in text_of(answer) and "keeps running" in text_of(answer)


async def test_a_finished_job_has_nothing_to_cancel(emulator: RunningEmulator, tmp_path: Path) -> None:
    async with Client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        done = await client.call_tool("generate_reference_video", R2V_ARGS)
        answer = await client.call_tool(
            "cancel_task", {"task_id": (done.structured_content or {})["task_id"]}
        )

    structured = answer.structured_content or {}
    assert structured["cancel"]["outcome"] == "already_finished" and structured["status"] == "succeeded"
    assert emulator.state.count(call="cancel") == 0


async def test_list_tasks_finds_a_lost_handle_after_a_restart(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    emulator.state.script_next(WAITING)
    settings = emulator_settings(emulator, tmp_path)
    async with Client(build_server(settings), client_info=NAMED) as client:
        lost = await client.call_tool(
            "generate_reference_video",
            {**R2V_ARGS, "prompt": "Image 1 climbs a lighthouse", "wait_seconds": 0},
        )
        await client.call_tool(
            "vace_edit",
            {
                "function": "image_reference",
                "prompt": "a girl",
                "ref_images_url": ["https://example.com/girl.png"],
                "obj_or_bg": ["obj"],
            },
        )
    async with Client(build_server(settings), client_info=NAMED) as restarted:
        everything = await restarted.call_tool("list_tasks", {})
        queued_r2v = await restarted.call_tool("list_tasks", {"status": "queued", "model": "wan2.7-r2v"})
        bad = await restarted.call_tool("list_tasks", {"status": "lost"})

    tasks = (everything.structured_content or {})["tasks"]
    assert [task["model"] for task in tasks] == ["wan2.1-vace-plus", "wan2.7-r2v"], "newest first"
    [found] = (queued_r2v.structured_content or {})["tasks"]
    assert found["task_id"] == (lost.structured_content or {})["task_id"]
    assert found["prompt"] == "Image 1 climbs a lighthouse" and found["cost_estimate"] == pytest.approx(0.75)
    assert found["task_id"] in text_of(queued_r2v) and "lighthouse" in text_of(queued_r2v)
    assert bad.is_error and "status" in text_of(bad)


async def test_the_new_tools_declare_their_schemas_and_hints(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with Client(build_server(emulator_settings(emulator, tmp_path))) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}

    cancel, listing = tools["cancel_task"], tools["list_tasks"]
    assert (
        cancel.annotations and cancel.annotations.destructive_hint and not cancel.annotations.read_only_hint
    )
    assert listing.annotations and listing.annotations.read_only_hint
    assert (
        cancel.input_schema["required"] == ["task_id"]
        and cancel.input_schema["additionalProperties"] is False
    )
    assert set(listing.input_schema["properties"]) == {"status", "model", "limit"}
    assert listing.output_schema and "tasks" in listing.output_schema["properties"]
    assert cancel.output_schema and "cancel" in cancel.output_schema["properties"]
    assert "dry_run" in tools["generate_reference_video"].input_schema["properties"]
