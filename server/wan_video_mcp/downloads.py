"""Saving finished videos before their provider links expire.

The download uses its own HTTP client that carries no Authorization header: result
links are pre-signed CDN URLs, and a provider key must never reach a CDN host. Where
a link may lead (redirects included) is `linkguard`'s decision. A file's name is
unique to its task handle, and a partial file names the process writing it, so one
left by a dead process is swept away.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import anyio
import anyio.to_thread
import httpx2

from wan_video_mcp.errors import DownloadError, DownloadTooLarge
from wan_video_mcp.lazyhttp import LazyAsyncClient
from wan_video_mcp.linkguard import MAX_REDIRECTS, REDIRECT_STATUSES, LinkGuard
from wan_video_mcp.locks import KeyedLocks
from wan_video_mcp.owners import ProcessOwner
from wan_video_mcp.tasks import TaskHandle

CHUNK = 256 * 1024
MP4_BRAND_OFFSET = 4  # an ISO media file starts with a box whose type is "ftyp"
PART_SUFFIX = ".part"
# A partial file whose writer cannot be checked (another host, an older version) is
# stale once it has not changed for this long.
STALE_PART_SECONDS = 3600.0


class _Retryable(Exception):
    pass


class VideoSaver:
    def __init__(
        self,
        output_dir: Path,
        max_bytes: int,
        *,
        client: httpx2.AsyncClient | None = None,
        guard: LinkGuard | None = None,
        max_seconds: float = 900.0,
        attempts: int = 3,
        backoff_seconds: float = 1.0,
    ) -> None:
        self.output_dir = output_dir
        self.max_bytes = max_bytes
        # A host that trickles a byte a minute must not hold a download forever.
        self.max_seconds = max_seconds
        self._client = client or build_download_client()
        self._guard = guard or LinkGuard()
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._locks = KeyedLocks()

    async def aclose(self) -> None:
        await self._client.aclose()

    def path_for(self, handle: TaskHandle) -> Path:
        """A file name for this handle alone (readable part + a hash of the whole handle) that
        cannot leave `output_dir`: cleaning and cutting an id can never make two names meet."""
        readable = re.sub(r"[^A-Za-z0-9_-]", "_", f"{handle.provider}-{handle.task_id}")[:80]
        digest = hashlib.sha256(str(handle).encode()).hexdigest()[:12]
        base = self.output_dir.resolve()
        path = (base / f"{readable}-{digest}.mp4").resolve()
        if path.parent != base:  # defence in depth; the character filter already forbids separators
            raise DownloadError(f"Refusing to save {handle} outside {base}.")
        return path

    async def save(self, handle: TaskHandle, url: str) -> Path:
        """Download `url` to `path_for(handle)` (once per handle), retrying broken transfers."""
        async with self._locks.hold(str(handle)):
            target = self.path_for(handle)
            try:
                if await anyio.Path(target).exists():
                    return target  # only this handle's download is ever renamed to this name
                await anyio.Path(target.parent).mkdir(parents=True, exist_ok=True)
                with anyio.fail_after(self.max_seconds):
                    return await self._download_with_retries(url, target)
            except TimeoutError:
                await self.sweep_partials()
                raise DownloadError(
                    f"The download took longer than {self.max_seconds:g} s and was stopped "
                    "(WAN_MCP_DOWNLOAD_TIMEOUT_SECONDS)."
                ) from None
            except OSError as exc:
                raise DownloadError(
                    f"Cannot write the video to {target.parent} ({exc.strerror or exc}); set "
                    "WAN_MCP_OUTPUT_DIR to a folder this server can write to."
                ) from None
            except DownloadError:
                await self.sweep_partials()
                raise

    @asynccontextmanager
    async def fetched(self, url: str, max_seconds: float) -> AsyncGenerator[Path]:
        """A temporary copy of `url`, fetched and checked like a save (and as bounded), that
        is deleted when the block ends: for a look at a video that is not being saved."""
        folder = Path(await anyio.to_thread.run_sync(tempfile.mkdtemp))
        try:
            with anyio.fail_after(max_seconds):
                target = await self._download_with_retries(url, folder / "video.mp4")
            yield target
        except TimeoutError:
            raise DownloadError(f"Fetching the video took longer than {max_seconds:g} s.") from None
        finally:
            await anyio.to_thread.run_sync(partial(shutil.rmtree, folder, ignore_errors=True))

    async def size_of_saved(self, local_file: str) -> int | None:
        """The size of a video this saver wrote, or None when it is not there (any more)."""
        try:
            return (await anyio.Path(self._saved_path(local_file)).stat()).st_size
        except (OSError, DownloadError):
            return None

    async def read_saved(self, uri: str, max_bytes: int) -> bytes:
        """The bytes of a saved video named by its file:// URI (the links results carry).

        Only files this saver writes are served: in its folder, named like a saved video,
        and no larger than `max_bytes`; anything else is `DownloadError`."""
        if not uri.startswith("file:"):
            raise DownloadError(f"{uri[:100]!r} is not a file:// link to a saved video.")
        path = self._saved_path(url2pathname(urlsplit(uri).path))
        size = await self.size_of_saved(str(path))
        if size is None:
            raise DownloadError(f"No saved video at {path}; get_task saves it again while its link works.")
        if size > max_bytes:
            raise DownloadError(f"{path.name} is {size / 2**20:.0f} MB, more than resources/read serves.")
        return await anyio.Path(path).read_bytes()

    def _saved_path(self, local_file: str) -> Path:
        base = self.output_dir.resolve()
        path = Path(local_file).resolve()
        # Saved videos, and the contact sheets made beside them.
        if path.parent != base or path.suffix not in (".mp4", ".jpg") or path.name.startswith("."):
            raise DownloadError(f"{local_file[:200]!r} is not a video saved by this server.")
        return path

    async def sweep_partials(self) -> int:
        """Delete partial files whose writer is gone (at start-up, and after a failure)."""
        return await anyio.to_thread.run_sync(_sweep_partials, self.output_dir)

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
        temp = target.with_name(
            f".{ProcessOwner.current().token}.{uuid.uuid4().hex[:8]}.{target.name}{PART_SUFFIX}"
        )
        try:
            async with self._open(url) as response:
                self._check_response(response)
                written = await self._write(response, temp)
                expected = response.headers.get("content-length")
                if expected is not None and expected.isdigit() and written != int(expected):
                    raise _Retryable(f"transfer ended after {written} of {expected} bytes")
            await anyio.to_thread.run_sync(_finish, temp, target)
        except httpx2.TransportError as exc:
            raise _Retryable(f"{type(exc).__name__}: {exc}") from None
        finally:
            with anyio.CancelScope(shield=True):  # a stopped download must not leave its file
                await anyio.Path(temp).unlink(missing_ok=True)

    @asynccontextmanager
    async def _open(self, url: str) -> AsyncGenerator[httpx2.Response]:
        """The final answer for `url`, following at most MAX_REDIRECTS checked redirects."""
        for _ in range(MAX_REDIRECTS + 1):
            hop = await self._guard.hop(url)
            async with self._client.stream(
                "GET", hop.url, headers=hop.headers, extensions=hop.extensions
            ) as response:
                location = response.headers.get("location")
                if response.status_code not in REDIRECT_STATUSES or not location:
                    yield response
                    return
            url = self._guard.next_url(url, location)
        raise DownloadError(
            f"The video link redirected more than {MAX_REDIRECTS} times; it was not followed."
        )

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


def _sweep_partials(folder: Path) -> int:
    swept = 0
    try:
        for part in folder.glob(f".*{PART_SUFFIX}") if folder.is_dir() else ():
            if _is_stale(part):
                part.unlink(missing_ok=True)
                swept += 1
    except OSError:
        pass  # an unreadable folder is reported when a video is saved, not at start-up
    return swept


def _is_stale(part: Path) -> bool:
    owner = ProcessOwner.from_token(part.name[1:].partition(".")[0])
    alive = owner.alive() if owner is not None else None
    if alive is not None:
        return not alive
    try:
        return time.time() - part.stat().st_mtime > STALE_PART_SECONDS
    except FileNotFoundError:
        return False


def build_download_client() -> httpx2.AsyncClient:
    # No default headers beyond the agent: no Authorization ever goes to a CDN. Redirects
    # are followed by VideoSaver._open, one checked hop at a time.
    return LazyAsyncClient(
        timeout=httpx2.Timeout(60.0, connect=10.0),
        follow_redirects=False,
        headers={"User-Agent": "wan-video-mcp"},
    )
