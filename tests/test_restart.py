"""Kill the server hard while it waits; a new one finds the task, finishes it, saves it once."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from conftest import R2V_ARGS, emulator_env
from servers import free_port, http_server
from wan_video_mcp.emulator import RunningEmulator, TaskScript

pytestmark = pytest.mark.anyio


async def test_kill_9_while_waiting_then_recover(emulator: RunningEmulator, tmp_path: Path) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=0.1, run_seconds=3600))
    env = emulator_env(emulator, tmp_path)
    port = free_port()
    waiting = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        if message and "RUNNING" in message:
            waiting.set()

    with http_server(env, port, tmp_path / "first.log") as first:
        async with anyio.create_task_group() as tg:

            async def call() -> None:
                # The connection dies with the server; that is the point of the test.
                with pytest.raises(Exception):  # noqa: B017, PT011
                    async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                        await client.call_tool(
                            "generate_reference_video",
                            {**R2V_ARGS, "wait_seconds": 30},
                            progress_callback=on_progress,
                        )

            tg.start_soon(call)
            with anyio.fail_after(20):
                await waiting.wait()
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)

    assert emulator.state.count(call="submit") == 1
    server = StdioServerParameters(command=sys.executable, args=["-m", "wan_video_mcp"], env=env)
    async with Client(server) as client:
        listed = json.loads((await client.read_resource("wan://tasks/recent")).contents[0].text)  # type: ignore[union-attr]
        [task] = listed
        assert task["state"] in ("queued", "running") and task["tool"] == "generate_reference_video"

        emulator.state.clock.advance(3600)
        assert task["continue_with"]["tool"] == "get_task"
        done = await client.call_tool("get_task", task["continue_with"]["arguments"])
        again = await client.call_tool("get_task", {"task_id": task["task_id"]})

    structured = done.structured_content or {}
    assert structured["status"] == "succeeded"
    assert Path(structured["local_file"]).read_bytes() == emulator.state.video
    assert (again.structured_content or {})["local_file"] == structured["local_file"]
    assert emulator.state.count(call="download") == 1, "the video is saved once"
    assert emulator.state.count(call="submit") == 1, "recovery never resubmits"
    saved = Path(structured["local_file"])
    # The video and its contact sheet, nothing else (no partial file).
    assert sorted(p.name for p in (tmp_path / "videos").iterdir()) == sorted(
        [saved.name, saved.with_suffix(".jpg").name]
    )
