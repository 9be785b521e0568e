"""How waiting on many jobs at once scales.

Runs one job, then N identical-but-distinct jobs at once, through the real server
and client against the emulator, and prints the ratio of wall times measured in
this one run (machines here are noisy; absolute numbers mean little). Waiting is
I/O: N jobs should take about as long as one, so the ratio should stay near 1.

    python3 benchmarks/concurrency.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from wan_video_mcp.app import build_server
from wan_video_mcp.emulator import EmulatorState, TaskScript, serve_emulator
from wan_video_mcp.settings import Settings

ARGS: dict[str, Any] = {"prompt": "Image 1 waves", "reference_images": ["https://example.com/a.png"]}


async def timed_jobs(client: Client, count: int, first_seed: int) -> float:
    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for seed in range(first_seed, first_seed + count):
            tg.start_soon(client.call_tool, "generate_reference_video", {**ARGS, "seed": seed})
    return time.perf_counter() - started


async def main(count: int) -> None:
    state = EmulatorState()
    state.default_script = TaskScript(queue_seconds=0.2, run_seconds=1.0)
    with tempfile.TemporaryDirectory() as tmp:
        async with serve_emulator(state) as emulator:
            env = emulator.environment()
            settings = Settings.model_validate(
                {
                    "dashscope_api_key": env["DASHSCOPE_API_KEY"],
                    "dashscope_base_url": env["DASHSCOPE_BASE_URL"],
                    "data_dir": Path(tmp) / "data",
                    "output_dir": Path(tmp) / "videos",
                    "poll_first_seconds": 0.1,
                    "poll_max_seconds": 0.2,
                    "log_level": "WARNING",
                }
            )
            async with Client(build_server(settings)) as client:
                one = await timed_jobs(client, 1, first_seed=0)
                many = await timed_jobs(client, count, first_seed=1000)
    polls = state.count(call="poll")
    print(f"1 job: {one:.2f}s   {count} jobs at once: {many:.2f}s")
    print(f"ratio (N jobs / 1 job): {many / one:.2f}  (1.0 = perfect overlap, {count} = serial)")
    print(f"status queries per job: {polls / (count + 1):.1f}")


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 20)
