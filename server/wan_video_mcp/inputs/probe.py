"""A video's or voice clip's duration and size, read from its container header (an MP4's
here, in plain Python; anything else by FFmpeg in a decoder process), and an image's
structure checked by Pillow in a decoder process: the user's file never runs FFmpeg's or
Pillow's parsers inside the server (`wan_video_mcp.decoder`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio.to_thread

from wan_video_mcp.decoder import Decoders, Look, Order
from wan_video_mcp.mp4header import read_mp4_header

# Reading a header takes milliseconds; a file that takes longer is not a sound media file.
PROBE_SECONDS = 10.0
# The decoders are shared with finished videos' contact sheets: a check waits its turn behind
# at most two of them (bounded by their own time limits), and never longer than this.
WAIT_SECONDS = 20.0


@dataclass(frozen=True)
class MediaFacts:
    seconds: float | None
    width: int | None = None
    height: int | None = None


class Unreadable(Exception):
    """The file's container could not be read."""


class NotChecked(Exception):
    """The file could not be checked: no decoder process could read it (the server's fault,
    not the file's)."""


async def probe(path: Path, decoders: Decoders) -> MediaFacts:
    facts = await anyio.to_thread.run_sync(read_mp4_header, path)
    if facts is None:  # not an MP4, or one the header reader leaves to FFmpeg
        look = await _decoded(path, "media", decoders)
        return MediaFacts(look.seconds, look.width, look.height)
    if facts.cut_short:
        raise Unreadable("the file ends inside its media data (cut short while copying?)")
    return MediaFacts(facts.seconds, facts.width, facts.height)


async def decode_image_header(path: Path, decoders: Decoders) -> None:
    """Refuse (`Unreadable`) an image whose header and structure Pillow cannot read: a file
    that only starts like one (a text file beginning with "BM"), or a truncated one."""
    await _decoded(path, "image", decoders)


async def _decoded(path: Path, kind: Literal["media", "image"], decoders: Decoders) -> Look:
    look = await decoders.look(Order(str(path), kind=kind), PROBE_SECONDS, wait=WAIT_SECONDS)
    if look is None:
        raise Unreadable(f"reading its header took more than {PROBE_SECONDS:g} s")
    if look.fault is not None:
        raise NotChecked(look.fault)
    if look.problem is not None:
        raise Unreadable(look.problem)
    return look
