"""What was uploaded is what was checked: a file can change between the check (whose hash
names it in the journal and in duplicate checks) and the upload that reads it again.
Every route hashes the bytes it actually sends and refuses a mismatch."""

from __future__ import annotations

import hashlib
from typing import BinaryIO

from wan_video_mcp.errors import UploadError
from wan_video_mcp.inputs.files import LocalFile
from wan_video_mcp.staging.meter import Meter


def changed(file: LocalFile) -> UploadError:
    return UploadError(
        file.item.label,
        f"{file.path.name} changed while it was being uploaded, so what the provider would get is not what "
        "was checked",
    )


def check_sent(file: LocalFile, sent_sha256: str) -> None:
    if sent_sha256 != file.sha256:
        raise changed(file)


class HashingReader:
    """A file object for boto3's Body that hashes and counts what is read (a rewind for a
    retry starts the hash over)."""

    def __init__(self, source: BinaryIO, meter: Meter) -> None:
        self._source = source
        self._meter = meter
        self._digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        self._digest.update(chunk)
        self._meter.add(len(chunk))
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        if offset == 0 and whence == 0:
            self._digest = hashlib.sha256()
            self._meter.sent = 0
        return self._source.seek(offset, whence)

    def tell(self) -> int:
        return self._source.tell()

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()
