"""The MP4 header reader agrees with FFmpeg (PyAV) on the facts a result carries, leaves to
FFmpeg what it does not understand, notices a file cut short, and spares a server without
contact sheets from loading FFmpeg at all."""

from __future__ import annotations

import struct
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

import av
import pytest
from av.container import InputContainer
from mcp import Client

from conftest import NAMED, R2V_ARGS, emulator_settings, text_of
from media import h264, mp4, png, wav
from subprocess_server import serve_one_job
from wan_video_mcp.app import build_server
from wan_video_mcp.decoder.reader import read
from wan_video_mcp.emulator import RunningEmulator
from wan_video_mcp.mp4header import Mp4Facts, read_mp4_header

SAMPLE = Path(__file__).parents[1] / "server" / "wan_video_mcp" / "emulator" / "sample.mp4"
FASTSTART = {"movflags": "faststart"}


def videos(folder: Path) -> dict[str, Path]:
    return {
        "the emulator's sample": SAMPLE,
        "MPEG-4, index last": mp4(folder / "mpeg4.mp4", 2, fps=24),
        "H.264 with B-frames (an edit list)": h264(folder / "b.mp4", 3.3, Fraction(30), (640, 360)),
        "H.264 and sound, index first": h264(folder / "s.mp4", 2, Fraction(25), sound=True, muxer=FASTSTART),
        "NTSC rate": h264(folder / "ntsc.mp4", 2, Fraction(30000, 1001), (1280, 720)),
        "QuickTime": h264(folder / "clip.mov", 1.5, Fraction(16), sound=True),
        # Lengths that are not whole milliseconds (the edit list is): Wan's 121 and 81 frames.
        "121 frames at 24 fps": h264(folder / "w24.mp4", 121 / 24, Fraction(24), sound=True),
        "81 frames at 16 fps": h264(folder / "w16.mp4", 81 / 16, Fraction(16)),
    }


def ffmpeg_facts(path: Path) -> Mp4Facts:
    with av.open(str(path)) as opened:
        container = cast(InputContainer, opened)
        video = container.streams.video[0]
        return Mp4Facts(
            seconds=(container.duration or 0) / 1_000_000,
            width=video.codec_context.width,
            height=video.codec_context.height,
            fps=round(float(video.average_rate), 3) if video.average_rate else None,
            has_audio=bool(container.streams.audio),
        )


def test_the_facts_agree_with_ffmpeg(tmp_path: Path) -> None:
    for name, path in videos(tmp_path).items():
        assert read_mp4_header(path) == ffmpeg_facts(path), name


def test_what_it_does_not_understand_is_left_to_ffmpeg(tmp_path: Path) -> None:
    fragmented = h264(tmp_path / "f.mp4", 2, muxer={"movflags": "frag_keyframe+empty_moov"})
    # B-frames without an edit list: FFmpeg shifts the track by their delay.
    unedited = h264(tmp_path / "u.mov", 1, Fraction(24), muxer={"use_editlist": "0"})
    not_mp4 = [wav(tmp_path / "v.wav", 1), png(tmp_path / "p.png"), tmp_path / "t.mp4"]
    not_mp4[2].write_text("not a video at all")

    assert read_mp4_header(fragmented) is None and read_mp4_header(unedited) is None
    assert all(read_mp4_header(path) is None for path in not_mp4)
    reading = read(fragmented, 0, None)  # the preview's reader asks FFmpeg instead
    assert (reading.seconds, reading.width, reading.fps, reading.problem) == (2.0, 320, 24.0, None)


def test_broken_boxes_are_left_to_ffmpeg_and_a_trailer_is_not_a_cut(tmp_path: Path) -> None:
    def box(kind: bytes, content: bytes = b"") -> bytes:
        return struct.pack(">I4s", 8 + len(content), kind) + content

    empty_mvhd = tmp_path / "empty.mp4"
    empty_mvhd.write_bytes(box(b"ftyp", b"isom\0\0\2\0") + box(b"moov", box(b"mvhd")))
    signed = h264(tmp_path / "signed.mp4", 1, muxer=FASTSTART)
    with signed.open("ab") as file:
        file.write(b"\nsigned-by: someone\n")  # a vendor's trailer after the last box

    assert read_mp4_header(empty_mvhd) is None
    facts = read_mp4_header(signed)
    assert facts is not None and not facts.cut_short and facts == ffmpeg_facts(signed)


def test_a_file_cut_inside_its_media_data_is_noticed(tmp_path: Path) -> None:
    whole = h264(tmp_path / "whole.mp4", 2, muxer=FASTSTART)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 2 // 3])

    facts = read_mp4_header(cut)

    assert facts is not None and facts.cut_short and facts.seconds == 2.0
    assert not cast(Mp4Facts, read_mp4_header(whole)).cut_short


@pytest.mark.anyio
async def test_a_local_video_cut_short_is_refused_before_anything_moves(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    whole = h264(tmp_path / "whole.mp4", 3, muxer=FASTSTART)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    arguments = {"video_url": str(cut), "prompt": "clay", "provider": "dashscope"}

    async with Client(build_server(emulator_settings(emulator, tmp_path)), client_info=NAMED) as client:
        result = await client.call_tool("edit_video", arguments)

    assert (
        result.is_error and "video_url" in text_of(result) and "ends inside its media data" in text_of(result)
    )
    assert emulator.state.requests == []


@pytest.mark.anyio
async def test_a_finished_video_cut_short_gets_a_note_without_sheets(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    whole = h264(tmp_path / "whole.mp4", 5, Fraction(16), (1280, 720), muxer=FASTSTART).read_bytes()
    emulator.state.video = whole[: len(whole) * 2 // 3]
    settings = emulator_settings(emulator, tmp_path, sheet_frames=0)

    async with Client(build_server(settings), client_info=NAMED) as client:
        result = await client.call_tool("generate_reference_video", R2V_ARGS)

    structured: dict[str, Any] = result.structured_content or {}
    assert structured["status"] == "succeeded" and structured["video"]["width"] == 1280
    assert any("could not be fully read" in note for note in structured["notes"]), structured["notes"]


def test_without_contact_sheets_ffmpeg_is_never_loaded() -> None:
    sheets, _, seconds, av_loaded, _ = serve_one_job(sheet_frames=0)
    assert (sheets, seconds, av_loaded) == ("0", "5.0", "False")
