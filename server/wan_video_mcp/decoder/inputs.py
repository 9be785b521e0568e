"""A local input's facts, read in a decoder process (worker.py) before anything is uploaded
or paid: a video's or voice clip's duration and frame size with PyAV, an image's structure
with Pillow. The server reads an MP4's header itself (mp4header.py) and sends here only what
that reader leaves to FFmpeg, and every image: a hostile file ends a decoder, not the server."""

from __future__ import annotations

from pathlib import Path

from wan_video_mcp.decoder.messages import Look


def media_look(path: Path) -> Look:
    """Duration and, for a video, frame size; `problem` when the container cannot be read."""
    import av  # noqa: PLC0415  (imported on first use: serving never loads it)
    from av.error import FFmpegError  # noqa: PLC0415

    try:
        with av.open(str(path)) as container:
            seconds = container.duration / 1_000_000 if container.duration else None
            video = container.streams.video[0] if container.streams.video else None
            if video is None:
                return Look(seconds)
            return Look(seconds, video.codec_context.width, video.codec_context.height)
    except (FFmpegError, OSError, ValueError) as exc:
        return Look(problem=str(exc)[:200] or type(exc).__name__)


def image_look(path: Path) -> Look:
    """Nothing but a `problem` when Pillow cannot read the image's header and structure: a
    file that only starts like one (a text file beginning with "BM"), or a truncated one."""
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415  (imported on first use)

    try:
        with Image.open(path) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        return Look(problem=str(exc)[:200] or type(exc).__name__)
    return Look()
