"""The stdio transport's wire (wire.py): lines read in chunks, messages queued at once and
written in batches, in order, and a stray print never reaches the wire while serving."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json
import anyio
import sys
from wan_video_mcp.wire import stdio_wire

async def main():
    async with stdio_wire() as (stdin, out):
        print("a stray print", flush=True)
        assert sys.stdin.read() == ""  # fd 0 reads the null device while serving
        async for line in stdin:  # each line read is answered with its number and length
            n = json.loads(line)["n"]
            await out.write(json.dumps({"n": n, "size": len(line)}) + "\\n")
            await out.flush()
    print("after serving", flush=True)

anyio.run(main)
"""


def test_lines_and_messages_pass_whole_and_in_order_and_stray_prints_go_to_stderr() -> None:
    # Lines of every size, two of them spanning several reads, the last without its newline.
    sizes = [10, 70_000, 5, 300_000, *range(1, 3000)]
    sent = [json.dumps({"n": n, "pad": "x" * size}) for n, size in enumerate(sizes)]
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        input="\n".join(sent),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    lines = done.stdout.splitlines()
    answers = [json.loads(line) for line in lines[:-1]]
    assert [answer["n"] for answer in answers] == list(range(len(sizes)))
    assert [answer["size"] for answer in answers] == [len(line) + 1 for line in sent]  # with its newline
    assert lines[-1] == "after serving"  # fd 1 is the wire again once serving ends
    assert "a stray print" in done.stderr and "a stray print" not in done.stdout
