"""What N concurrent waits cost the server, with its default poll settings.

Starts the provider emulator in this process (its per-task script is set here: a
job lasts about 60 s), launches the real server as a separate stdio process
(`python -m wan_video_mcp serve`, DashScope pointed at the emulator, journal and
videos in a temporary folder, default poll schedule and wait budget), and drives
N jobs at once through the real MCP client, the way an agent does: one
`generate_reference_video` call with the server's default wait (50 s for a client
that names itself and sends a progress token), then `get_task` at once, again and
again, until the result is final. A 60 s job therefore takes two calls.

For each N it prints, all measured within the one run (machines here are noisy):
the server's CPU (% of one core) while submitting, while only waiting (every job
submitted, none finished in the emulator) and while finishing (polls that see the
end, downloads, contact sheets, results; with its decoder processes), its CPU seconds
per job, its peak RSS (VmHWM; the decoder processes that make contact sheets apart,
sampled), calls lost (neither a final result nor an error), provider requests per job,
and the delivery lag: from the emulator's completion moment of a job to the client
holding its final result (median and max), and where it goes: the job's end -> the
status query that sees it (poll pacing), that query -> the video's download request (the
server's own queueing), the download -> the client holding the result.

    python3 benchmarks/waits.py [N ...]          # default: 100 300 1000
    python3 benchmarks/waits.py --no-progress 300   # a client that sends no progress token
    python3 benchmarks/waits.py --no-sheets 1000    # contact sheets off (WAN_MCP_SHEET_FRAMES=0)
    python3 benchmarks/waits.py --warm-up 0 100     # a fresh journal: no run times to pace by
    python3 benchmarks/waits.py --wait 300 100      # one call per job (a client with a long timeout)
    python3 benchmarks/waits.py --latency 0.3 1000  # every submit and status query answered 0.3 s late

Job lengths vary like real ones (10 s queued, then 50 s x a log-normal factor of spread
0.25, the same for every run), and a few warm-up jobs run first (not counted), so the
journal holds recent run times as on a server in use: polls are paced around each job's
expected end (pacing.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import psutil
from mcp import Client, StdioServerParameters
from mcp_types import CallToolResult, Implementation

from wan_video_mcp.emulator import EmulatorState, Fault, RunningEmulator, TaskScript, serve_emulator

ARGS: dict[str, Any] = {"prompt": "Image 1 waves", "reference_images": ["https://example.com/a.png"]}
QUEUE_SECONDS = 10.0
RUN_SECONDS = 50.0  # with the queue: a 60 s job, give or take
RUN_SPREAD = 0.25
CALL_TIMEOUT_SECONDS = 600.0  # the client must outwait the server's 50 s budget (and a loaded machine)
GIVE_UP_SECONDS = 900.0  # a job not final by then counts as lost
SAMPLE_SECONDS = 0.25
FIRST_POLLS = 5.0
# PYTHONPATH: the server measured is the checkout's (not whatever the venv installed).
PASSED_THROUGH = (
    "PATH",
    "HOME",
    "TMPDIR",
    "LANG",
    "LC_ALL",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "MALLOC_ARENA_MAX",
    "GLIBC_TUNABLES",
)
AGENT = Implementation(name="waits-benchmark", version="1.0")


@dataclass
class Timeline:
    """(wall clock, value) samples of one process: CPU seconds, or RSS in MB."""

    samples: list[tuple[float, float]] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.samples.append((wall, cpu))

    def cpu_at(self, wall: float) -> float:
        """CPU seconds at `wall`, from the nearest sample at or before it."""
        before = [cpu for moment, cpu in self.samples if moment <= wall]
        return before[-1] if before else self.samples[0][1]

    def highest(self, start: float, end: float) -> float:
        """The largest value sampled between two wall-clock moments."""
        return max((value for moment, value in self.samples if start <= moment <= end), default=float("nan"))

    def percent(self, start: float, end: float) -> float:
        """CPU in % of one core between two wall-clock moments."""
        if end <= start:
            return float("nan")
        return 100 * (self.cpu_at(end) - self.cpu_at(start)) / (end - start)


@dataclass
class JobOutcome:
    final: str  # "finished", "errored" or "lost"
    task_id: str | None = None
    received_at: float | None = None  # emulator clock
    calls: int = 0
    sheet: bool = False  # the final result came with its contact sheet


@dataclass
class Run:
    count: int
    outcomes: list[JobOutcome]
    timeline: Timeline
    started: float
    all_submitted: float | None
    first_end: float
    last_result: float
    peak_rss_mb: float
    idle_rss_mb: float
    polls: int
    submits: int
    lags: list[float]
    stages: dict[str, list[float]]
    bench: Timeline  # this process: the emulator and the client
    memory: Timeline  # the server's RSS in MB (in place of CPU seconds)
    decoders: Timeline  # its decoder processes' RSS in MB, summed
    together: Timeline  # the server's and its decoders' RSS in MB, summed


def server_parameters(
    emulator: RunningEmulator, tmp: Path, extra: dict[str, str] | None = None
) -> StdioServerParameters:
    """The real server, on DashScope at the emulator, with every poll and wait setting left default."""
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    emulated = emulator.environment()
    env.update(
        DASHSCOPE_BASE_URL=emulated["DASHSCOPE_BASE_URL"],
        DASHSCOPE_API_KEY=emulated["DASHSCOPE_API_KEY"],
        WAN_MCP_DATA_DIR=str(tmp / "data"),
        WAN_MCP_OUTPUT_DIR=str(tmp / "videos"),
        WAN_MCP_LOG_LEVEL="WARNING",
    )
    env.update(extra or {})
    return StdioServerParameters(command=sys.executable, args=["-m", "wan_video_mcp", "serve"], env=env)


@asynccontextmanager
async def serving(
    state: EmulatorState, prefix: str, extra: dict[str, str]
) -> AsyncIterator[tuple[Client, psutil.Process]]:
    """The emulator with `state`, the real server as a stdio process, and a connected client."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        async with serve_emulator(state) as emulator:
            parameters = server_parameters(emulator, Path(tmp), extra)
            async with Client(
                parameters, client_info=AGENT, read_timeout_seconds=CALL_TIMEOUT_SECONDS
            ) as client:
                await client.list_tools()
                yield client, server_process()


def server_process() -> psutil.Process:
    """The stdio server this process launched (the client gives no handle on it)."""
    for child in psutil.Process().children(recursive=True):
        if "wan_video_mcp" in " ".join(child.cmdline()):
            return child
    raise RuntimeError("the server process was not found")


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def server_cpu_seconds(process: psutil.Process) -> float:
    """The server's CPU with its decoder processes': those still running and those ended."""
    times = process.cpu_times()
    return (
        cpu_seconds(process)
        + times.children_user
        + times.children_system
        + sum_over_decoders(process, cpu_seconds)
    )


def decoders_rss_mb(process: psutil.Process) -> float:
    return sum_over_decoders(process, lambda child: vm_kb(child.pid, "VmRSS") / 1024)


def sum_over_decoders(process: psutil.Process, value: Callable[[psutil.Process], float]) -> float:
    """`value` summed over the server's running child processes (one that ends meanwhile counts 0)."""
    total = 0.0
    for child in process.children():
        with contextlib.suppress(psutil.NoSuchProcess, FileNotFoundError, ProcessLookupError):
            total += value(child)
    return total


def vm_kb(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


async def ignore_progress(progress: float, total: float | None, message: str | None) -> None:
    del progress, total, message


def structured(result: CallToolResult) -> dict[str, Any]:
    return dict(result.structured_content or {})


async def agent_job(
    client: Client, seed: int, state: EmulatorState, progress: bool, outcomes: list[JobOutcome]
) -> None:
    """One job as an agent runs it: the generating call, then get_task until the result is final."""
    callback = ignore_progress if progress else None
    outcome = JobOutcome(final="lost")
    outcomes.append(outcome)
    arguments = {**ARGS, "seed": seed}
    with anyio.move_on_after(GIVE_UP_SECONDS):
        try:
            result = await client.call_tool(
                "generate_reference_video", arguments, CALL_TIMEOUT_SECONDS, progress_callback=callback
            )
            outcome.calls = 1
            while not result.is_error and not structured(result).get("done"):
                outcome.task_id = structured(result).get("task_id")
                if outcome.task_id is None:
                    return  # neither a handle nor an error: lost
                result = await client.call_tool(
                    "get_task", {"task_id": outcome.task_id}, CALL_TIMEOUT_SECONDS, progress_callback=callback
                )
                outcome.calls += 1
        except Exception as exc:  # a transport failure or a timeout: the call is lost
            print(f"  job {seed}: {type(exc).__name__}: {exc}"[:200], file=sys.stderr)
            return
        outcome.received_at = state.clock.now()
        outcome.task_id = structured(result).get("task_id") or outcome.task_id
        status = structured(result).get("status")
        outcome.final = "finished" if status == "succeeded" else "errored"
        outcome.sheet = bool(structured(result).get("contact_sheet"))


async def sample(
    process: psutil.Process,
    timelines: tuple[Timeline, ...],
    state: EmulatorState,
    count: int,
    marks: dict[str, float],
) -> None:
    """Samples the server's CPU and RSS and this process's CPU, and notes when the emulator holds
    every job (`count`: how many tasks it holds then)."""
    here = psutil.Process()
    while True:
        timelines[0].add(time.time(), server_cpu_seconds(process))
        timelines[1].add(time.time(), cpu_seconds(here))
        own, decoding = vm_kb(process.pid, "VmRSS") / 1024, decoders_rss_mb(process)
        timelines[2].add(time.time(), own)
        timelines[3].add(time.time(), decoding)
        timelines[4].add(time.time(), own + decoding)
        if "all_submitted" not in marks and len(state.tasks) >= count:
            marks["all_submitted"] = time.time()
        await anyio.sleep(SAMPLE_SECONDS)


def delivery_lags(state: EmulatorState, outcomes: list[JobOutcome]) -> list[float]:
    lags = []
    for outcome in outcomes:
        if outcome.final != "finished" or outcome.task_id is None or outcome.received_at is None:
            continue
        task = state.find("dashscope", outcome.task_id.partition(":")[2])
        if task is not None:
            lags.append(outcome.received_at - task.ended_at)
    return lags


def lag_stages(
    state: EmulatorState, outcomes: list[JobOutcome], latency: float = 0.0
) -> dict[str, list[float]]:
    """Where the lag goes, per job: the job's end -> the status query that sees it, that query
    -> the video's download request, that request -> the client holding the result. A query
    answered `latency` late reads the job's state when it answers, not when it arrives."""
    polls: dict[str, list[float]] = {}
    downloads: dict[str, float] = {}
    for request in state.requests:
        name = request.path.rsplit("/", 1)[-1]
        if request.call == "poll":
            polls.setdefault(name, []).append(request.at + latency)
        elif request.call == "download":
            downloads.setdefault(name.partition(".")[0], request.at)
    stages: dict[str, list[float]] = {"end -> seen": [], "seen -> download": [], "download -> client": []}
    for outcome in outcomes:
        task = state.find("dashscope", (outcome.task_id or "").partition(":")[2])
        if task is None or outcome.received_at is None or task.token not in downloads:
            continue
        seen = min((at for at in polls.get(task.task_id, []) if at >= task.ended_at), default=None)
        if seen is not None:
            stages["end -> seen"].append(seen - task.ended_at)
            stages["seen -> download"].append(downloads[task.token] - seen)
            stages["download -> client"].append(outcome.received_at - downloads[task.token])
    return stages


def add_latency(state: EmulatorState, seconds: float, count: int) -> None:
    """Every submit and status query answered `seconds` late, as a provider across the
    internet answers (the emulator on loopback answers in about a millisecond)."""
    if seconds > 0:
        for call in ("submit", "poll"):
            state.inject("dashscope", call, Fault("slow", delay=seconds), times=100 * count)


def script_jobs(state: EmulatorState, count: int, seed: int) -> None:
    """The next `count` jobs' lengths, varying like real ones (the same for every run)."""
    chance = random.Random(seed)
    for _ in range(count):
        run = RUN_SECONDS * chance.lognormvariate(0.0, RUN_SPREAD)
        state.script_next(TaskScript(queue_seconds=QUEUE_SECONDS, run_seconds=run))


async def warm_up(client: Client, state: EmulatorState, count: int) -> None:
    """`count` jobs run and finished before the measured ones, so the journal knows run times."""
    script_jobs(state, count, seed=1)
    async with anyio.create_task_group() as jobs:
        for seed in range(count):
            jobs.start_soon(agent_job, client, 10**6 + seed, state, False, [])


async def run_jobs(
    count: int,
    progress: bool,
    extra: dict[str, str],
    on_server: Callable[[int], None] | None = None,
    warm: int = 5,
    latency: float = 0.0,
) -> Run:
    state = EmulatorState()
    state.default_script = TaskScript(queue_seconds=QUEUE_SECONDS, run_seconds=RUN_SECONDS)
    outcomes: list[JobOutcome] = []
    marks: dict[str, float] = {}
    timeline, bench, memory, decoders, together = (Timeline() for _ in range(5))
    async with serving(state, "waits-", extra) as (client, process):
        await warm_up(client, state, warm)
        before = state.count(call="poll"), state.count(call="submit"), set(state.tasks)
        script_jobs(state, count, seed=2)
        add_latency(state, latency, count)
        if on_server is not None:
            on_server(process.pid)
        idle_rss = vm_kb(process.pid, "VmRSS") / 1024
        started = last = time.time()
        async with anyio.create_task_group() as tg:
            tg.start_soon(
                sample, process, (timeline, bench, memory, decoders, together), state, count + warm, marks
            )
            async with anyio.create_task_group() as jobs:
                for seed in range(count):
                    jobs.start_soon(agent_job, client, seed, state, progress, outcomes)
            last = time.time()
            timeline.add(last, server_cpu_seconds(process))
            bench.add(last, cpu_seconds(psutil.Process()))
            tg.cancel_scope.cancel()
        peak = vm_kb(process.pid, "VmHWM") / 1024
    ends = [task.ended_at for key, task in state.tasks.items() if key not in before[2]]
    return Run(
        count=count,
        outcomes=outcomes,
        timeline=timeline,
        started=started,
        all_submitted=marks.get("all_submitted"),
        first_end=min(ends) if ends else last,
        last_result=last,
        peak_rss_mb=peak,
        idle_rss_mb=idle_rss,
        polls=state.count(call="poll") - before[0],
        submits=state.count(call="submit") - before[1],
        lags=delivery_lags(state, outcomes),
        stages=lag_stages(state, outcomes, latency),
        bench=bench,
        memory=memory,
        decoders=decoders,
        together=together,
    )


def report(run: Run, progress: bool, sheets: str = "") -> None:
    finished = sum(o.final == "finished" for o in run.outcomes)
    errored = sum(o.final == "errored" for o in run.outcomes)
    lost = run.count - finished - errored
    submitted = run.all_submitted or run.last_result
    total_cpu = run.timeline.cpu_at(run.last_result) - run.timeline.cpu_at(run.started)
    calls = statistics.mean(o.calls for o in run.outcomes) if run.outcomes else 0.0
    rows = [
        ("jobs at once", f"{run.count}  ({'with' if progress else 'without'} a progress token{sheets})"),
        (
            "server CPU, submitting",
            f"{run.timeline.percent(run.started, submitted):.1f} % of a core  "
            f"({submitted - run.started:.1f} s to submit all)",
        ),
        ("server CPU, waiting only", f"{run.timeline.percent(submitted, run.first_end):.1f} % of a core"),
        (
            "  after the first polls",
            f"{run.timeline.percent(submitted + FIRST_POLLS, run.first_end):.1f} % of a core  "
            f"(from {FIRST_POLLS:g} s after the last submit: every job's first status query, 2 s after its "
            "submit, is over)",
        ),
        ("server CPU, finishing", f"{run.timeline.percent(run.first_end, run.last_result):.1f} % of a core"),
        (
            "server CPU, whole run",
            f"{run.timeline.percent(run.started, run.last_result):.1f} % of a core  "
            f"({1000 * total_cpu / run.count:.0f} ms per job)",
        ),
        ("server peak RSS", f"{run.peak_rss_mb:.0f} MB  (idle before the run {run.idle_rss_mb:.0f} MB)"),
        ("  while waiting", f"{run.memory.highest(submitted, run.first_end):.0f} MB at most"),
        (
            "decoder processes' RSS",
            f"{run.decoders.highest(run.started, run.last_result):.0f} MB at most, summed (server + "
            f"decoders {run.together.highest(run.started, run.last_result):.0f} MB at most; sampled)",
        ),
        ("finished / errored / lost", f"{finished} / {errored} / {lost}"),
        ("  with a contact sheet", f"{sum(o.sheet for o in run.outcomes)} of {finished}"),
        ("requests per job", f"{run.polls / run.count:.1f} status  ({run.submits / run.count:.2f} submit)"),
        ("tool calls per job", f"{calls:.2f}"),
        ("delivery lag", lag_text(run.lags)),
        *((f"  {stage}", lag_text(values)) for stage, values in run.stages.items()),
        (
            "emulator + client CPU",
            f"{run.bench.percent(run.started, run.last_result):.1f} % of a core  "
            "(this process; near 100 % means the load generator, not the server, sets the pace)",
        ),
        ("wall time", f"{run.last_result - run.started:.1f} s for {QUEUE_SECONDS + RUN_SECONDS:.0f} s jobs"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print(flush=True)


def lag_text(lags: list[float]) -> str:
    if not lags:
        return "n/a"
    return f"median {statistics.median(lags):.1f} s, max {max(lags):.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("counts", nargs="*", type=int, default=[100, 300, 1000])
    parser.add_argument("--no-progress", action="store_true", help="send no progress token")
    parser.add_argument(
        "--no-sheets", action="store_true", help="contact sheets off (WAN_MCP_SHEET_FRAMES=0)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds each submit and status query takes to answer"
    )
    parser.add_argument("--warm-up", type=int, default=5, help="jobs finished before the measured ones")
    parser.add_argument(
        "--wait", type=float, help="WAN_MCP_WAIT_SECONDS: one call covers a job when above ~90"
    )
    args = parser.parse_args()
    extra = {"WAN_MCP_SHEET_FRAMES": "0"} if args.no_sheets else {}
    if args.wait is not None:
        extra["WAN_MCP_WAIT_SECONDS"] = str(args.wait)
    for count in args.counts:

        def announce(pid: int) -> None:
            print(f"server pid {pid}", file=sys.stderr, flush=True)

        run = anyio.run(run_jobs, count, not args.no_progress, extra, announce, args.warm_up, args.latency)
        report(run, not args.no_progress, ", no contact sheets" if args.no_sheets else "")


if __name__ == "__main__":
    main()
