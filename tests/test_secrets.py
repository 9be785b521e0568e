"""An API key set in the environment appears in no result, no journal file and no log line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import Client

from conftest import EDIT_ARGS, R2V_ARGS, emulator_env, text_of
from servers import free_port, http_server
from wan_video_mcp.emulator import Fault, RunningEmulator

pytestmark = pytest.mark.anyio


async def test_keys_never_leak(emulator: RunningEmulator, tmp_path: Path) -> None:
    keys = list(emulator.state.keys.values())
    dashscope_key = emulator.state.keys["dashscope"]
    # A provider that echoes the key back in its error message (some do).
    emulator.state.inject(
        "dashscope", "submit", Fault("invalid", message=f"API key {dashscope_key} lacks access")
    )
    env = emulator_env(emulator, tmp_path, WAN_MCP_LOG_LEVEL="DEBUG")
    port = free_port()
    log = tmp_path / "server.log"
    outputs: list[str] = []

    with http_server(env, port, log):
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            for provider in ("dashscope", "apiyi", "modellix", "aimlapi"):
                result = await client.call_tool(
                    "generate_reference_video", {**R2V_ARGS, "provider": provider}
                )
                outputs += [text_of(result), json.dumps(result.structured_content)]
            edited = await client.call_tool("edit_video", EDIT_ARGS)
            outputs += [text_of(edited), json.dumps(edited.structured_content)]
            recent = await client.read_resource("wan://tasks/recent")
            outputs.append(recent.contents[0].text)  # type: ignore[union-attr]

    assert "[redacted] lacks access" in outputs[0], "the echoed key is replaced, the message kept"
    journal_bytes = b"".join(path.read_bytes() for path in (tmp_path / "data").iterdir())
    log_text = log.read_text()
    assert "submitted" in log_text, "the log is not empty, so its check below means something"
    for key in keys:
        assert all(key not in output for output in outputs), "a key reached a tool result"
        assert key.encode() not in journal_bytes, "a key reached the journal"
        assert key not in log_text, "a key reached the log"
