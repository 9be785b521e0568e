"""Shared fixtures: a fresh emulator per test, settings pointing at it, and a real
MCP client connected to the real server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp_types import Implementation

from postgres import fresh_database, postgres_server
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import EmulatorState, RunningEmulator, TaskScript, serve_emulator
from wan_video_mcp.settings import Settings

# Emulated jobs in tests: a fraction of a second each, so nothing sleeps for real minutes.
FAST_SCRIPT = TaskScript(queue_seconds=0.15, run_seconds=0.45)
FAST_POLLS = {"poll_first_seconds": 0.05, "poll_max_seconds": 0.1}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """One real PostgreSQL server for the whole run (started on first use)."""
    with postgres_server() as url:
        yield url


@pytest.fixture
def database_url(postgres_server_url: str) -> str:
    """A fresh, empty database for this test."""
    return fresh_database(postgres_server_url)


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    state = EmulatorState()
    state.default_script = FAST_SCRIPT
    async with serve_emulator(state) as running:
        yield running


def emulator_settings(emulator: RunningEmulator, tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for the emulator, every field given explicitly so the real environment never leaks in."""
    values: dict[str, Any] = {
        "dashscope_api_key": emulator.state.keys["dashscope"],
        "dashscope_base_url": emulator.base_url("dashscope"),
        "dashscope_region": "intl",
        "apiyi_api_key": emulator.state.keys["apiyi"],
        "apiyi_base_url": emulator.base_url("apiyi"),
        "apiyi_enable_vace": False,
        "modellix_api_key": emulator.state.keys["modellix"],
        "modellix_base_url": emulator.base_url("modellix"),
        "aimlapi_api_key": emulator.state.keys["aimlapi"],
        "aimlapi_base_url": emulator.base_url("aimlapi"),
        "provider": None,
        "wait_seconds": 10.0,
        "http_timeout_seconds": 5.0,
        "data_dir": tmp_path / "data",
        "output_dir": tmp_path / "videos",
        "download": True,
        "dedupe_window_seconds": 3600.0,
        "input_roots": None,
        "s3_bucket": None,
        "s3_endpoint_url": None,
        "aws_access_key_id": None,
        "aws_secret_access_key": None,
        "aws_session_token": None,
        "aws_region": None,
        "database_url": None,
        "share_tasks": False,
        "submits_per_minute": None,
        **FAST_POLLS,
    }
    values.update(overrides)
    return Settings(**values)


def emulator_env(emulator: RunningEmulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The same configuration as environment variables, for server subprocesses."""
    env = emulator.environment()
    env.update(
        WAN_MCP_DATA_DIR=str(tmp_path / "data"),
        WAN_MCP_OUTPUT_DIR=str(tmp_path / "videos"),
        WAN_MCP_POLL_FIRST_SECONDS=str(FAST_POLLS["poll_first_seconds"]),
        WAN_MCP_POLL_MAX_SECONDS=str(FAST_POLLS["poll_max_seconds"]),
        WAN_MCP_HTTP_TIMEOUT_SECONDS="5",
    )
    env.update(extra)
    return env


@pytest.fixture
def settings(emulator: RunningEmulator, tmp_path: Path) -> Settings:
    return emulator_settings(emulator, tmp_path)


# A client that names itself, as Claude, Cursor and most applications do (callers.py:
# the Python SDK's anonymous default identity is treated as a framework's wrapper).
NAMED = Implementation(name="wan-video-mcp-tests", version="1")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    async with Client(build_server(settings), client_info=NAMED) as connected:
        yield connected


R2V_ARGS: dict[str, Any] = {
    "prompt": "Image 1 walks through a garden",
    "reference_images": ["https://example.com/a.png"],
}
EDIT_ARGS: dict[str, Any] = {"video_url": "https://example.com/in.mp4", "prompt": "make it clay animation"}
VACE_ARGS: dict[str, Any] = {
    "function": "image_reference",
    "prompt": "a girl in a forest",
    "ref_images_url": ["https://example.com/girl.png", "https://example.com/forest.png"],
    "obj_or_bg": ["obj", "bg"],
}


def text_of(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", None) == "text")
