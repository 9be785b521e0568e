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
EDIT = {"video_url": "https://example.com/in.mp4", "prompt": "make it clay animation"}
VACE = {
    "function": "image_reference",
    "prompt": "a girl in a forest",
    "ref_images_url": ["https://example.com/girl.png", "https://example.com/forest.png"],
    "obj_or_bg": ["obj", "bg"],
}
# "Saved to: <path>" in the text, or "local_file" where the framework shows structuredContent
SAVED = re.compile(r"(?:Saved to: |\"local_file\":\s*\")([^\n\"]+?)(?:\\n|\n|\"|$)")
MAX_FOLLOW_CALLS = 40


def server_command() -> tuple[str, list[str], dict[str, str]]:
    """The server, from the interpreter the test names, with the emulator's settings.

    Passed explicitly: MCP stdio clients hand the child only a few variables (HOME, PATH...)."""
    env = {key: value for key, value in os.environ.items() if key.startswith(SERVER_PREFIXES)}
    env["PATH"] = os.environ.get("PATH", "")
    return os.environ["WAN_SERVER_PYTHON"], ["-m", "wan_video_mcp"], env


def emit(step: str, **facts: Any) -> None:
    print(json.dumps({"step": step, **facts}, default=str), flush=True)


def read_answer(answer: Any) -> dict[str, Any]:
    """What a model would read from what the framework returned: status, handle, saved file,
    and whether a still-running answer says when to ask again."""
    text = answer if isinstance(answer, str) else json.dumps(answer, default=str)
    handle, saved = HANDLE.search(text), SAVED.search(text)
    return {
        "status": _status_in(text),
        "handle": handle.group(0) if handle else None,
        "saved": saved.group(1).strip() if saved else None,
        # in the text, or (where the framework shows structuredContent) in continue_with
        "says_when": "usually done" in text or bool(re.search(r'"after_seconds":\s*\d', text)),
    }


def _status_in(text: str) -> str:
    if "Video ready" in text or re.search(r'"status":\s*"succeeded"', text):
        return "succeeded"
    if (
        "Still queued" in text
        or "Still running" in text
        or re.search(r'"status":\s*"(queued|running)"', text)
    ):
        return "running"
    if re.search(r"Task \S+ \([^)]*\) failed:", text) or re.search(r'"status":\s*"failed"', text):
        return "failed"
    return "other: " + text[:300]


async def timed(call: Call, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    try:
        answer: Any = await call(tool, arguments)
    except BaseException as exc:  # reported, not raised: the test judges every step
        # Some frameworks hand the model an error result as an exception to retry on
        # (pydantic-ai's ModelRetry): its text is the answer the model reads.
        answer = f"raised {type(exc).__name__}: {exc}"
    seconds = round(time.monotonic() - started, 2)
    facts = read_answer(answer)
    if isinstance(answer, str) and answer.startswith("raised ") and facts["status"].startswith("other"):
        facts["status"] = answer[:400]
    return {"seconds": seconds, **facts}


async def job(call: Call, name: str, tool: str, arguments: dict[str, Any]) -> None:
    """Submit, then follow with get_task (on defaults) until the job is over."""
    first = await timed(call, tool, arguments)
    emit(name, **first)
    handle, calls = first["handle"], []
    while first["status"] == "running" and handle and len(calls) < MAX_FOLLOW_CALLS:
        calls.append(await timed(call, "get_task", {"task_id": handle}))
        if calls[-1]["status"] != "running":
            break
    last = calls[-1] if calls else first
    emit(f"{name}: get_task", calls=calls, final=last["status"], saved=last["saved"])


async def scenario(call: Call, tools: list[str]) -> None:
    """The test scripts the emulator's jobs in this order (tests/test_frameworks.py JOBS)."""
    emit("tools", names=sorted(tools))
    await job(call, "a 5 s job", "generate_reference_video", {**ARGS, "seed": 1})
    await job(call, "an 8 s job", "generate_reference_video", {**ARGS, "seed": 2})
    await job(call, "wait_seconds 0", "generate_reference_video", {**ARGS, "seed": 3, "wait_seconds": 0})
    await job(call, "an edit", "edit_video", EDIT)
    await job(call, "a vace edit", "vace_edit", VACE)
    await job(call, "a failing job", "generate_reference_video", {**ARGS, "seed": 4})


def fail(message: str) -> None:
    emit("driver failed", error=message)
    sys.exit(1)
