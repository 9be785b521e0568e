"""What the server costs per job over a bare script doing the same HTTP.

Runs N jobs (about 30 s each in the emulator, so one call with the server's default
50 s wait covers each) three ways, one after the other against a fresh emulator in
this process, and samples each worker process's CPU the same way:

- the real server as a stdio process (`python -m wan_video_mcp serve`, default
  settings), driven by the real MCP client with a progress token;
- the same with contact sheets off (`WAN_MCP_SHEET_FRAMES=0`), to tell the sheet
  apart from the rest;
- a bare script (this file with `--bare`, in its own process) that does only the
  provider's HTTP with httpx2, the server's own client library: the same DashScope
  submit body, polls on the server's default schedule (2 s, then x1.5 up to 15 s),
  and downloads the video to a file.

It prints, per way, CPU seconds per job, CPU (% of a core) while only waiting, status
requests per job, and the delivery lag (the emulator's completion moment to the
result in hand), then the ratios server / bare, all measured within this one run.

    python3 benchmarks/overhead.py [N]       # default 100
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import psutil
from anyio.abc import Process
from waits import (
    SAMPLE_SECONDS,
    JobOutcome,
    Timeline,
    agent_job,
    cpu_seconds,
    delivery_lags,
    serving,
)

from wan_video_mcp.emulator import EmulatorState, TaskScript, serve_emulator

QUEUE_SECONDS = 5.0
RUN_SECONDS = 25.0
POLL_FIRST, POLL_GROWTH, POLL_MAX = 2.0, 1.5, 15.0  # the server's defaults for DashScope
SUBMIT_PATH = "/api/v1/services/aigc/video-generation/video-synthesis"
FINAL = ("SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN")


@dataclass
class Way:
    name: str
    timeline: Timeline
    started: float
    all_submitted: float
    first_end: float
    ended: float
    jobs: int
    finished: int
    polls: int
    lags: list[float]

    @property
    def cpu_per_job(self) -> float:
        return (self.timeline.cpu_at(self.ended) - self.timeline.cpu_at(self.started)) / self.jobs

    @property
    def waiting_percent(self) -> float:
        return self.timeline.percent(self.all_submitted, self.first_end)


def fresh_state() -> EmulatorState:
    state = EmulatorState()
    state.default_script = TaskScript(queue_seconds=QUEUE_SECONDS, run_seconds=RUN_SECONDS)
    return state


async def watch(
    process: psutil.Process, timeline: Timeline, state: EmulatorState, count: int, marks: dict[str, float]
) -> None:
    while True:
        timeline.add(time.time(), cpu_seconds(process))
        if "all_submitted" not in marks and len(state.tasks) >= count:
            marks["all_submitted"] = time.time()
        await anyio.sleep(SAMPLE_SECONDS)


def way_of(
    name: str,
    state: EmulatorState,
    timeline: Timeline,
    started: float,
    ended: float,
    marks: dict[str, float],
    outcomes: list[JobOutcome],
) -> Way:
    ends = [task.ended_at for task in state.tasks.values()]
    return Way(
        name=name,
        timeline=timeline,
        started=started,
        all_submitted=marks.get("all_submitted", ended),
        first_end=min(ends, default=ended),
        ended=ended,
        jobs=len(outcomes),
        finished=sum(o.final == "finished" for o in outcomes),
        polls=state.count(call="poll"),
        lags=delivery_lags(state, outcomes),
    )


async def through_server(name: str, count: int, extra: dict[str, str]) -> tuple[Way, dict[str, Any]]:
    state, timeline, marks, outcomes = fresh_state(), Timeline(), {}, []
    async with serving(state, "overhead-", extra) as (client, process):
        started = ended = time.time()
        async with anyio.create_task_group() as tg:
            tg.start_soon(watch, process, timeline, state, count, marks)
            async with anyio.create_task_group() as jobs:
                for seed in range(count):
                    jobs.start_soon(agent_job, client, seed, state, True, outcomes)
            ended = time.time()
            timeline.add(ended, cpu_seconds(process))
            tg.cancel_scope.cancel()
    body = state.of(call="submit")[0].body
    return way_of(name, state, timeline, started, ended, marks, outcomes), body


async def bare(count: int, body: dict[str, Any]) -> Way:
    """The bare script in its own process, its CPU sampled from here like the server's."""
    state, timeline, marks = fresh_state(), Timeline(), {}
    async with serve_emulator(state) as emulator:
        command = [
            sys.executable,
            __file__,
            "--bare",
            emulator.base_url("dashscope"),
            state.keys["dashscope"],
            str(count),
            json.dumps(body),
        ]
        async with await anyio.open_process(command) as worker:
            assert worker.stdout is not None
            lines = LineReader(worker)
            assert await lines.next() == "ready"
            started = ended = time.time()
            results: list[tuple[str, float]] = []
            process = psutil.Process(worker.pid)
            async with anyio.create_task_group() as tg:
                tg.start_soon(watch, process, timeline, state, count, marks)
                results = json.loads(await lines.next())
                ended = time.time()
                timeline.add(ended, cpu_seconds(process))
                tg.cancel_scope.cancel()
            await worker.wait()
    outcomes = [JobOutcome("finished", f"dashscope:{task_id}", moment) for task_id, moment in results]
    return way_of("bare script", state, timeline, started, ended, marks, outcomes)


class LineReader:
    def __init__(self, process: Process) -> None:
        assert process.stdout is not None
        self._stream = process.stdout
        self._buffer = b""

    async def next(self) -> str:
        while b"\n" not in self._buffer:
            self._buffer += await self._stream.receive()
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode().strip()


# --- the bare script --------------------------------------------------------------


async def bare_job(
    http: Any, base: str, key: str, body: dict[str, Any], folder: Path
) -> tuple[str, float] | None:
    auth = {"Authorization": f"Bearer {key}"}
    answer = await http.post(base + SUBMIT_PATH, json=body, headers={**auth, "X-DashScope-Async": "enable"})
    task_id = answer.json()["output"]["task_id"]
    delay = POLL_FIRST
    while True:
        await anyio.sleep(delay)
        output = (await http.get(f"{base}/api/v1/tasks/{task_id}", headers=auth)).json()["output"]
        if output["task_status"] in FINAL:
            break
        delay = min(POLL_MAX, delay * POLL_GROWTH)
    if output["task_status"] != "SUCCEEDED":
        return None
    video = await http.get(output["video_url"])
    await anyio.Path(folder / f"{task_id}.mp4").write_bytes(video.content)
    return task_id, time.time()


async def bare_main(base: str, key: str, count: int, body: dict[str, Any]) -> None:
    import httpx2  # noqa: PLC0415  (the bare script's one dependency)

    results: list[tuple[str, float]] = []

    async def one(seed: int) -> None:
        done = await bare_job(
            http, base, key, {**body, "parameters": {**body["parameters"], "seed": seed}}, folder
        )
        if done is not None:
            results.append(done)

    with tempfile.TemporaryDirectory(prefix="bare-") as tmp:
        folder = Path(tmp)
        async with httpx2.AsyncClient(timeout=30) as http:
            print("ready", flush=True)
            async with anyio.create_task_group() as tg:
                for seed in range(count):
                    tg.start_soon(one, seed)
    print(json.dumps(results), flush=True)


# --- the comparison ---------------------------------------------------------------


def report(ways: list[Way]) -> None:
    print(
        f"{'way':<28} {'CPU ms/job':>10} {'waiting %core':>13} {'status req/job':>14} "
        f"{'lag median':>10} {'lag max':>8} {'finished':>9}"
    )
    for way in ways:
        lags = way.lags or [float("nan")]
        print(
            f"{way.name:<28} {1000 * way.cpu_per_job:>10.1f} {way.waiting_percent:>13.2f} "
            f"{way.polls / way.jobs:>14.1f} {statistics.median(lags):>9.2f}s {max(lags):>7.2f}s "
            f"{way.finished:>5}/{way.jobs}"
        )
    base = ways[-1]
    print()
    for way in ways[:-1]:
        print(
            f"{way.name} / bare script: CPU per job x{way.cpu_per_job / base.cpu_per_job:.1f}, "
            f"CPU while waiting x{way.waiting_percent / base.waiting_percent:.1f}, "
            f"lag median +{statistics.median(way.lags) - statistics.median(base.lags):.2f} s"
        )


async def main(count: int) -> None:
    server, body = await through_server("server (default)", count, {})
    no_sheet, _ = await through_server("server, no contact sheet", count, {"WAN_MCP_SHEET_FRAMES": "0"})
    body["parameters"].pop("seed", None)
    report([server, no_sheet, await bare(count, body)])


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--bare":
        anyio.run(bare_main, sys.argv[2], sys.argv[3], int(sys.argv[4]), json.loads(sys.argv[5]))
    else:
        anyio.run(main, int(sys.argv[1]) if len(sys.argv) > 1 else 100)
