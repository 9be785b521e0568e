"""`wan-video-mcp check`: good, bad and missing keys give different answers and exit codes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from wan_video_mcp.emulator import EmulatorOptions, EmulatorState, RunningEmulator, serve_emulator

pytestmark = pytest.mark.anyio
KEY_VARS = ("DASHSCOPE_API_KEY", "APIYI_API_KEY", "MODELLIX_API_KEY", "AIMLAPI_API_KEY")


def clean_environment() -> dict[str, str]:
    """The test runner's environment without any real provider settings."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_BASE_URL")) and not k.startswith("WAN_MCP_")
    }


async def run_check(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "wan_video_mcp", "check", *args]
    return await anyio.to_thread.run_sync(
        lambda: subprocess.run(
            command,
            check=False,
            env={**clean_environment(), **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
    )


def base_urls(emulator: RunningEmulator) -> dict[str, str]:
    return {k: v for k, v in emulator.environment().items() if k.endswith("_BASE_URL")}


async def test_good_bad_and_missing_keys(emulator: RunningEmulator) -> None:
    env = {
        **base_urls(emulator),
        "DASHSCOPE_API_KEY": emulator.state.keys["dashscope"],
        "APIYI_API_KEY": "sk-wrong-apiyi-key",
        "MODELLIX_API_KEY": emulator.state.keys["modellix"],
    }

    done = await run_check(env, "--json")

    assert done.returncode == 1, done.stderr
    verdicts = {entry["provider"]: entry for entry in json.loads(done.stdout)}
    assert verdicts["dashscope"]["verdict"] == "accepted"
    assert verdicts["apiyi"]["verdict"] == "rejected"
    assert verdicts["modellix"]["verdict"] == "accepted" and "balance 25" in verdicts["modellix"]["detail"]
    assert verdicts["aimlapi"]["verdict"] == "not_set" and "AIMLAPI_API_KEY" in verdicts["aimlapi"]["detail"]
    for secret in (emulator.state.keys["dashscope"], "sk-wrong-apiyi-key", emulator.state.keys["modellix"]):
        assert secret not in done.stdout + done.stderr


@pytest.mark.parametrize("provider", ["dashscope", "apiyi", "modellix", "aimlapi"])
async def test_each_provider_tells_a_good_key_from_a_bad_one(
    emulator: RunningEmulator, provider: str
) -> None:
    variable = f"{provider.upper()}_API_KEY"

    good = await run_check({**base_urls(emulator), variable: emulator.state.keys[provider]})  # type: ignore[index]
    bad = await run_check({**base_urls(emulator), variable: "sk-not-a-real-key"})

    assert good.returncode == 0 and "OK" in good.stdout
    assert bad.returncode == 1 and "REJECTED" in bad.stdout
    checks = emulator.state.of(provider=provider)
    assert checks and all(request.call in ("poll", "check") for request in checks), (
        "a check must cost nothing"
    )


async def test_modellix_validate_endpoint_answering_401(tmp_path: Path) -> None:
    async with serve_emulator(EmulatorState(EmulatorOptions(modellix_validate_bad_key="401"))) as emulator:
        done = await run_check({**base_urls(emulator), "MODELLIX_API_KEY": "sk-bad"})

    assert done.returncode == 1 and "REJECTED" in done.stdout


async def test_no_keys_at_all(emulator: RunningEmulator) -> None:
    done = await run_check(base_urls(emulator))

    assert done.returncode == 0
    assert done.stdout.count("NOT SET") == 4 and "No provider key is set" in done.stdout
    assert emulator.state.requests == []


async def test_an_unreachable_provider_is_unverified(emulator: RunningEmulator) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    done = await run_check({"DASHSCOPE_BASE_URL": f"http://127.0.0.1:{port}", "DASHSCOPE_API_KEY": "sk-x"})

    assert done.returncode == 2 and "UNVERIFIED" in done.stdout and "could not reach" in done.stdout


async def test_invalid_configuration_is_reported_without_a_traceback() -> None:
    done = await run_check({"WAN_MCP_WAIT_SECONDS": "forever"})

    assert done.returncode == 2
    assert "invalid configuration" in done.stderr and "WAN_MCP_WAIT_SECONDS" in done.stderr
    assert "Traceback" not in done.stderr
