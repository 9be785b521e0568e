"""Decoder processes: FFmpeg and Pillow run outside the server, so a crash on a hostile file,
a read past its time or a cancelled call ends a decoder and never the server's waits; idle
decoders give their memory back; a decoder gets no credentials."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import anyio
import psutil
import pytest

from wan_video_mcp.decoder import Decoders, Order
from wan_video_mcp.emulator.state import sample_video

pytestmark = pytest.mark.anyio
WORKER = "wan_video_mcp.decoder.worker"


def workers() -> list[psutil.Process]:
    """This process's decoder processes still running (not ended, not awaiting reaping)."""
    alive: list[psutil.Process] = []
    for child in psutil.Process().children():
        try:
            if WORKER in " ".join(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                alive.append(child)
        except psutil.NoSuchProcess:
            continue
    return alive


async def one_worker() -> psutil.Process:
    for _ in range(200):
        if found := workers():
            [worker] = found
            return worker
        await anyio.sleep(0.05)
    raise AssertionError("no decoder process started")


async def no_workers_left() -> None:
    for _ in range(200):
        if not workers():
            return
        await anyio.sleep(0.05)
    raise AssertionError(f"decoder processes still running: {workers()}")


def order_for(path: Path, frames: int = 4) -> Order:
    return Order(str(path), frames, 1024, 120 * 1024)


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "video.mp4"
    path.write_bytes(sample_video())
    return path


@pytest.fixture
def stuck(tmp_path: Path) -> Path:
    """A file whose reading blocks (nobody ever writes to it): a decoder that hangs."""
    path = tmp_path / "stuck.mp4"
    os.mkfifo(path)
    return path


async def test_a_decoder_that_crashes_leaves_a_note_and_the_next_video_is_read(
    video: Path, stuck: Path
) -> None:
    decoders = Decoders()
    outcome: list[object] = []

    async def look_at_stuck() -> None:
        outcome.append(await decoders.look(order_for(stuck), 30))

    writers: list[IO[bytes]] = []  # held open until the look ends: the decoder never reads an end
    async with anyio.create_task_group() as tg:
        tg.start_soon(look_at_stuck)
        # Opening the pipe to write returns once the decoder opened it to read: it is at work.
        writers.append(await anyio.to_thread.run_sync(stuck.open, "wb"))
        (await one_worker()).send_signal(signal.SIGSEGV)  # what a crashing FFmpeg does
    writers[0].close()

    after = await decoders.look(order_for(video), 30)
    await decoders.aclose()

    [crashed] = outcome
    assert crashed is not None and "decoder stopped" in str(crashed.problem)  # type: ignore[attr-defined]
    assert f"signal {signal.SIGSEGV.value}" in str(crashed.problem)  # type: ignore[attr-defined]
    assert after is not None and after.problem is None and after.sheet and after.width == 1280


async def test_a_read_past_its_time_ends_its_decoder(video: Path, stuck: Path) -> None:
    decoders = Decoders()
    late = await decoders.look(order_for(stuck), 0.5)

    assert late is None
    await no_workers_left()  # nothing keeps decoding after its time
    assert (await decoders.look(order_for(video), 30)) is not None
    await decoders.aclose()


async def test_a_cancelled_look_ends_its_decoder_and_the_next_answer_is_its_own(
    video: Path, stuck: Path
) -> None:
    decoders = Decoders()
    with anyio.move_on_after(0.5):
        await decoders.look(order_for(stuck), 30)

    await no_workers_left()
    answer = await decoders.look(order_for(video, frames=0), 30)
    await decoders.aclose()
    assert answer is not None and answer.width == 1280 and answer.sheet is None


async def test_idle_decoders_end_by_themselves_and_a_new_one_starts_when_needed(video: Path) -> None:
    decoders = Decoders(idle_seconds=0.5)
    first = await decoders.look(order_for(video), 30)
    pid = (await one_worker()).pid
    await no_workers_left()  # ended after half a second without an order: its memory is back

    second = await decoders.look(order_for(video), 30)
    assert first is not None and second is not None and first.sheet == second.sheet
    assert (await one_worker()).pid != pid
    await decoders.aclose()
    await no_workers_left()


async def test_a_decoder_gone_while_idle_costs_the_next_video_nothing(video: Path) -> None:
    decoders = Decoders()
    await decoders.look(order_for(video), 30)
    worker = await one_worker()
    worker.kill()  # the system ended it (out of memory, say) while it waited for work
    await anyio.to_thread.run_sync(worker.wait, 10)

    answer = await decoders.look(order_for(video), 30)
    await decoders.aclose()
    assert answer is not None and answer.problem is None and answer.sheet


async def test_a_decoder_gets_no_credentials(video: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-secret-for-the-server-only")
    monkeypatch.setenv("WAN_MCP_DATABASE_URL", "postgresql://user:password@db/wan")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    decoders = Decoders()
    await decoders.look(order_for(video), 30)
    environment = (await one_worker()).environ()
    await decoders.aclose()

    assert "PATH" in environment
    assert not {"DASHSCOPE_API_KEY", "WAN_MCP_DATABASE_URL", "AWS_SECRET_ACCESS_KEY"} & set(environment)


SERVE_WITH_SHEETS = """
import sys, anyio, tempfile
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
        settings = emulator_settings(emulator, Path(tempfile.mkdtemp()))
        async with Client(build_server(settings), client_info=NAMED) as client:
            result = await client.call_tool("generate_reference_video", R2V_ARGS)
    images = [block for block in result.content if block.type == "image"]
    print(len(images), result.structured_content["video"]["width"], "av" in sys.modules, "PIL" in sys.modules)

anyio.run(main)
"""


def test_the_server_makes_contact_sheets_without_loading_ffmpeg_or_pillow() -> None:
    root = Path(__file__).parents[1]
    done = subprocess.run(
        [sys.executable, "-c", SERVE_WITH_SHEETS],
        check=False,
        cwd=root,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1", "1280", "False", "False"], done.stdout
