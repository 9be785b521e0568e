"""Exactly once across replicas, at load: N server processes over HTTP on one PostgreSQL
journal, requests spread round-robin (every request to the next replica, as a balancer
without sticky sessions does), JOBS calls fired at once of which 10 % repeat an earlier
request. Prints submissions per distinct request (must be 1.00), results lost (must be 0)
and the wall time against the same load on one replica, measured in this one run.

Starts its own PostgreSQL (Debian's `postgresql` binaries, as the tests do) and emulator.

    python3 benchmarks/replicas.py [JOBS] [REPLICAS]      (default 300 and 3)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from balancer import RoundRobin
from postgres import fresh_database, postgres_server
from servers import free_port, wait_for_port
from wan_video_mcp.emulator import EmulatorState, TaskScript, serve_emulator

ARGS: dict[str, Any] = {"prompt": "Image 1 waves", "reference_images": ["https://example.com/a.png"]}
PROBLEMS: list[str] = []
REPEAT_EVERY = 10  # every 10th call repeats an earlier one: 10 % identical pairs


def requests(jobs: int) -> list[dict[str, Any]]:
    """`jobs` calls: distinct seeds, except every 10th, which repeats the call before it."""
    seeds = [n - 1 if n % REPEAT_EVERY == REPEAT_EVERY - 1 else n for n in range(jobs)]
    return [{**ARGS, "seed": seed, "wait_seconds": 60} for seed in seeds]


def start_replicas(stack: ExitStack, count: int, env: dict[str, str], folder: Path) -> list[str]:
    origins = []
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        port = free_port()
        log = stack.enter_context((folder / f"replica{n}.log").open("wb"))
        command = [sys.executable, "-m", "wan_video_mcp", "serve", "--transport", "http", "--port", str(port)]
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=log)
        stack.callback(process.wait, 10)
        stack.callback(process.terminate)
        wait_for_port(port, process)
        origins.append(f"http://127.0.0.1:{port}")
    return origins


def _innermost(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:  # pyright: ignore[reportUnknownMemberType]
        exc = exc.exceptions[0]  # pyright: ignore[reportUnknownMemberType,reportUnknownVariableType]
    return f"{type(exc).__name__}: {str(exc)[:120]}"


async def fire(origins: list[str], calls: list[dict[str, Any]]) -> tuple[float, list[str | None]]:
    """Every call at once, each from its own client through the round-robin balancer."""
    results: list[str | None] = []

    async def one(args: dict[str, Any]) -> None:
        http = httpx2.AsyncClient(transport=RoundRobin(origins), timeout=120)
        try:
            async with Client(streamable_http_client(f"{origins[0]}/mcp", http_client=http)) as client:
                answer = await client.call_tool("generate_reference_video", args)
            results.append(None if answer.is_error else (answer.structured_content or {}).get("task_id"))
            if answer.is_error:
                PROBLEMS.append(str(answer.content[0])[:160])
        except Exception as exc:  # a lost call is what this measures
            results.append(None)
            PROBLEMS.append(_innermost(exc))

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for args in calls:
            tg.start_soon(one, args)
    return time.perf_counter() - started, results


async def run(jobs: int, replicas: int, server_url: str, folder: Path) -> tuple[float, float, int, int]:
    state = EmulatorState()
    state.default_script = TaskScript(queue_seconds=0.5, run_seconds=2.0)
    calls = requests(jobs)
    async with serve_emulator(state) as emulator:
        env = {
            **emulator.environment(),
            "WAN_MCP_DATABASE_URL": fresh_database(server_url),
            "WAN_MCP_DATA_DIR": str(folder / "data"),
            "WAN_MCP_OUTPUT_DIR": str(folder / "videos"),
            "WAN_MCP_POLL_FIRST_SECONDS": "0.5",
            "WAN_MCP_POLL_MAX_SECONDS": "1",
            "WAN_MCP_LOG_LEVEL": os.environ.get("WAN_BENCH_LOG_LEVEL", "WARNING"),
            "WAN_MCP_HTTP_MAX_CONNECTIONS": "2048",
        }
        with ExitStack() as stack:
            origins = start_replicas(stack, replicas, env, folder)
            wall, results = await fire(origins, calls)
    distinct = len({(args["seed"]) for args in calls})
    lost = sum(1 for task_id in results if task_id is None)
    return wall, state.count(call="submit") / distinct, lost, len(results)


async def main(jobs: int, replicas: int) -> None:
    # WAN_BENCH_KEEP=folder keeps the replicas' logs there.
    keep = os.environ.get("WAN_BENCH_KEEP")
    with postgres_server() as server_url, ExitStack() as stack:
        tmp = keep or stack.enter_context(tempfile.TemporaryDirectory())
        one_wall, one_ratio, one_lost, _ = await run(jobs, 1, server_url, Path(tmp) / "one")
        many_wall, ratio, lost, answered = await run(jobs, replicas, server_url, Path(tmp) / "many")
    print(f"{jobs} calls ({jobs // REPEAT_EVERY} repeating an earlier one), fired at once, round-robin")
    per_request = f"submissions per distinct request {ratio:.2f}"
    print(f"{replicas} replicas: {per_request}, results lost {lost} of {answered}")
    print(f"1 replica:  submissions per distinct request {one_ratio:.2f}, results lost {one_lost}")
    times = f"({many_wall:.1f}s / {one_wall:.1f}s)"
    for problem, count in Counter(PROBLEMS).most_common(3):
        print(f"  lost {count}x: {problem}")
    print(f"wall time, {replicas} replicas / 1 replica: {many_wall / one_wall:.2f} {times}")


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    replica_count = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    anyio.run(main, count, replica_count)
