"""One job through the real client on a server in a fresh Python process: what the server
process loaded is then its own, not what other tests imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SERVE_ONE_JOB = """
import json, sys, anyio, tempfile
from pathlib import Path
from mcp import Client
sys.path.insert(0, "tests")
from conftest import FAST_SCRIPT, NAMED, R2V_ARGS, emulator_settings
from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import EmulatorState, serve_emulator

async def main():
    state = EmulatorState()
    state.default_script = FAST_SCRIPT
    async with serve_emulator(state) as emulator:
        settings = emulator_settings(emulator, Path(tempfile.mkdtemp()), sheet_frames=int(sys.argv[1]))
        async with Client(build_server(settings), client_info=NAMED) as client:
            arguments = {**R2V_ARGS, **json.loads(sys.argv[2])}
            result = await client.call_tool("generate_reference_video", arguments)
            again = await client.call_tool("get_task", {"task_id": result.structured_content["task_id"]})
    images = [block for block in result.content if block.type == "image"]
    video = again.structured_content["video"]
    print(len(images), video["width"], video["duration_seconds"], "av" in sys.modules, "PIL" in sys.modules)

anyio.run(main)
"""


def serve_one_job(sheet_frames: int, arguments: dict[str, Any] | None = None) -> list[str]:
    """Sheets in the result, the video's width and seconds (from `get_task`), and whether the
    server's process imported `av` and `PIL`, as printed words. `arguments`: more of the
    call's arguments than the usual prompt and reference image (local files, say)."""
    done = subprocess.run(
        [sys.executable, "-c", SERVE_ONE_JOB, str(sheet_frames), json.dumps(arguments or {})],
        check=False,
        cwd=Path(__file__).parents[1],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()
