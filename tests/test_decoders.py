"""Decoder processes: FFmpeg and Pillow run outside the server, so a crash on a hostile file,
a read past its time or a cancelled call ends a decoder and never the server's waits; idle
decoders give their memory back; a decoder gets no credentials."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import IO, Any, cast

import anyio
import psutil
import pytest

from media import h264, png, wav
from subprocess_server import serve_one_job
from wan_video_mcp.decoder import Decoders, Order
from wan_video_mcp.decoder.worker import MEMORY_LIMIT_BYTES
from wan_video_mcp.emulator.state import sample_video
from wan_video_mcp.inputs.probe import Unreadable, decode_image_header
from wan_video_mcp.preview import Previewer

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


async def crash_its_decoder_mid_read(stuck: Path, reading: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Runs `reading` (of `stuck`) and crashes its decoder, as a hostile file would, once at work."""
    writers: list[IO[bytes]] = []  # held open until the read ends: the decoder never reads an end
    async with anyio.create_task_group() as tg:
        tg.start_soon(reading)
        # Opening the pipe to write returns once the decoder opened it to read: it is at work.
        writers.append(await anyio.to_thread.run_sync(stuck.open, "wb"))
        (await one_worker()).send_signal(signal.SIGSEGV)  # what a crashing FFmpeg or Pillow does
    writers[0].close()


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
    decoders = Decoders(2)
    outcome: list[object] = []

    async def look_at_stuck() -> None:
        outcome.append(await decoders.look(order_for(stuck), 30, wait=30))

    await crash_its_decoder_mid_read(stuck, look_at_stuck)

    after = await decoders.look(order_for(video), 30, wait=30)
    await decoders.aclose()

    [crashed] = outcome
    assert crashed is not None and "decoder stopped" in str(crashed.problem)  # type: ignore[attr-defined]
    assert f"signal {signal.SIGSEGV.value}" in str(crashed.problem)  # type: ignore[attr-defined]
    assert after is not None and after.problem is None and after.sheet and after.width == 1280


async def test_a_read_past_its_time_ends_its_decoder(video: Path, stuck: Path) -> None:
    decoders = Decoders(2)
    late = await decoders.look(order_for(stuck), 0.5, wait=30)

    assert late is None
    await no_workers_left()  # nothing keeps decoding after its time
    assert (await decoders.look(order_for(video), 30, wait=30)) is not None
    await decoders.aclose()


async def test_a_cancelled_look_ends_its_decoder_and_the_next_answer_is_its_own(
    video: Path, stuck: Path
) -> None:
    decoders = Decoders(2)
    with anyio.move_on_after(0.5):
        await decoders.look(order_for(stuck), 30, wait=30)

    await no_workers_left()
    answer = await decoders.look(order_for(video, frames=0), 30, wait=30)
    await decoders.aclose()
    assert answer is not None and answer.width == 1280 and answer.sheet is None


async def test_idle_decoders_end_by_themselves_and_a_new_one_starts_when_needed(video: Path) -> None:
    decoders = Decoders(2, idle_seconds=0.5)
    first = await decoders.look(order_for(video), 30, wait=30)
    pid = (await one_worker()).pid
    await no_workers_left()  # ended after half a second without an order: its memory is back

    second = await decoders.look(order_for(video), 30, wait=30)
    assert first is not None and second is not None and first.sheet == second.sheet
    assert (await one_worker()).pid != pid
    await decoders.aclose()
    await no_workers_left()


async def test_a_decoder_gone_while_idle_costs_the_next_video_nothing(video: Path) -> None:
    decoders = Decoders(2)
    await decoders.look(order_for(video), 30, wait=30)
    worker = await one_worker()
    worker.kill()  # the system ended it (out of memory, say) while it waited for work
    await anyio.to_thread.run_sync(worker.wait, 10)

    answer = await decoders.look(order_for(video), 30, wait=30)
    await decoders.aclose()
    assert answer is not None and answer.problem is None and answer.sheet


async def test_a_saved_sheet_still_comes_when_no_decoder_can_read_the_video(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fragmented = h264(tmp_path / "f.mp4", 2, muxer={"movflags": "frag_keyframe+empty_moov"})
    saved = fragmented.with_suffix(".jpg")
    saved.write_bytes(b"the sheet made when the task finished")
    monkeypatch.setattr("sys.executable", str(tmp_path / "no-such-python"))
    decoders = Decoders(1)
    preview = await Previewer(4, 1024, 120 * 1024, decoders).preview(fragmented, {})
    await decoders.aclose()

    assert preview.sheet == saved.read_bytes() and preview.sheet_path == saved and preview.video is None
    [note] = preview.notes
    assert "its decoder could not start" in note and "properties are unknown" in note


async def test_a_time_limit_counts_from_when_a_decoder_is_free(video: Path, stuck: Path) -> None:
    """A look queued behind a slow one is not cut short for the time it waited."""
    decoders = Decoders(1)
    answers: list[object] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(partial(decoders.look, order_for(stuck), 30, wait=30))  # holds the only decoder
        writer = await anyio.to_thread.run_sync(stuck.open, "wb")
        tg.start_soon(lambda: _append(answers, decoders.look(order_for(video), 1.0, wait=30)))
        await anyio.sleep(1.5)  # longer than the queued look's limit
        writer.close()  # the slow read ends (an empty video), freeing the decoder
    await decoders.aclose()

    [answer] = answers
    assert answer is not None and answer.sheet  # type: ignore[attr-defined]


async def test_no_decoder_free_in_time_is_said_at_once(video: Path, stuck: Path) -> None:
    """A look waits for a decoder only as long as its caller allows (a burst of work ahead),
    then answers that none was free, rather than holding a result or a call."""
    decoders = Decoders(1)
    answers: list[object] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(partial(decoders.look, order_for(stuck), 30, wait=30))  # holds the only decoder
        writer = await anyio.to_thread.run_sync(stuck.open, "wb")
        began = anyio.current_time()
        answers.append(await decoders.look(order_for(video), 30, wait=0.5))
        answers.append(anyio.current_time() - began)
        writer.close()
    await decoders.aclose()

    busy, waited = answers
    assert busy is not None and busy.fault == "no decoder was free within 0.5 s"  # type: ignore[attr-defined]
    assert isinstance(waited, float) and waited < 5


async def test_an_order_a_decoder_does_not_know_is_its_fault_not_the_files(video: Path) -> None:
    decoders = Decoders(1)
    unknown = Order(str(video), kind=cast(Any, "from a newer server"))
    answer = await decoders.look(unknown, 30, wait=30)
    await decoders.aclose()
    assert answer is not None and answer.problem is None
    assert answer.fault == "its decoder does not know the order 'from a newer server'"


async def _append(into: list[object], look: Awaitable[object]) -> None:
    into.append(await look)


async def test_an_input_that_crashes_its_decoder_is_refused_and_the_next_is_read(
    stuck: Path, tmp_path: Path
) -> None:
    decoders = Decoders(1)
    refusals: list[str] = []

    async def check_stuck() -> None:
        with pytest.raises(Unreadable) as refused:
            await decode_image_header(stuck, decoders)
        refusals.append(str(refused.value))

    await crash_its_decoder_mid_read(stuck, check_stuck)
    await decode_image_header(png(tmp_path / "fine.png"), decoders)  # no refusal
    await decoders.aclose()

    assert refusals == [f"the decoder stopped while reading it (signal {signal.SIGSEGV.value})"]


SECRETS = {
    "DASHSCOPE_API_KEY": "sk-secret-for-the-server-only",
    "WAN_MCP_DATABASE_URL": "postgresql://user:password@db/wan",
    "AWS_SECRET_ACCESS_KEY": "aws-secret",
    "HTTPS_PROXY": "http://user:password@proxy:3128",
    "WAN_MCP_AUTH_TOKENS": "team-token",
}


async def test_a_decoder_gets_no_credentials(video: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    decoders = Decoders(2)
    await decoders.look(order_for(video), 30, wait=30)
    environment = (await one_worker()).environ()
    await decoders.aclose()

    assert "PATH" in environment
    assert not set(SECRETS) & set(environment)
    assert not any(value in " ".join(environment.values()) for value in SECRETS.values())


@pytest.mark.skipif(not hasattr(os, "nice"), reason="process priorities are POSIX")
async def test_a_decoder_yields_the_cpu_to_the_server(video: Path) -> None:
    """Decoding is background work: on a busy machine the server's event loop, which carries
    every other call's polls and results, comes first."""
    decoders = Decoders(2)
    answer = await decoders.look(order_for(video), 30, wait=30)
    niceness = (await one_worker()).nice()
    await decoders.aclose()
    assert answer is not None and answer.sheet
    assert niceness == min(19, os.nice(0) + 10)  # 19: the lowest priority there is


@pytest.mark.skipif(
    not hasattr(psutil.Process, "rlimit"), reason="psutil reads resource limits on Linux only"
)
async def test_a_decoder_cannot_take_the_machines_memory(video: Path) -> None:
    """A hostile file that asks FFmpeg for gigabytes fails in its decoder (a MemoryError there
    is an answer saying so), not on the machine: what a decoder may write to is capped."""
    decoders = Decoders(2)
    answer = await decoders.look(order_for(video), 30, wait=30)
    soft, hard = (await one_worker()).rlimit(psutil.RLIMIT_DATA)
    await decoders.aclose()
    assert answer is not None and answer.sheet, "a real video still fits"
    assert 0 < soft <= MEMORY_LIMIT_BYTES and 0 < hard <= MEMORY_LIMIT_BYTES


async def test_a_decoder_imports_what_the_server_does_whatever_its_working_directory(
    video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "av.py").write_text("raise ImportError('a stray av.py in the working directory')\n")
    monkeypatch.chdir(folder)
    decoders = Decoders(2)
    answer = await decoders.look(order_for(video), 30, wait=30)
    await decoders.aclose()
    assert answer is not None and answer.problem is None and answer.fault is None and answer.sheet


async def test_ctrl_c_at_the_servers_terminal_leaves_its_decoders_to_the_server(video: Path) -> None:
    decoders = Decoders(2)
    await decoders.look(order_for(video), 30, wait=30)
    worker = await one_worker()
    worker.send_signal(signal.SIGINT)  # what a terminal sends the whole process group
    await anyio.sleep(0.5)

    answer = await decoders.look(order_for(video), 30, wait=30)
    assert answer is not None and answer.sheet and (await one_worker()).pid == worker.pid
    await decoders.aclose()


SERVER_THAT_DIES = """
import anyio, os, sys, psutil
from functools import partial
from wan_video_mcp.decoder import Decoders, Order
async def main():
    decoders = Decoders(1)
    async with anyio.create_task_group() as tg:
        tg.start_soon(partial(decoders.look, Order(sys.argv[1], 4, 1024, 120000), 600, wait=600))
        # Opened once the decoder opened it to read: it is at work, and stays so.
        with await anyio.to_thread.run_sync(open, sys.argv[1], "wb"):
            print(psutil.Process().children()[0].pid, flush=True)
            await anyio.sleep(600)
anyio.run(main)
"""


async def test_a_decoder_ends_at_once_when_the_server_is_gone_even_mid_order(stuck: Path) -> None:
    server = await anyio.open_process([sys.executable, "-c", SERVER_THAT_DIES, str(stuck)], stderr=None)
    async with server:
        try:
            assert server.stdout is not None
            with anyio.fail_after(30):
                line = await server.stdout.receive()
            decoder = psutil.Process(int(line.split()[0]))
        finally:
            server.kill()  # no goodbye: its end of the decoder's input simply closes
    gone, _ = await anyio.to_thread.run_sync(lambda: psutil.wait_procs([decoder], timeout=10))
    assert gone == [decoder]


def test_the_server_makes_contact_sheets_without_loading_ffmpeg_or_pillow() -> None:
    assert serve_one_job(sheet_frames=4) == ["1", "1280", "5.0", "False", "False"]


def test_the_server_checks_local_inputs_without_loading_ffmpeg_or_pillow(tmp_path: Path) -> None:
    """An image, a voice clip and a video whose header only FFmpeg reads (fragmented): each is
    checked before the upload, by a decoder; the user's files never reach FFmpeg's or
    Pillow's parsers inside the server."""
    fragmented = h264(tmp_path / "clip.mp4", 3, muxer={"movflags": "frag_keyframe+empty_moov"})
    arguments = {
        "reference_images": [str(png(tmp_path / "hero.png"))],
        "reference_videos": [str(fragmented)],
        "reference_voices": {"Image 1": str(wav(tmp_path / "voice.wav", 2))},
    }
    assert serve_one_job(sheet_frames=0, arguments=arguments) == ["0", "1280", "5.0", "False", "False"]


async def test_properties_the_header_does_not_give_come_from_a_decoder(tmp_path: Path) -> None:
    fragmented = h264(tmp_path / "f.mp4", 2, muxer={"movflags": "frag_keyframe+empty_moov"})
    decoders = Decoders(1)
    previewer = Previewer(0, 1024, 120 * 1024, decoders)  # no sheets: no turn is needed or taken
    preview = await previewer.preview(fragmented, {})
    await decoders.aclose()
    assert preview.video is not None and (preview.video.width, preview.video.duration_seconds) == (320, 2.0)
    assert preview.sheet is None and preview.notes == []
