"""What the server asks a decoder process and what it answers: one JSON line each way."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from typing import Any, Literal

# A decoder's first line on each order, before it starts: an order it ended without taking
# (idle, or gone) is given to a new decoder; one it took and died on is not tried again.
TAKEN = b"taken"


@dataclass(frozen=True)
class Order:
    """Read `path`. A finished video (`kind` "result"): its properties and, with `frames` > 0,
    that many frames tiled into a contact sheet at most `sheet_width` px wide and, where the
    quality ladder allows, `max_bytes` long. A local input: "media" (a video's or voice
    clip's duration and frame size) or "image" (only whether its structure reads)."""

    path: str
    frames: int = 0
    sheet_width: int = 0
    max_bytes: int = 0
    kind: Literal["result", "media", "image"] = "result"


@dataclass(frozen=True)
class Look:
    """A video's properties as read, the sheet (None: none could be made) and what went wrong:
    with the file (`problem`), or with its decoder (`fault`: it could not start, say)."""

    seconds: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    has_audio: bool = False
    problem: str | None = None
    sheet: bytes | None = None
    fault: str | None = None


def order_line(order: Order) -> bytes:
    return _line(asdict(order))


def order_from(line: bytes) -> Order:
    return Order(**json.loads(line))


def look_line(look: Look) -> bytes:
    sheet = base64.b64encode(look.sheet).decode() if look.sheet is not None else None
    return _line({**asdict(look), "sheet": sheet})


def look_from(line: bytes) -> Look:
    fields = json.loads(line)
    sheet = fields.pop("sheet")
    return Look(**fields, sheet=base64.b64decode(sheet) if sheet is not None else None)


def _line(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, separators=(",", ":")).encode() + b"\n"
