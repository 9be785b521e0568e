"""Sessions over streamable HTTP (protocol 2025-xx): SSE events carry ids, and a client
whose stream dropped during a long wait gets what it missed by reconnecting with
Last-Event-ID."""

from __future__ import annotations

import json

import anyio
import httpx2
import pytest

from asgi import serving
from conftest import R2V_ARGS
from wan_video_mcp.emulator import RunningEmulator, TaskScript
from wan_video_mcp.settings import Settings

pytestmark = pytest.mark.anyio
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
VERSION = "2025-11-25"


def events(text: str) -> list[dict[str, str]]:
    parsed: list[dict[str, str]] = []
    for block in text.replace("\r\n", "\n").strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if fields:
            parsed.append(fields)
    return parsed


async def open_session(http: httpx2.AsyncClient, url: str) -> dict[str, str]:
    hello = {
        "protocolVersion": VERSION,
        "capabilities": {},
        "clientInfo": {"name": "resumer", "version": "1"},
    }
    opened = await http.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello}, headers=HEADERS
    )
    headers = {**HEADERS, "Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": VERSION}
    await http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    return headers


async def read_until_answer(http: httpx2.AsyncClient, url: str, headers: dict[str, str]) -> str:
    """The resumed stream, read until the answer to request 2 arrives (it stays open after)."""
    text = ""
    with anyio.fail_after(30):
        async with http.stream("GET", url, headers=headers) as stream:
            async for chunk in stream.aiter_text():
                text += chunk
                if '"id":2' in text.replace(" ", "") and text.endswith("\r\n\r\n"):
                    break
    return text


async def test_a_dropped_stream_resumes_with_last_event_id(
    settings: Settings, emulator: RunningEmulator
) -> None:
    emulator.state.script_next(TaskScript(queue_seconds=0.2, run_seconds=1.0))
    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {
            "name": "generate_reference_video",
            "arguments": R2V_ARGS,
            "_meta": {"progressToken": "p"},
        },
    }
    async with serving(settings) as url, httpx2.AsyncClient(timeout=30) as http:
        headers = await open_session(http, url)
        async with http.stream("POST", url, json=call, headers=headers) as stream:
            first = ""
            async for chunk in stream.aiter_text():  # read until the first progress event, then drop
                first += chunk
                if '"notifications/progress"' in first and first.endswith("\r\n\r\n"):
                    break
        seen = [event for event in events(first) if event.get("data")]
        resumed = await read_until_answer(http, url, {**headers, "Last-Event-ID": seen[-1]["id"]})

    assert all(event.get("id") for event in seen)
    replayed = [json.loads(event["data"]) for event in events(resumed) if event.get("data")]
    final = [message for message in replayed if message.get("id") == 2]
    assert final and final[0]["result"]["structuredContent"]["status"] == "succeeded"
