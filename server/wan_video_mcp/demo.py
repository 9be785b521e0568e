"""`wan-video-mcp demo`: the whole flow against the built-in emulator, no key, no network.

It starts the provider emulator on loopback, launches the real server as a stdio
subprocess (exactly as Claude Desktop would), and drives it with the real MCP client:
one job followed to the end with progress, one that outlives its wait budget and is
finished with get_task.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from mcp import Client, StdioServerParameters
from mcp_types import CallToolResult

from wan_video_mcp.emulator import EmulatorClock, EmulatorState, RunningEmulator, TaskScript, serve_emulator

SAMPLE = "https://example.com/demo"  # the emulator never fetches inputs; any URL shape works
# A character sheet shipped with the package: the demo's "file on your disk".
HERO = Path(__file__).resolve().parent / "assets" / "hero.png"
# Keep only what a subprocess needs to start; never pass real provider keys to the demo.
PASSED_THROUGH = ("PATH", "HOME", "SYSTEMROOT", "TMPDIR", "TEMP", "TMP", "LANG", "LC_ALL", "VIRTUAL_ENV")


class ProgressLine:
    """Draws `[#####-----]  42%  RUNNING · 12s · apiyi:1a2b3c4d`, in place on a terminal."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._live = out.isatty()

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        fraction = progress / total if total else 0.0
        bar = "#" * int(fraction * 20)
        line = f"  [{bar:<20}] {fraction * 100:5.1f}%  {message or ''}"
        self._out.write(("\r" + line.ljust(100)) if self._live else line + "\n")
        self._out.flush()

    def done(self) -> None:
        if self._live:
            self._out.write("\n")


async def run_demo(output_dir: Path, out: TextIO = sys.stdout) -> int:
    """`output_dir` must be absolute: the server subprocess resolves nothing against our cwd."""
    state = EmulatorState(clock=EmulatorClock(speed=10.0))
    state.default_script = TaskScript(queue_seconds=20, run_seconds=70)  # emulated seconds: about 9 s real
    with tempfile.TemporaryDirectory(prefix="wan-demo-") as data_dir:
        async with serve_emulator(state) as emulator:
            out.write(f"Provider emulator listening on {emulator.origin} (no API key, no network).\n")
            async with Client(_server_params(emulator, Path(data_dir), output_dir)) as client:
                tools = await client.list_tools()
                out.write(
                    f"wan-video-mcp started over stdio; tools: {', '.join(t.name for t in tools.tools)}\n\n"
                )
                await _first_job(client, out)
                await _second_job(client, out)
    out.write(f"\nDone. Videos are in {output_dir}\n")
    return 0


def _server_params(emulator: RunningEmulator, data_dir: Path, output_dir: Path) -> StdioServerParameters:
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env.update(emulator.environment())
    env.update(
        WAN_MCP_DATA_DIR=str(data_dir),
        WAN_MCP_OUTPUT_DIR=str(output_dir),
        WAN_MCP_POLL_FIRST_SECONDS="1",
        WAN_MCP_POLL_MAX_SECONDS="1.5",
        WAN_MCP_LOG_LEVEL="WARNING",
    )
    return StdioServerParameters(command=sys.executable, args=["-m", "wan_video_mcp", "serve"], env=env)


async def _first_job(client: Client, out: TextIO) -> None:
    out.write(
        "1) generate_reference_video via DashScope from a file on this computer (uploaded through the\n"
        f"   provider's temporary storage), waiting with progress:\n   {HERO}\n"
    )
    arguments: dict[str, Any] = {
        "prompt": "Image 1 walks through a blooming garden and waves at the camera",
        "reference_images": [str(HERO)],
        "duration": 5,
        "resolution": "720P",
        "provider": "dashscope",
    }
    line = ProgressLine(out)
    result = await client.call_tool("generate_reference_video", arguments, progress_callback=line)
    line.done()
    _show(result, out)


async def _second_job(client: Client, out: TextIO) -> None:
    out.write("\n2) edit_video via DashScope with a 2 s wait budget: it returns a handle, not an error.\n")
    arguments: dict[str, Any] = {
        "video_url": f"{SAMPLE}/input.mp4",
        "prompt": "Turn the whole scene into clay animation",
        "provider": "dashscope",
        "wait_seconds": 2,
    }
    result = await client.call_tool("edit_video", arguments)
    _show(result, out)
    structured: dict[str, Any] = result.structured_content or {}
    task_id = str(structured["task_id"])
    out.write(f"\n   ...later, get_task({task_id!r}) picks it up again:\n")
    line = ProgressLine(out)
    result = await client.call_tool("get_task", {"task_id": task_id}, progress_callback=line)
    line.done()
    _show(result, out)


def _show(result: CallToolResult, out: TextIO) -> None:
    text = "\n".join(
        getattr(block, "text", "") for block in result.content if getattr(block, "type", "") == "text"
    )
    marker = "ERROR: " if result.is_error else ""
    out.write("".join(f"   {marker}{line}\n" for line in text.splitlines()))
