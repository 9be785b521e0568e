"""An API key set in the environment appears in no result, no journal file and no log line,
however a provider spells it back."""

from __future__ import annotations

import base64
import contextlib
import html
import json
import logging
from pathlib import Path
from urllib.parse import unquote

import pytest
from mcp import Client

from conftest import FAST_SCRIPT, R2V_ARGS, emulator_env, emulator_settings, text_of
from servers import free_port, http_server
from wan_video_mcp.app import build_server
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


KEY = "sk-abc123def456"
SPELLINGS = {
    "plain": KEY,
    "json-escaped": "".join(f"\\u{ord(c):04x}" for c in KEY),
    "json-escaped twice": "".join(f"\\\\u{ord(c):04x}" for c in KEY),
    "percent-encoded": "".join(f"%{ord(c):02X}" for c in KEY),
    "percent-encoded twice": "".join(f"%25{ord(c):02X}" for c in KEY),
    "html entities": "".join(f"&#{ord(c)};" for c in KEY),
    "base64": base64.b64encode(f"user:{KEY}".encode()).decode(),
    "hex": KEY.encode().hex(),
    "HEX": KEY.encode().hex().upper(),
    "cut short": KEY[:-2],
}


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_the_redactor_catches_every_spelling(spelling: str) -> None:
    redactor = Redactor([KEY])
    echoed = SPELLINGS[spelling]

    for scrubbed in (
        redactor.text(f"bad key {echoed}!"),
        redactor.body(f'{{"message": "bad key {echoed}"}}'.encode()).decode(),
        redactor.body(f"<html>502 Bad Gateway: {echoed}</html>".encode()).decode(),  # not JSON
        redactor.body(f'{{"message": "key {echoed}'.encode()).decode(),  # broken JSON
    ):
        assert "[redacted]" in scrubbed and echoed not in scrubbed and KEY not in decoded_every_way(scrubbed)


def decoded_every_way(text: str) -> str:
    """`text` with every spelling undone, as a reader determined to find the key would."""
    decoded = text
    for _ in range(3):
        decoded = html.unescape(unquote(decoded)).encode().decode("unicode_escape", errors="ignore")
    found = [decoded]
    for word in text.split():
        with contextlib.suppress(ValueError):
            found.append(base64.b64decode(word.strip("!<>\"'") + "==").decode(errors="ignore"))
    return " ".join(found)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig"])
def test_a_key_in_json_of_another_encoding_is_masked_too(encoding: str) -> None:
    """JSON readers take UTF-16 and UTF-32 too, so a body's quick look as UTF-8 must not pass them."""
    redactor = Redactor([KEY])

    scrubbed = redactor.body(json.dumps({"message": f"bad key {KEY}"}).encode(encoding))

    assert json.loads(scrubbed) == {"message": "bad key [redacted]"}


def test_the_redactor_leaves_clean_text_alone() -> None:
    redactor = Redactor([KEY])

    assert redactor.text("100% sure & \\u00e9t\\u00e9") == "100% sure & \\u00e9t\\u00e9"
    assert redactor.body(b'{"fine": "\\u00e9t\\u00e9"}') == b'{"fine": "\\u00e9t\\u00e9"}'
    assert redactor.deep({"a": [KEY, {KEY: 1}]}) == {"a": ["[redacted]", {"[redacted]": 1}]}


async def test_a_key_in_a_gateway_error_page_is_masked_too(tmp_path: Path) -> None:
    state = EmulatorState(EmulatorOptions(echo_key="escaped"))
    key = state.keys["apiyi"]
    state.inject("apiyi", "submit", Fault("text", status=502, message=f"upstream said: bad key {key}"))
    async with (
        serve_emulator(state) as emulator,
        Client(build_server(emulator_settings(emulator, tmp_path))) as client,
    ):
        result = await client.call_tool("generate_reference_video", {**R2V_ARGS, "provider": "apiyi"})
    journal = b"".join(path.read_bytes() for path in (tmp_path / "data").iterdir())

    assert (result.structured_content or {})["status"] == "submit_unknown"
    assert "[redacted]" in text_of(result) and key not in decoded_every_way(text_of(result))
    assert key.encode() not in journal and "".join(f"\\u{ord(c):04x}" for c in key).encode() not in journal
