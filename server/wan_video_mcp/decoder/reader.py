"""A finished video's real properties and a few frames spread through it, read with PyAV
(FFmpeg's libraries in a wheel: no `ffmpeg` on PATH). The only module that decodes
video; it runs in a decoder process (worker.py), which the server asks only for frames or
for properties an MP4's header did not give (mp4header.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wan_video_mcp.decoder.layout import tile_height

if TYPE_CHECKING:
    from PIL.Image import Image


@dataclass(frozen=True)
class Frame:
    seconds: float
    image: Image


@dataclass
class Reading:
    """What could be read: properties from the header, frames until decoding failed."""

    seconds: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    has_audio: bool = False
    frames: list[Frame] = field(default_factory=list[Frame])
    problem: str | None = None


def read(path: Path, count: int, frame_width: int | None) -> Reading:
    """Header facts and `count` frames at even times, first and last included, each scaled
    to `frame_width` px wide (keeping its shape), or left whole when None."""
    import av  # noqa: PLC0415  (imported on first use: serving never loads it)
    from av.error import FFmpegError  # noqa: PLC0415

    reading = Reading()
    try:
        with av.open(str(path)) as container:
            _header(container, reading)
            if reading.seconds and count > 0:
                # One decoding thread: many videos finishing together must not each take every core.
                container.streams.video[0].codec_context.thread_count = 1
                _frames(container, reading, count, _scaling(reading, frame_width))
    except (FFmpegError, OSError, ValueError, IndexError) as exc:
        reading.problem = str(exc)[:200] or type(exc).__name__
    return reading


def _header(container: Any, reading: Reading) -> None:
    video = container.streams.video[0]
    reading.width, reading.height = video.codec_context.width, video.codec_context.height
    reading.fps = round(float(video.average_rate), 3) if video.average_rate else None
    reading.has_audio = bool(container.streams.audio)
    if container.duration:
        reading.seconds = container.duration / 1_000_000
    elif video.duration and video.time_base:
        reading.seconds = float(video.duration * video.time_base)


def _scaling(reading: Reading, frame_width: int | None) -> dict[str, Any]:
    """PyAV's conversion arguments: scaled while converting, a frame costs a tile's memory
    (~0.4 MB) instead of a full picture's (6 MB at 1080P), and no second resize."""
    if not frame_width or not reading.width or not reading.height:
        return {}
    height = tile_height(frame_width, reading.width, reading.height)
    return {"width": frame_width, "height": height, "interpolation": "AREA"}


def _frames(container: Any, reading: Reading, count: int, scaling: dict[str, Any]) -> None:
    """One pass forward, keeping the first frame at or after each target time (the last frame
    for a target past the end). Generated videos often have a single keyframe, so seeking to
    each target would decode from the start again every time."""
    assert reading.seconds is not None
    stream = container.streams.video[0]
    # Frames no other frame refers to are never needed to decode the ones a sheet shows.
    stream.codec_context.skip_frame = "NONREF"
    # Deblocking is a fifth of decoding; what it smooths cannot be seen in a small tile.
    stream.codec_context.options = {"skip_loop_filter": "all"}
    span = reading.seconds
    targets = [span * index / (count - 1) for index in range(count)] if count > 1 else [0.0]
    slack = 0.5 / float(stream.average_rate or 25)
    last: Any = None
    for decoded in container.decode(stream):
        last = decoded
        while targets and float(decoded.time or 0.0) >= targets[0] - slack:
            reading.frames.append(Frame(float(decoded.time or 0.0), decoded.to_image(**scaling)))
            targets.pop(0)
        if not targets:
            return
    if last is None:
        reading.problem = "no frame could be decoded"
        return
    ending = Frame(float(last.time or 0.0), last.to_image(**scaling))
    reading.frames.extend(ending for _ in targets)  # the video ends before these times
