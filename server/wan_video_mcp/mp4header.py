"""An MP4 (or QuickTime) file's duration, picture size, frame rate and sound, read from its
`moov` box in plain Python. Every video the providers return is an MP4, and these facts are
all a result needs when no contact sheet is made: FFmpeg's libraries (PyAV) cost ~29 MB of
memory once loaded and a decoder's set-up per file. A file this reader does not fully
understand (no `moov`, a fragmented MP4, a box that overruns its parent) gives None, and the
caller asks PyAV instead. Blocking file reads: run it on a worker thread."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# A 15 s video's `moov` is tens of KB (a 10-minute 60 fps one under 1 MB); a larger one is
# unusual enough to leave to FFmpeg, and bounds what a hostile file costs here.
MOOV_LIMIT = 4 * 1024 * 1024
# An MP4 has a handful of top-level boxes (ftyp, moov, mdat, free...); walking more means the
# file is something else, and FFmpeg decides.
TOP_LEVEL_BOXES = 64
FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide"}


@dataclass(frozen=True)
class Mp4Facts:
    seconds: float | None
    width: int | None
    height: int | None
    fps: float | None
    has_audio: bool
    cut_short: bool = False  # the media data runs past the end of the file


@dataclass(frozen=True)
class _Track:
    handler: bytes
    microseconds: int  # how long it plays (see _played)
    timescale: int
    samples: int
    sample_time: int  # the samples' durations added up, in the track's timescale
    size: tuple[int, int] | None


class _Unsupported(Exception):
    """Something this reader leaves to FFmpeg."""


def read_mp4_header(path: Path) -> Mp4Facts | None:
    """The facts, or None when the file is not an MP4 this reader understands."""
    try:
        with path.open("rb") as file:
            moov, cut_short = _moov(file)
        return _facts(memoryview(moov), cut_short)  # views, not copies, of its boxes
    except (OSError, struct.error, IndexError, _Unsupported):
        return None


def _moov(file: BinaryIO) -> tuple[bytes, bool]:
    """The `moov` box's content (it may follow the media data: only box headers are read on
    the way), and whether the media data runs past the end of the file (bytes after the last
    box that do not make one, a vendor's trailer say, are not a cut)."""
    moov: bytes | None = None
    cut_short = False
    for position, kind, header, size, fits in _top_level(file):
        cut_short = cut_short or (kind == b"mdat" and not fits)
        if kind == b"moov" and moov is None:
            moov = _read_exactly(file, position + header, size - header)
    if moov is None:
        raise _Unsupported("no moov box")
    return moov, cut_short


def _top_level(file: BinaryIO) -> Iterator[tuple[int, bytes, int, int, bool]]:
    """(position, type, header size, box size, fits in the file) of each top-level box."""
    end = os.fstat(file.fileno()).st_size
    position = 0
    for _ in range(TOP_LEVEL_BOXES):
        if position + 8 > end:
            return
        file.seek(position)
        kind, header, size = _box_at(file.read(16), 0, end - position)
        if position == 0 and kind not in FIRST_BOXES:
            return
        yield position, kind, header, size, position + size <= end
        position += size


def _read_exactly(file: BinaryIO, offset: int, size: int) -> bytes:
    if size > MOOV_LIMIT:
        raise _Unsupported("moov too large")
    file.seek(offset)
    data = file.read(size)
    if len(data) != size:
        raise _Unsupported("truncated moov")
    return data


def _box_at(data: bytes | memoryview, position: int, room: int) -> tuple[bytes, int, int]:
    """(type, header size, box size) of the box at `position`; `room` is how many bytes its
    parent (or the file) has left, where a box of size 0 ends."""
    size, kind = struct.unpack_from(">I4s", data, position)
    header = 8
    if size == 1:  # a 64-bit size follows the type
        (size,) = struct.unpack_from(">Q", data, position + 8)
        header = 16
    elif size == 0:
        size = room
    if size < header:
        raise _Unsupported("a box smaller than its header")
    return kind, header, size


def _children(data: memoryview, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, memoryview]]:
    end = len(data) if end is None else end
    position = start
    while position + 8 <= end:
        kind, header, size = _box_at(data, position, end - position)
        if size > end - position:
            raise _Unsupported("a box overruns its parent")
        yield kind, data[position + header : position + size]
        position += size


def _child(data: memoryview, kind: bytes) -> memoryview:
    for found, content in _children(data):
        if found == kind:
            return content
    raise _Unsupported(f"no {kind.decode()} box")


def _facts(moov: memoryview, cut_short: bool) -> Mp4Facts:
    if any(kind == b"mvex" for kind, _ in _children(moov)):  # fragmented: samples come later
        raise _Unsupported("fragmented mp4")
    movie_timescale = _timescale(_child(moov, b"mvhd"))
    if not movie_timescale:
        raise _Unsupported("no movie timescale")
    tracks = [_track(content, movie_timescale) for kind, content in _children(moov) if kind == b"trak"]
    video = next((track for track in tracks if track.handler == b"vide"), None)
    if video is None or video.size is None:
        raise _Unsupported("no video track")
    return Mp4Facts(
        seconds=max(track.microseconds for track in tracks) / 1_000_000 or None,
        width=video.size[0],
        height=video.size[1],
        fps=_rate(video),
        has_audio=any(track.handler == b"soun" for track in tracks),
        cut_short=cut_short,
    )


def _timescale(full_box: memoryview) -> int:
    """Of an `mvhd` or `mdhd` (they share this start; version 1 has 64-bit times first)."""
    return struct.unpack_from(">I", full_box, 20 if full_box[0] == 1 else 12)[0]


def _microseconds(duration: int, timescale: int) -> int:
    """Rounded to the nearest microsecond, as FFmpeg rescales it."""
    return (duration * 1_000_000 + timescale // 2) // timescale


def _track(trak: memoryview, movie_timescale: int) -> _Track:
    media = _child(trak, b"mdia")
    table = _child(_child(media, b"minf"), b"stbl")
    handler = bytes(_child(media, b"hdlr")[8:12])
    timescale = _timescale(_child(media, b"mdhd"))
    if not timescale:
        raise _Unsupported("no track timescale")
    samples, sample_time = _sample_times(_child(table, b"stts"))
    played = _played(trak, table, sample_time, timescale, movie_timescale)
    return _Track(handler, _microseconds(played, timescale), timescale, samples, sample_time, _picture(table))


def _played(
    trak: memoryview, table: memoryview, sample_time: int, timescale: int, movie_timescale: int
) -> int:
    """How long the track plays, in its timescale, as FFmpeg has it: its samples' total, cut
    to its edit when that is shorter (the edit is in the movie's timescale, often whole ms)."""
    edit = _single_edit(trak)
    if edit is None:
        if any(kind == b"ctts" for kind, _ in _children(table)):
            # Without an edit, FFmpeg shifts such a track by its first frames' delay.
            raise _Unsupported("composition offsets without an edit")
        return sample_time
    return min(sample_time, (edit * timescale + movie_timescale // 2) // movie_timescale)


def _single_edit(trak: memoryview) -> int | None:
    """The track's one edit's duration (in the movie's timescale), None without an edit list.
    As FFmpeg has it, that edit is how long the track plays (encoders with B-frames write
    one to skip the first frames' delay); empty or several edits are left to FFmpeg."""
    edits = [content for kind, content in _children(trak) if kind == b"edts"]
    if not edits:
        return None
    elst = _child(edits[0], b"elst")
    wide = elst[0] == 1  # version 1: 64-bit durations and media times
    (entries,) = struct.unpack_from(">I", elst, 4)
    if entries != 1:
        raise _Unsupported("several edits")
    duration, media_time = struct.unpack_from(">Qq" if wide else ">Ii", elst, 8)
    if media_time < 0 or not duration:
        raise _Unsupported("an empty or open edit")
    return duration


def _sample_times(stts: memoryview) -> tuple[int, int]:
    """How many samples, and their durations added up (runs of equal durations)."""
    (entries,) = struct.unpack_from(">I", stts, 4)
    table = stts[8 : 8 + 8 * entries]
    if len(table) != 8 * entries:
        raise _Unsupported("a short stts")
    samples = total = 0
    for count, delta in struct.iter_unpack(">II", table):
        samples += count
        total += count * delta
    return samples, total


def _picture(table: memoryview) -> tuple[int, int] | None:
    """The first sample description's width and height (a visual sample entry keeps them 24
    bytes into its content); None for a description too short to be visual."""
    _, entry = next(_children(_child(table, b"stsd"), 8), (b"", memoryview(b"")))
    if len(entry) < 28:
        return None
    width, height = struct.unpack_from(">HH", entry, 24)
    return (width, height) if width and height else None


def _rate(track: _Track) -> float | None:
    """Frames per second as FFmpeg's average rate has it: samples over their total duration."""
    if not track.samples or not track.sample_time:
        return None
    return round(track.samples * track.timescale / track.sample_time, 3)
