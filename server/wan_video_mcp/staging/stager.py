"""Local files in a call, made reachable for the chosen provider before the paid submit.

First every local input is checked (inputs.files: place, type by content, size, length)
so a bad file is refused before anything is uploaded; then each goes the provider's best
way (`ProviderAdapter.local_route`): DashScope's own temporary upload, the user's bucket,
or inline data. The same content for the same destination is uploaded once while its
copy is still valid (the journal remembers uploads). Duplicate checks compare content
hashes, never the temporary URLs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx2

from wan_video_mcp.decoder import Decoders
from wan_video_mcp.errors import InvalidRequest
from wan_video_mcp.inputs.files import LocalFile, inspect
from wan_video_mcp.journal import Journal, UploadRecord
from wan_video_mcp.lazyhttp import LazyAsyncClient
from wan_video_mcp.linkguard import LinkGuard
from wan_video_mcp.locks import KeyedLocks
from wan_video_mcp.params import GeneratingArgs
from wan_video_mcp.params.media import is_local
from wan_video_mcp.providers.base import BUCKET_HINT, ProviderAdapter
from wan_video_mcp.providers.dashscope import DashScopeAdapter
from wan_video_mcp.providers.registry import ProviderRegistry
from wan_video_mcp.providers.transport import ProviderTransport
from wan_video_mcp.settings import Settings
from wan_video_mcp.staging.bucket import BucketUploads
from wan_video_mcp.staging.dashscope import DashScopeUploads
from wan_video_mcp.staging.inline import INLINE_MAX_BYTES, data_uri
from wan_video_mcp.staging.meter import Meter, reporting
from wan_video_mcp.tasks import UploadedInput, utc_now
from wan_video_mcp.waiting import ProgressSink

# An earlier upload is reused only while its link stays valid at least this long: the
# provider fetches inputs when the job starts, which a long queue can delay.
REUSE_MARGIN = timedelta(hours=6)
UPLOAD_TIMEOUT = httpx2.Timeout(300.0, connect=10.0)


@dataclass(frozen=True)
class Staged:
    """A call ready to submit: its arguments with URLs in place of local files."""

    args: GeneratingArgs
    uploads: list[UploadedInput]


def with_content_hashes(args: GeneratingArgs, files: list[LocalFile]) -> GeneratingArgs:
    """`args` with each local file named by its content: what duplicate checks compare."""
    return args.with_references({file.item.reference: f"sha256:{file.sha256}" for file in files})


class Stager:
    def __init__(
        self,
        settings: Settings,
        journal: Journal,
        transport: ProviderTransport,
        registry: ProviderRegistry,
        decoders: Decoders,
    ) -> None:
        self._roots = settings.input_root_paths
        self._decoders = decoders  # read each non-MP4 or image input before it is sent
        self._journal = journal
        self._client = LazyAsyncClient(timeout=UPLOAD_TIMEOUT, follow_redirects=False)
        dashscope = registry.get("dashscope")
        assert isinstance(dashscope, DashScopeAdapter)
        guard = LinkGuard(registry.base_urls())
        self._dashscope = DashScopeUploads(dashscope, transport, self._client, guard)
        self._bucket = BucketUploads(settings, settings.redactor()) if settings.s3_bucket else None
        self._locks = KeyedLocks()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def inspect(self, args: GeneratingArgs, adapter: ProviderAdapter) -> list[LocalFile]:
        """Every local input checked, before anything is uploaded or paid."""
        files = [
            await inspect(item, args.model, self._roots, self._decoders)
            for item in args.media()
            if is_local(item.reference)
        ]
        for file in files:
            if adapter.local_route(args.model, file.item.field) == "inline" and file.size > INLINE_MAX_BYTES:
                raise InvalidRequest(
                    file.item.label,
                    f"{file.path.name} is {file.size / 2**20:.1f} MB; {adapter.label} takes at most "
                    f"{INLINE_MAX_BYTES // 2**20} MB inline.",
                    f"Use DashScope (it takes uploads), {BUCKET_HINT}, or pass a public URL.",
                )
        return files

    async def stage(
        self,
        args: GeneratingArgs,
        adapter: ProviderAdapter,
        files: list[LocalFile],
        progress: ProgressSink | None,
    ) -> Staged:
        uploads = [await self._deliver(args, adapter, file, progress) for file in files]
        references = {file.item.reference: url for file, (url, _) in zip(files, uploads, strict=True)}
        return Staged(args.with_references(references), [upload for _, upload in uploads])

    async def _deliver(
        self, args: GeneratingArgs, adapter: ProviderAdapter, file: LocalFile, progress: ProgressSink | None
    ) -> tuple[str, UploadedInput]:
        route = adapter.local_route(args.model, file.item.field)
        if route == "inline":
            return await data_uri(file), _uploaded(file, "inline", "inline")
        if route == "provider":
            return await self._to_provider(args, file, progress)
        return await self._to_bucket(file, progress)

    async def _to_provider(
        self, args: GeneratingArgs, file: LocalFile, progress: ProgressSink | None
    ) -> tuple[str, UploadedInput]:
        destination = self._dashscope.destination(args.model)
        async with self._locks.hold(f"{destination}:{file.sha256}"):
            known = await self._journal.find_upload(file.sha256, destination)
            if known is not None and _still_valid(known.expires_at):
                return known.location, _uploaded(
                    file, "provider", known.location, known.expires_at, reused=True
                )
            async with reporting(Meter(file.item.label, file.size), progress) as meter:
                url, expires = await self._dashscope.upload(file, args.model, meter)
            await self._remember(file, destination, url, expires)
        return url, _uploaded(file, "provider", url, expires)

    async def _to_bucket(self, file: LocalFile, progress: ProgressSink | None) -> tuple[str, UploadedInput]:
        bucket = self._bucket
        assert bucket is not None, "local_route chose the bucket, so one is configured"
        key = bucket.key_for(file)
        async with self._locks.hold(f"{bucket.destination}:{file.sha256}"):
            known = await self._journal.find_upload(file.sha256, bucket.destination)
            reused = known is not None and await bucket.holds(file, key)
            if not reused:
                async with reporting(Meter(file.item.label, file.size), progress) as meter:
                    await bucket.upload(file, meter)
                await self._remember(file, bucket.destination, bucket.location(key), None)
        url, expires = await bucket.presign(file, key)
        return url, _uploaded(file, "bucket", bucket.location(key), expires, reused=reused)

    async def _remember(
        self, file: LocalFile, destination: str, location: str, expires: datetime | None
    ) -> None:
        record = UploadRecord(
            sha256=file.sha256,
            destination=destination,
            location=location,
            size=file.size,
            uploaded_at=utc_now(),
            expires_at=expires,
        )
        await self._journal.record_upload(record)


def _still_valid(expires_at: datetime | None) -> bool:
    return expires_at is not None and expires_at - utc_now() > REUSE_MARGIN


def _uploaded(
    file: LocalFile, method: str, location: str, valid_until: datetime | None = None, reused: bool = False
) -> UploadedInput:
    return UploadedInput.model_validate(
        {
            "parameter": file.item.label,
            "file": str(file.path),
            "sha256": file.sha256,
            "method": method,
            "location": location,
            "valid_until": valid_until,
            "reused": reused,
        }
    )
