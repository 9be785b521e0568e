"""What every framework driver shares: the server command, the scenario, and reading a
tool's answer the way a model would -- from the text the framework hands it.

A driver runs inside the framework's own virtualenv (some pin another `mcp`), starts
the server with the framework's own MCP client on that client's default settings,
and prints one JSON line per step for tests/test_frameworks.py to judge.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

Call = Callable[[str, dict[str, Any]], Awaitable[Any]]
HANDLE = re.compile(r"\b(dashscope|apiyi|modellix|aimlapi):[A-Za-z0-9_.:/-]*[A-Za-z0-9_-]")
ARGS = {"prompt": "Image 1 walks along a beach", "reference_images": ["https://example.com/a.png"]}
SERVER_PREFIXES = ("WAN_MCP_", "DASHSCOPE_", "APIYI_", "MODELLIX_", "AIMLAPI_")
MAX_FOLLOW_CALLS = 40


def server_command() -> tuple[str, list[str], dict[str, str]]:
    """The server, from the interpreter the test names, with the emulator's settings.

    Passed explicitly: MCP stdio clients hand the child only a few variables (HOME, PATH...)."""
    env = {key: value for key, value in os.environ.items() if key.startswith(SERVER_PREFIXES)}
    env["PATH"] = os.environ.get("PATH", "")
    return os.environ["WAN_SERVER_PYTHON"], ["-m", "wan_video_mcp"], env


def emit(step: str, **facts: Any) -> None:
    print(json.dumps({"step": step, **facts}, default=str), flush=True)


def read_answer(answer: Any) -> tuple[str, str | None]:
    """(status, handle) as a model would read them from what the framework returned."""
    text = answer if isinstance(answer, str) else json.dumps(answer, default=str)
    handle = HANDLE.search(text)
    if "Video ready" in text or '"status": "succeeded"' in text:
        status = "succeeded"
    elif (
        "Still queued" in text or "Still running" in text or re.search(r'"status": "(queued|running)"', text)
    ):
        status = "running"
    else:
        status = "other: " + text[:300]
    return status, handle.group(0) if handle else None


async def timed(call: Call, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    try:
        answer = await call(tool, arguments)
    except BaseException as exc:  # reported, not raised: the test judges every step
        return {"seconds": time.monotonic() - started, "status": f"raised {exc!r}"[:400], "handle": None}
    status, handle = read_answer(answer)
    return {"seconds": round(time.monotonic() - started, 2), "status": status, "handle": handle}


async def job(call: Call, name: str, arguments: dict[str, Any]) -> None:
    """Submit, then follow with get_task (on defaults) until the video is ready."""
    first = await timed(call, "generate_reference_video", arguments)
    emit(name, **first)
    handle, calls = first["handle"], []
    while first["status"] == "running" and handle and len(calls) < MAX_FOLLOW_CALLS:
        calls.append(await timed(call, "get_task", {"task_id": handle}))
        if calls[-1]["status"] != "running":
            break
    emit(f"{name}: get_task", calls=calls, final=(calls[-1] if calls else first)["status"])


async def scenario(call: Call, tools: list[str]) -> None:
    """The test scripts the emulator's jobs in this order: 5 s, 8 s, 1 s."""
    emit("tools", names=sorted(tools))
    await job(call, "a 5 s job", {**ARGS, "seed": 1})
    await job(call, "an 8 s job", {**ARGS, "seed": 2})
    await job(call, "wait_seconds 0", {**ARGS, "seed": 3, "wait_seconds": 0})


def fail(message: str) -> None:
    emit("driver failed", error=message)
    sys.exit(1)
