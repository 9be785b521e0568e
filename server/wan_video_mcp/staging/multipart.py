"""A multipart/form-data body streamed from disk, with its exact length known up front
(object stores' form uploads want a Content-Length; a 100 MB video is never held in
memory, and reading it happens off the event loop)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio

from wan_video_mcp.staging.meter import Meter

CHUNK = 256 * 1024


@dataclass(frozen=True)
class FormFile:
    field: str
    filename: str
    content_type: str
    path: Path
    size: int


class StreamedForm:
    def __init__(self, fields: list[tuple[str, str]], file: FormFile) -> None:
        self._boundary = "wan-" + secrets.token_hex(16)
        head = "".join(self._part(name) + value + "\r\n" for name, value in fields)
        head += self._part(file.field, file.filename) + f"Content-Type: {file.content_type}\r\n\r\n"
        self._head = head.encode()
        self._tail = f"\r\n--{self._boundary}--\r\n".encode()
        self._file = file
        self._sent = hashlib.sha256()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self._boundary}"

    @property
    def length(self) -> int:
        return len(self._head) + self._file.size + len(self._tail)

    def _part(self, name: str, filename: str | None = None) -> str:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        suffix = "" if filename else "\r\n"
        return f"--{self._boundary}\r\nContent-Disposition: {disposition}\r\n{suffix}"

    async def body(self, meter: Meter) -> AsyncIterator[bytes]:
        yield self._head
        remaining = self._file.size
        async with await anyio.open_file(self._file.path, "rb") as source:
            while remaining > 0:
                # Exactly the checked length, so the exchange stays well-formed even if the
                # file changed meanwhile (the hash then tells, see staging.verify).
                chunk = await source.read(min(CHUNK, remaining)) or b"\0" * min(CHUNK, remaining)
                remaining -= len(chunk)
                self._sent.update(chunk)
                meter.add(len(chunk))
                yield chunk
        yield self._tail

    @property
    def sent_sha256(self) -> str:
        """The hash of the file bytes this body sent."""
        return self._sent.hexdigest()
