"""Real providers. Skipped unless that provider's key is set in the environment.

- The key check costs nothing and runs whenever a key is set.
- A real generation costs money and also needs WAN_MCP_LIVE_GENERATE=1 plus
  WAN_MCP_LIVE_IMAGE_URL (a public image to use as the reference).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mcp import Client

from wan_video_mcp.app import build_server
from wan_video_mcp.check import check_keys
from wan_video_mcp.settings import PROVIDER_NAMES, load_settings

pytestmark = [pytest.mark.live, pytest.mark.anyio]


def key_variable(provider: str) -> str:
    return f"{provider.upper()}_API_KEY"


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_the_real_provider_accepts_the_configured_key(provider: str) -> None:
    if not os.environ.get(key_variable(provider)):
        pytest.skip(f"{key_variable(provider)} is not set")

    results = {result.provider: result for result in await check_keys(load_settings())}

    assert results[provider].verdict == "accepted", results[provider].detail


@pytest.mark.parametrize("provider", PROVIDER_NAMES)
async def test_a_real_reference_video(provider: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = os.environ.get("WAN_MCP_LIVE_IMAGE_URL")
    if (
        not os.environ.get(key_variable(provider))
        or os.environ.get("WAN_MCP_LIVE_GENERATE") != "1"
        or not image
    ):
        pytest.skip("set the key, WAN_MCP_LIVE_GENERATE=1 and WAN_MCP_LIVE_IMAGE_URL to spend money on this")
    monkeypatch.setenv("WAN_MCP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WAN_MCP_OUTPUT_DIR", str(tmp_path / "videos"))
    arguments = {
        "prompt": "Image 1 turns its head slowly and smiles",
        "reference_images": [image],
        "duration": 5,
        "resolution": "720P",
        "provider": provider,
        "wait_seconds": 900,
    }

    async with Client(build_server(load_settings())) as client:
        result = await client.call_tool("generate_reference_video", arguments)

    structured = result.structured_content or {}
    assert structured.get("status") == "succeeded", result.content
    assert Path(structured["local_file"]).stat().st_size > 0
