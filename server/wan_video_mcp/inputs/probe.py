"""A video's or voice clip's duration and size, read from its container header (an MP4's
directly, anything else with PyAV: FFmpeg's libraries in a wheel, no `ffmpeg` on PATH
needed), and an image's structure checked with Pillow. Both are imported on first use; the
reading runs off the event loop."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread

from wan_video_mcp.mp4header import read_mp4_header

# Reading a header takes milliseconds; a file that takes longer is not a sound media file.
PROBE_SECONDS = 10.0


@dataclass(frozen=True)
class MediaFacts:
    seconds: float | None
    width: int | None = None
    height: int | None = None


class Unreadable(Exception):
    """The file's container could not be read."""


async def probe(path: Path) -> MediaFacts:
    with anyio.move_on_after(PROBE_SECONDS) as scope:
        return await anyio.to_thread.run_sync(_read, path, abandon_on_cancel=True)
    assert scope.cancelled_caught
    raise Unreadable(f"reading its header took more than {PROBE_SECONDS:g} s")


def _read(path: Path) -> MediaFacts:
    facts = read_mp4_header(path)
    if facts is None:
        return _read_with_pyav(path)
    if facts.cut_short:
        raise Unreadable("the file ends inside its media data (cut short while copying?)")
    return MediaFacts(facts.seconds, facts.width, facts.height)


def _read_with_pyav(path: Path) -> MediaFacts:
    import av  # noqa: PLC0415  (imported on first use: the server starts without it)
    from av.error import FFmpegError  # noqa: PLC0415

    try:
        with av.open(str(path)) as container:
            seconds = container.duration / 1_000_000 if container.duration else None
            video = container.streams.video[0] if container.streams.video else None
            if video is None:
                return MediaFacts(seconds)
            return MediaFacts(seconds, video.codec_context.width, video.codec_context.height)
    except (FFmpegError, OSError, ValueError) as exc:
        raise Unreadable(str(exc)[:200]) from None


async def decode_image_header(path: Path) -> None:
    """Refuse (`Unreadable`) an image whose header and structure Pillow cannot read: a file
    that only starts like one (a text file beginning with "BM"), or a truncated one."""
    await anyio.to_thread.run_sync(_verify_image, path)


def _verify_image(path: Path) -> None:
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415  (imported on first use)

    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise Unreadable(str(exc)[:200] or type(exc).__name__) from None
