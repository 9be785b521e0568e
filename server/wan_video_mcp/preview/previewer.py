"""The look at a finished video that results carry: its real properties, a contact sheet
(made once, saved beside the video as `<name>.jpg`) and notes where the video contradicts
the request. An MP4's properties alone are read here from its header; frames, and files the
header reader leaves to FFmpeg, go to a decoder process (`wan_video_mcp.decoder`) within a
time limit. A broken, truncated or hostile video yields a note, never a failed task."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from wan_video_mcp.decoder import Decoders, Look, Order
from wan_video_mcp.mp4header import Mp4Facts, read_mp4_header
from wan_video_mcp.preview.turns import Turns
from wan_video_mcp.tasks import VideoProperties

# Reading a few frames of a 15 s 1080P video takes well under a second; a file that takes
# longer is broken or hostile: its decoder is ended and the result goes out without a sheet.
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
        decoders: Decoders,
        *,
        turns: int = PREVIEWS_AT_ONCE,
        turn_wait: float = TURN_SECONDS,
    ) -> None:
        self._frames = frames
        self._width = width
        self._max_bytes = max_bytes
        self._turns = Turns(turns, turn_wait)
        self._decoders = decoders  # shared with local inputs' checks; the runtime closes them

    async def preview(self, video: Path, request: dict[str, Any], keep: bool = True) -> Preview:
        """`keep`: save the sheet beside `video` (a saved video), or not (a temporary copy)."""
        preview = await self._preview(video, request)
        return preview if keep else Preview(preview.video, preview.sheet, None, preview.notes)

    async def _preview(self, video: Path, request: dict[str, Any]) -> Preview:
        sheet_path = video.with_suffix(".jpg")
        cached = self._frames > 0 and await anyio.Path(sheet_path).exists()
        wanted = 0 if cached else self._frames
        if not wanted:  # properties only: an MP4's header here, else a decoder, without a turn
            facts = await anyio.to_thread.run_sync(read_mp4_header, video)
            look = _look_of(facts) if facts else await self._look(video, 0)
            return await self._finish(video, request, look, sheet_path, cached)
        # One turn covers reading and the sheet (turns are for sheets: a result waits a
        # little for one, then goes without).
        async with self._turns.turn() as turn:
            if not turn:
                return Preview(notes=[BUSY_NOTE])
            return await self._finish(video, request, await self._look(video, wanted), sheet_path, cached)

    async def _look(self, video: Path, frames: int) -> Look | None:
        return await self._decoders.look(
            Order(str(video), frames, self._width, self._max_bytes), READ_SECONDS, wait=READ_SECONDS
        )

    async def _finish(
        self, video: Path, request: dict[str, Any], look: Look | None, sheet_path: Path, cached: bool
    ) -> Preview:
        if look is None or look.fault is not None:
            # A sheet saved earlier still shows the video, whatever befell this reading.
            sheet = await anyio.Path(sheet_path).read_bytes() if cached else None
            return Preview(
                sheet=sheet, sheet_path=sheet_path if cached else None, notes=[_unread(look, cached)]
            )
        properties = _properties(look, (await anyio.Path(video).stat()).st_size)
        notes = _contradictions(request, properties) + _problems(look)
        sheet = await self._sheet(look, sheet_path, cached)
        return Preview(properties, sheet, sheet_path if sheet else None, notes)

    async def _sheet(self, look: Look, path: Path, cached: bool) -> bytes | None:
        if cached:
            return await anyio.Path(path).read_bytes()
        if look.sheet is not None:
            await anyio.to_thread.run_sync(_write_atomically, path, look.sheet)
        return look.sheet


def _unread(look: Look | None, sheet_saved: bool) -> str:
    what = (
        f"could not be read within {READ_SECONDS:g} s"
        if look is None
        else f"could not be looked at ({look.fault})"
    )
    return f"The video {what}; " + ("its properties are unknown." if sheet_saved else "no contact sheet.")


def _look_of(facts: Mp4Facts) -> Look:
    problem = "the file ends inside its media data" if facts.cut_short else None
    return Look(facts.seconds, facts.width, facts.height, facts.fps, facts.has_audio, problem)


def _properties(look: Look, size: int) -> VideoProperties:
    return VideoProperties(
        duration_seconds=round(look.seconds, 2) if look.seconds is not None else None,
        width=look.width,
        height=look.height,
        fps=look.fps,
        has_audio=look.has_audio,
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


def _problems(look: Look) -> list[str]:
    if look.problem is None:
        return []
    return [f"The saved video could not be fully read ({look.problem}); it may be damaged."]


def _write_atomically(path: Path, data: bytes) -> None:
    # A name of its own: identical calls finishing together each write the same sheet at once.
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.part")
    temp.write_bytes(data)
    os.replace(temp, path)
