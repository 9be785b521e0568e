"""Start-up: spawn -> `tools/list` answered over stdio, for `wan-video-mcp serve` and for a
trivial one-tool `MCPServer` (the floor: `import mcp` plus one tool), in interleaved runs.

Prints the medians, their ratio, and which heavy modules each start-up imported beyond the
trivial server's own (the video decoder, the image library, the cloud client and the browser
driver load on first use, so none should appear), plus the `tools/list` size.

The package is byte-compiled first, as pip does when it installs a wheel: an editable install
is not, and with PYTHONDONTWRITEBYTECODE set (as on some machines) every start would compile
our modules again -- that measures the checkout, not the server a user runs.

    python benchmarks/startup.py [RUNS]
"""

from __future__ import annotations

import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
HEAVY = ("av", "PIL", "boto3", "botocore", "playwright", "moto")

TRIVIAL = """
import sys
from mcp.server.mcpserver import MCPServer
server = MCPServer("trivial")

@server.tool()
def echo(text: str) -> str:
    return text

server.run()
"""

# Runs the real entry point, then reports the heavy modules it had imported when stdin closed.
WAN = """
import atexit, sys
HEAVY = {heavy!r}
def report():
    sys.stderr.write("HEAVY " + ",".join(sorted(m for m in HEAVY if m in sys.modules)) + "\\n")
atexit.register(report)
from wan_video_mcp.cli import main
sys.exit(main(["serve"]))
"""

MESSAGES = [
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "startup-benchmark", "version": "1"},
        },
    },
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
]


def one_start(code: str, env: dict[str, str]) -> tuple[float, int, str]:
    """Seconds from spawn to the tools/list answer, its size in bytes, the heavy modules seen."""
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    for message in MESSAGES:
        process.stdin.write(json.dumps(message) + "\n")
    process.stdin.flush()
    size = 0
    for line in process.stdout:
        if json.loads(line).get("id") == 2:
            size = len(line.encode())
            break
    elapsed = time.perf_counter() - began
    process.stdin.close()  # end of input: the server exits
    assert process.stderr is not None
    errors = process.stderr.read()
    process.wait(timeout=30)
    heavy = next((line[6:] for line in errors.splitlines() if line.startswith("HEAVY ")), "?")
    return elapsed, size, heavy


def byte_compile_package() -> None:
    import wan_video_mcp  # noqa: PLC0415

    compileall.compile_dir(Path(wan_video_mcp.__file__).parent, quiet=1)


def main() -> None:
    byte_compile_package()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "WAN_MCP_DATA_DIR": str(Path(folder) / "data"),
            "WAN_MCP_OUTPUT_DIR": str(Path(folder) / "videos"),
            "DASHSCOPE_API_KEY": "sk-benchmark-not-used",
        }
        wan_code = WAN.format(heavy=HEAVY)
        for code in (TRIVIAL, wan_code):  # warm the file cache for both
            one_start(code, env)
        trivial: list[float] = []
        ours: list[float] = []
        size, heavy = 0, ""
        for _ in range(RUNS):  # interleaved: both see the same machine load
            trivial.append(one_start(TRIVIAL, env)[0])
            seconds, size, heavy = one_start(wan_code, env)
            ours.append(seconds)
    floor, median = statistics.median(trivial), statistics.median(ours)
    print(f"runs: {RUNS} each, interleaved, on {os.cpu_count()} cores")
    print(f"trivial one-tool MCPServer: median {floor * 1000:.0f} ms spawn -> tools/list")
    print(f"wan-video-mcp serve (stdio): median {median * 1000:.0f} ms spawn -> tools/list")
    print(f"ratio: {median / floor:.2f} x the trivial server")
    print(f"heavy modules imported by serve: {heavy or 'none'} (checked: {', '.join(HEAVY)})")
    print(f"tools/list answer: {size / 1024:.1f} KB")


if __name__ == "__main__":
    main()
