"""An API key set in the environment appears in no result, no journal file and no log line,
however a provider spells it back."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from mcp import Client

from conftest import FAST_SCRIPT, R2V_ARGS, emulator_env, text_of
from servers import free_port, http_server
from wan_video_mcp.emulator import EmulatorOptions, EmulatorState, Fault, TaskScript, serve_emulator
from wan_video_mcp.logs import configure_logging
from wan_video_mcp.redaction import Redactor

pytestmark = pytest.mark.anyio
PROVIDERS = ("dashscope", "apiyi", "modellix", "aimlapi")


@pytest.mark.parametrize("spelling", ["plain", "escaped", "percent"])
async def test_keys_never_leak(tmp_path: Path, spelling: str) -> None:
    state = EmulatorState(EmulatorOptions(echo_key=spelling))  # type: ignore[arg-type]
    state.default_script = FAST_SCRIPT
    keys = list(state.keys.values())
    for provider, key in state.keys.items():
        # A refusal that quotes the key back, in the spelling under test ...
        state.inject(provider, "submit", Fault("invalid", message=f"API key {key} lacks access"))
    outputs: list[str] = []
    port = free_port()
    log = tmp_path / "server.log"

    async with serve_emulator(state) as emulator:
        env = emulator_env(emulator, tmp_path, WAN_MCP_LOG_LEVEL="DEBUG")
        with http_server(env, port, log):
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                for provider in PROVIDERS:
                    args = {**R2V_ARGS, "provider": provider}
                    refused = await client.call_tool("generate_reference_video", args)
                    # ... and a failed task whose reason quotes it too.
                    state.script_next(TaskScript(queue_seconds=0.05, run_seconds=0.1, outcome="failed"))
                    failed = await client.call_tool("generate_reference_video", {**args, "seed": 1})
                    for result in (refused, failed):
                        outputs += [text_of(result), json.dumps(result.structured_content)]
                # A prompt that carries a key reaches the debug log line of the submit.
                await client.call_tool(
                    "generate_reference_video", {**R2V_ARGS, "prompt": f"Image 1 {keys[0]}"}
                )
                recent = await client.read_resource("wan://tasks/recent")
                outputs.append(recent.contents[0].text)  # type: ignore[union-attr]

    assert "[redacted] lacks access" in outputs[0], "the echoed key is replaced, the message kept"
    assert "[redacted]" in outputs[2] + outputs[3], "a failure reason that quoted the key is kept, masked"
    assert sum("API key [redacted]" in output for output in outputs) >= len(PROVIDERS)
    journal_bytes = b"".join(path.read_bytes() for path in (tmp_path / "data").iterdir())
    log_text = log.read_text()
    assert "submitting generate_reference_video" in log_text and "[redacted]" in log_text
    for key in keys:
        assert all(key not in output for output in outputs), "a key reached a tool result"
        assert key.encode() not in journal_bytes, "a key reached the journal"
        assert key not in log_text, "a key reached the log"


def test_the_log_filter_masks_keys_in_messages_arguments_and_tracebacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = "sk-live-0123456789abcdef"
    configure_logging("DEBUG", Redactor([key]))
    log = logging.getLogger("wan_video_mcp.test")
    try:
        log.warning("calling with %s", key)
        log.info(f"inline {key}")
        try:
            raise RuntimeError(f"the provider said {key}")
        except RuntimeError:
            log.exception("failed")
    finally:
        logging.getLogger().handlers.clear()

    err = capsys.readouterr().err
    assert err.count("[redacted]") == 3 and "the provider said [redacted]" in err
    assert key not in err


def test_the_redactor_catches_every_spelling() -> None:
    key = "sk-abc123"
    redactor = Redactor([key])
    escaped = "".join(f"\\u{ord(c):04x}" for c in key)
    percent = "".join(f"%{ord(c):02X}" for c in key)

    assert redactor.text(f"key={key}!") == "key=[redacted]!"
    assert key not in redactor.text(f"https://x/?k={percent}")
    assert key.encode() not in redactor.body(f'{{"message": "bad key {escaped}"}}'.encode())
    assert json.loads(redactor.body(f'{{"m": "{escaped}"}}'.encode())) == {"m": "[redacted]"}
    assert redactor.deep({"a": [key, {key: 1}]}) == {"a": ["[redacted]", {"[redacted]": 1}]}
    assert redactor.body(b'{"fine": "\\u00e9t\\u00e9"}') == b'{"fine": "\\u00e9t\\u00e9"}', (
        "untouched if clean"
    )
