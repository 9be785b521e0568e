"""Saving finished videos before their provider links expire.

The download uses its own HTTP client that carries no Authorization header: result
links are pre-signed CDN URLs, and a provider key must never reach a CDN host.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import anyio
import anyio.to_thread
import httpx2

from wan_video_mcp.errors import DownloadError, DownloadTooLarge
from wan_video_mcp.locks import KeyedLocks
from wan_video_mcp.tasks import TaskHandle

CHUNK = 256 * 1024
MP4_BRAND_OFFSET = 4  # an ISO media file starts with a box whose type is "ftyp"


class _Retryable(Exception):
    pass


class VideoSaver:
    def __init__(
        self,
        output_dir: Path,
        max_bytes: int,
        *,
        client: httpx2.AsyncClient | None = None,
        attempts: int = 3,
        backoff_seconds: float = 1.0,
    ) -> None:
        self.output_dir = output_dir
        self.max_bytes = max_bytes
        self._client = client or build_download_client()
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._locks = KeyedLocks()

    async def aclose(self) -> None:
        await self._client.aclose()

    def path_for(self, handle: TaskHandle) -> Path:
        """A file name made from the handle that cannot leave `output_dir`."""
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", f"{handle.provider}-{handle.task_id}").lstrip("._-")[:150]
        if not stem:
            stem = f"{handle.provider}-{uuid.uuid5(uuid.NAMESPACE_URL, str(handle)).hex}"
        base = self.output_dir.resolve()
        path = (base / f"{stem}.mp4").resolve()
        if path.parent != base:  # defence in depth; the character filter already forbids separators
            raise DownloadError(f"Refusing to save {handle} outside {base}.")
        return path

    async def save(self, handle: TaskHandle, url: str) -> Path:
        """Download `url` to `path_for(handle)` (once per handle), retrying broken transfers."""
        async with self._locks.hold(str(handle)):
            target = self.path_for(handle)
            try:
                if await anyio.Path(target).exists():
                    return target
                await anyio.Path(target.parent).mkdir(parents=True, exist_ok=True)
                return await self._download_with_retries(url, target)
            except OSError as exc:
                raise DownloadError(
                    f"Cannot write the video to {target.parent} ({exc.strerror or exc}); set "
                    "WAN_MCP_OUTPUT_DIR to a folder this server can write to."
                ) from None

    async def _download_with_retries(self, url: str, target: Path) -> Path:
        for attempt in range(1, self._attempts + 1):
            try:
                await self._download(url, target)
                return target
            except _Retryable as exc:
                if attempt == self._attempts:
                    raise DownloadError(f"Download failed after {attempt} attempts: {exc}") from None
                await anyio.sleep(self._backoff * attempt)
        raise AssertionError("unreachable")

    async def _download(self, url: str, target: Path) -> None:
        temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            async with self._client.stream("GET", url) as response:
                self._check_response(response)
                written = await self._write(response, temp)
                expected = response.headers.get("content-length")
                if expected is not None and expected.isdigit() and written != int(expected):
                    raise _Retryable(f"transfer ended after {written} of {expected} bytes")
            await anyio.to_thread.run_sync(_finish, temp, target)
        except httpx2.TransportError as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from None
        finally:
            await anyio.Path(temp).unlink(missing_ok=True)

    def _check_response(self, response: httpx2.Response) -> None:
        status = response.status_code
        if status >= 500 or status == 429:
            raise _Retryable(f"the file host answered HTTP {status}")
        if status != 200:
            raise DownloadError(
                f"The file host refused the download (HTTP {status}); the link has probably expired."
            )
        length = response.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            raise _too_large(int(length), self.max_bytes)

    async def _write(self, response: httpx2.Response, temp: Path) -> int:
        written = 0
        async with await anyio.open_file(temp, "wb") as file:
            async for chunk in response.aiter_bytes(CHUNK):
                if written == 0 and chunk[MP4_BRAND_OFFSET : MP4_BRAND_OFFSET + 4] != b"ftyp":
                    raise DownloadError("The link did not return an MP4 video (no 'ftyp' header).")
                written += len(chunk)
                if written > self.max_bytes:
                    raise _too_large(written, self.max_bytes)
                await file.write(chunk)
        return written


def _too_large(size: int, limit: int) -> DownloadTooLarge:
    return DownloadTooLarge(
        f"The video is larger than the download limit ({size / 2**20:.0f} MB > {limit / 2**20:.0f} MB; "
        "WAN_MCP_MAX_DOWNLOAD_MB raises it)."
    )


def _finish(temp: Path, target: Path) -> None:
    """Make the file durable, then give it its final name in one atomic step."""
    with temp.open("rb") as file:
        os.fsync(file.fileno())
    os.replace(temp, target)


def build_download_client() -> httpx2.AsyncClient:
    # No default headers beyond the agent: no Authorization ever goes to a CDN.
    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(60.0, connect=10.0),
        follow_redirects=True,
        headers={"User-Agent": "wan-video-mcp"},
    )
