"""The stdio transport's stdout (stdout.py): messages queued at once and written in batches,
in order, and a stray print never reaches the wire while the server runs."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import anyio
from wan_video_mcp.stdout import batched_stdout

async def main():
    async with batched_stdout() as out:
        print("a stray print", flush=True)
        for n in range(3000):
            await out.write(f'{{"n": {n}}}\\n')
            await out.flush()
    print("after serving", flush=True)

anyio.run(main)
"""


def test_messages_arrive_whole_and_in_order_and_stray_prints_go_to_stderr() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )

    lines = done.stdout.splitlines()
    assert [json.loads(line)["n"] for line in lines[:-1]] == list(range(3000))
    assert lines[-1] == "after serving"  # fd 1 is the wire again once serving ends
    assert "a stray print" in done.stderr and "a stray print" not in done.stdout
