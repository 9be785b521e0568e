"""The look at a finished video that results carry: its real properties, a contact sheet
(made once, saved beside the video as `<name>.jpg`) and notes where the video contradicts
the request. Reading runs off the event loop within a time limit; a broken or truncated
video yields a note, never a failed task."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from wan_video_mcp.preview.layout import tile_width
from wan_video_mcp.preview.reader import Reading, read
from wan_video_mcp.preview.turns import Turns
from wan_video_mcp.tasks import VideoProperties

# Reading a few frames of a 15 s 1080P video takes well under a second; a file that takes
# longer is broken or hostile, and the result goes out without its sheet.
READ_SECONDS = 20.0
# Decoding is CPU and memory (a decoded 1080P frame is 6 MB): many jobs finishing together
# take turns instead of starting hundreds of decoders at once.
PREVIEWS_AT_ONCE = 2
# A result waits at most this long for a turn (less when the queue cannot clear in time);
# then it goes out without its sheet (hundreds of videos finishing together would otherwise
# hold each result a minute or more).
TURN_SECONDS = 5.0
BUSY_NOTE = (
    "Many videos finished at once, so this result comes without its contact sheet; get_task on this "
    "task shows one."
)
SHORT_SIDE = {"720P": 720, "1080P": 1080}


@dataclass(frozen=True)
class Preview:
    video: VideoProperties | None = None
    sheet: bytes | None = None
    sheet_path: Path | None = None
    notes: list[str] = field(default_factory=list[str])


class Previewer:
    def __init__(
        self,
        frames: int,
        width: int,
        max_bytes: int,
        turns: int = PREVIEWS_AT_ONCE,
        turn_wait: float = TURN_SECONDS,
    ) -> None:
        self._frames = frames
        self._width = width
        self._max_bytes = max_bytes
        self._decoders = Turns(turns, turn_wait)

    async def preview(self, video: Path, request: dict[str, Any], keep: bool = True) -> Preview:
        """`keep`: save the sheet beside `video` (a saved video), or not (a temporary copy)."""
        preview = await self._preview(video, request)
        return preview if keep else Preview(preview.video, preview.sheet, None, preview.notes)

    async def _preview(self, video: Path, request: dict[str, Any]) -> Preview:
        sheet_path = video.with_suffix(".jpg")
        cached = self._frames > 0 and await anyio.Path(sheet_path).exists()
        if cached or not self._frames:  # the header alone: nothing decoded, no turn needed
            return await self._preview_now(video, request, sheet_path, cached)
        # One turn covers reading and the sheet: decoded frames (~3 MB each) never queue in
        # memory for a second turn (100 videos finishing together held 1.5 GB that way).
        async with self._decoders.turn() as turn:
            if not turn:
                return Preview(notes=[BUSY_NOTE])
            return await self._preview_now(video, request, sheet_path, cached)

    async def _preview_now(
        self, video: Path, request: dict[str, Any], sheet_path: Path, cached: bool
    ) -> Preview:
        wanted = 0 if cached or not self._frames else self._frames
        reading = await self._read_within(video, wanted)
        if reading is None:
            return Preview(
                notes=[f"The video could not be read within {READ_SECONDS:g} s; no contact sheet."]
            )
        properties = _properties(reading, (await anyio.Path(video).stat()).st_size)
        notes = _contradictions(request, properties) + _problems(reading)
        sheet = await self._sheet(reading, sheet_path, cached)
        return Preview(properties, sheet, sheet_path if sheet else None, notes)

    async def _read_within(self, video: Path, frames: int) -> Reading | None:
        # Within a turn (see _preview): waiting for one is not the file's fault.
        with anyio.move_on_after(READ_SECONDS):
            width = tile_width(frames, self._width) if frames else None
            return await anyio.to_thread.run_sync(read, video, frames, width, abandon_on_cancel=True)
        return None

    async def _sheet(self, reading: Reading, path: Path, cached: bool) -> bytes | None:
        if cached:
            return await anyio.Path(path).read_bytes()
        if len(reading.frames) < min(2, self._frames) or not self._frames:
            return None
        from wan_video_mcp.preview.sheet import contact_sheet  # noqa: PLC0415  (Pillow on first use)

        data = await anyio.to_thread.run_sync(contact_sheet, reading.frames, self._width, self._max_bytes)
        await anyio.to_thread.run_sync(_write_atomically, path, data)
        return data


def _properties(reading: Reading, size: int) -> VideoProperties:
    return VideoProperties(
        duration_seconds=round(reading.seconds, 2) if reading.seconds is not None else None,
        width=reading.width,
        height=reading.height,
        fps=reading.fps,
        has_audio=reading.has_audio,
        size_bytes=size,
    )


def _contradictions(request: dict[str, Any], video: VideoProperties) -> list[str]:
    """Where the video differs from what the caller asked for (only what they set)."""
    notes: list[str] = []
    asked, seconds = request.get("duration"), video.duration_seconds
    if isinstance(asked, int) and asked > 0 and seconds is not None and abs(seconds - asked) > 1.0:
        notes.append(f"Asked for {asked} s, but the video lasts {seconds:.1f} s.")
    side = SHORT_SIDE.get(str(request.get("resolution")))
    if side and video.width and video.height and abs(min(video.width, video.height) - side) > side * 0.1:
        notes.append(f"Asked for {request['resolution']}, but the video is {video.width}x{video.height}.")
    return notes


def _problems(reading: Reading) -> list[str]:
    if reading.problem is None:
        return []
    return [f"The saved video could not be fully read ({reading.problem}); it may be damaged."]


def _write_atomically(path: Path, data: bytes) -> None:
    # A name of its own: identical calls finishing together each write the same sheet at once.
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part")
    temp.write_bytes(data)
    os.replace(temp, path)
