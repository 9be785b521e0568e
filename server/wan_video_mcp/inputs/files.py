"""Checking a local input before anything is uploaded or paid: where it is (inside the
allowed folders, symlinks resolved), that it is a readable regular file, what it holds
(by content), its size, and for videos and voices their length and frame size.

Every problem is an `InvalidRequest` naming the parameter and the fix.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread

from wan_video_mcp.decoder import Decoders
from wan_video_mcp.errors import InvalidRequest, WanError
from wan_video_mcp.inputs.probe import MediaFacts, NotChecked, Unreadable, decode_image_header, probe
from wan_video_mcp.inputs.rules import Rule, rule_for
from wan_video_mcp.inputs.sniff import (
    CONTENT_TYPES,
    EXTENSIONS,
    HEAD_BYTES,
    KIND_OF,
    FileFormat,
    sniff,
    still_image_brand,
)
from wan_video_mcp.params import ModelName
from wan_video_mcp.params.media import MediaItem

HASH_CHUNK = 1024 * 1024
PLURAL = {"image": "images", "video": "videos", "audio": "voice recordings"}
FIX_UNREADABLE = "Pass an intact file (it may be truncated or damaged), or export it again."


@dataclass(frozen=True)
class LocalFile:
    """A checked local input: what it is and where it sits in the call."""

    item: MediaItem
    path: Path
    size: int
    format: FileFormat
    sha256: str
    facts: MediaFacts | None = None

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    @property
    def object_name(self) -> str:
        """A name for the uploaded copy: its content, not the user's file name."""
        return f"{self.sha256[:32]}{self.extension}"


async def inspect(item: MediaItem, model: ModelName, roots: Sequence[Path], decoders: Decoders) -> LocalFile:
    rule = rule_for(model, item.field, item.kind)
    path, size, fmt = await anyio.to_thread.run_sync(_open_checks, item, rule, roots)
    try:
        if item.kind == "image":
            facts = await _image_check(item, path, decoders)
        else:
            facts = await _media_checks(item, rule, path, decoders)
    except NotChecked as exc:
        raise _not_checked(item, path, exc) from None
    digest = await anyio.to_thread.run_sync(_sha256, path)
    return LocalFile(item, path, size, fmt, digest, facts)


def _open_checks(item: MediaItem, rule: Rule, roots: Sequence[Path]) -> tuple[Path, int, FileFormat]:
    path = _located(item, roots)
    size = path.stat().st_size
    if size == 0:
        raise _refused(item, f"{path} is empty.", "Pass the file that holds the media.")
    assert rule.max_bytes is not None
    if size > rule.max_bytes:
        raise _refused(
            item,
            f"{path.name} is {size / 2**20:.1f} MB; at most {rule.max_bytes / 2**20:.0f} MB is allowed here.",
            "Pass a smaller or more compressed file.",
        )
    return path, size, _format(item, rule, path)


def _located(item: MediaItem, roots: Sequence[Path]) -> Path:
    try:
        path = Path(item.reference).resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        raise _refused(
            item, f"there is no file {item.reference}.", "Check the path (it must be absolute)."
        ) from None
    except (OSError, RuntimeError) as exc:
        raise _refused(item, f"{item.reference} cannot be read ({exc}).", "Pass a readable file.") from None
    if roots and not any(path.is_relative_to(root) for root in roots):
        allowed = os.pathsep.join(str(root) for root in roots)
        raise _refused(
            item,
            f"{path} is outside the folders this server may read ({allowed}).",
            "Move the file into one of them, or ask whoever runs the server to add its folder to "
            "WAN_MCP_INPUT_ROOTS.",
        )
    if not path.is_file():
        raise _refused(item, f"{path} is not a regular file.", "Pass a file, not a folder or device.")
    if not os.access(path, os.R_OK):
        raise _refused(item, f"this server may not read {path}.", "Make the file readable for it.")
    return path


def _format(item: MediaItem, rule: Rule, path: Path) -> FileFormat:
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
    found = sniff(head)
    assert rule.formats is not None
    wanted = ", ".join(rule.formats)
    if still_image_brand(head):
        raise _refused(
            item,
            f"{path.name} is a HEIC/AVIF image (read from its content), which the Wan models do not take.",
            f"Convert it to JPEG or PNG first ({item.field} takes {PLURAL[item.kind]}: {wanted}).",
        )
    if found is None or found not in rule.formats:
        shown = f"{_article(found)} {found} file" if found else "not a format this server recognises"
        raise _refused(
            item,
            f"{path.name} is {shown} (read from its content), but {item.field} takes {PLURAL[item.kind]}: "
            f"{wanted}.",
            f"Pass {_article(item.kind)} {item.kind} file in one of those formats.",
        )
    assert KIND_OF[found] == item.kind
    return found


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" or word.startswith("mp") else "a"


async def _media_checks(item: MediaItem, rule: Rule, path: Path, decoders: Decoders) -> MediaFacts:
    try:
        facts = await probe(path, decoders)
    except Unreadable as exc:
        raise _refused(
            item, f"{path.name} cannot be read as {_article(item.kind)} {item.kind} ({exc}).", FIX_UNREADABLE
        ) from None
    if item.kind == "video" and facts.width is None:
        raise _refused(item, f"{path.name} has no video track (only sound).", "Pass a video file.")
    _check_seconds(item, rule, path, facts)
    _check_pixels(item, rule, path, facts)
    return facts


async def _image_check(item: MediaItem, path: Path, decoders: Decoders) -> None:
    try:
        await decode_image_header(path, decoders)
    except Unreadable as exc:
        raise _refused(item, f"{path.name} cannot be read as an image ({exc}).", FIX_UNREADABLE) from None


def _check_seconds(item: MediaItem, rule: Rule, path: Path, facts: MediaFacts) -> None:
    if rule.seconds is None or facts.seconds is None:
        return
    low, high = rule.seconds
    if not low <= facts.seconds <= high:
        span = f"{low:g}-{high:g} s" if low else f"at most {high:g} s"
        raise _refused(
            item,
            f"{path.name} lasts {facts.seconds:.1f} s; {item.field} takes {span}.",
            f"Trim it to {span} first.",
        )


def _check_pixels(item: MediaItem, rule: Rule, path: Path, facts: MediaFacts) -> None:
    if rule.pixels is None or facts.width is None or facts.height is None:
        return
    low, high = rule.pixels
    if not (low <= facts.width <= high and low <= facts.height <= high):
        raise _refused(
            item,
            f"{path.name} is {facts.width}x{facts.height} px; each side must be {low}-{high} px.",
            "Resize it first.",
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _refused(item: MediaItem, problem: str, fix: str) -> InvalidRequest:
    return InvalidRequest(item.label, problem, fix)


def _not_checked(item: MediaItem, path: Path, exc: NotChecked) -> WanError:
    # Not the file's fault: the server could not run the reader that checks it.
    return WanError(
        f"`{item.label}`: {path.name} could not be checked before sending ({exc}). Nothing was sent or "
        "charged. Try again in a moment; if it keeps happening, the server's log says why."
    )
