"""Your own S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, Alibaba OSS's S3 API...):
the file is uploaded there and the provider gets a presigned GET URL.

boto3 does the signing, multipart uploads of big files and the ecosystem's credential
chain (AWS_* variables, the shared credentials file, instance roles). It is imported on
first use and every call runs on a worker thread: boto3 is synchronous.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import anyio.to_thread

from wan_video_mcp.errors import UploadError
from wan_video_mcp.inputs.files import LocalFile
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.settings import Settings
from wan_video_mcp.staging.meter import Meter
from wan_video_mcp.staging.verify import HashingReader, changed
from wan_video_mcp.tasks import utc_now

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

T = TypeVar("T")

CREDENTIALS_HINT = (
    "check WAN_MCP_S3_BUCKET, WAN_MCP_S3_ENDPOINT_URL and the credentials (AWS_ACCESS_KEY_ID, "
    "AWS_SECRET_ACCESS_KEY, AWS_REGION or ~/.aws/credentials)"
)


class BucketUploads:
    def __init__(self, settings: Settings, redactor: Redactor) -> None:
        assert settings.s3_bucket is not None
        self.bucket = settings.s3_bucket
        self._endpoint = settings.s3_endpoint_url
        self._prefix = settings.s3_prefix.lstrip("/")
        self._ttl = settings.s3_url_ttl_seconds
        self._redactor = redactor
        # From --env-file too; what is unset (None) comes from boto3's chain (~/.aws, roles...).
        self._key_id, self._region = settings.aws_access_key_id, settings.aws_region
        self._secret, self._token = settings.aws_secret_access_key, settings.aws_session_token

    @property
    def destination(self) -> str:
        return f"s3:{self._endpoint or 'aws'}:{self.bucket}"

    def key_for(self, file: LocalFile) -> str:
        return f"{self._prefix}{file.object_name}"

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    async def upload(self, file: LocalFile, meter: Meter) -> str:
        """Upload `file` under its content's name; the key. The store checks the body against
        the checked hash (x-amz-checksum-sha256), and so do we."""
        key = self.key_for(file)
        await self._call(file, lambda: self._put(file, key, meter))
        return key

    def _put(self, file: LocalFile, key: str, meter: Meter) -> None:
        checksum = base64.b64encode(bytes.fromhex(file.sha256)).decode()
        with file.path.open("rb") as source:
            body = HashingReader(source, meter)
            self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,  # pyright: ignore[reportArgumentType]  (a file object boto3 reads)
                ContentType=file.content_type,
                ContentLength=file.size,
                ChecksumSHA256=checksum,
            )
        if body.sha256 != file.sha256:
            self._client.delete_object(Bucket=self.bucket, Key=key)
            raise changed(file)

    async def holds(self, file: LocalFile, key: str) -> bool:
        """Whether the bucket still has `key` at the right size (a lifecycle rule may have
        removed it since it was recorded)."""

        checksum = base64.b64encode(bytes.fromhex(file.sha256)).decode()

        def head() -> bool:
            try:
                head = self._client.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
                return head["ContentLength"] == file.size and head.get("ChecksumSHA256") in (None, checksum)
            except self._client.exceptions.ClientError:
                return False

        return await self._call(file, head)

    async def presign(self, file: LocalFile, key: str) -> tuple[str, datetime]:
        """A GET URL for `key` that works for the configured time (24 h by default)."""
        params = {"Bucket": self.bucket, "Key": key}
        expires = utc_now() + timedelta(seconds=self._ttl)
        url = await self._call(
            file,
            lambda: self._client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=int(self._ttl)
            ),
        )
        return url, expires

    async def _call(self, file: LocalFile, work: Callable[[], T]) -> T:
        try:
            return await anyio.to_thread.run_sync(work)
        except UploadError:
            raise
        except Exception as exc:  # boto3's errors: credentials, endpoint, access, transfer
            reason = self._redactor.text(f"{type(exc).__name__}: {exc}")[:300]
            raise UploadError(
                file.item.label, f"the bucket {self.bucket} refused or failed ({reason}); {CREDENTIALS_HINT}"
            ) from None

    @cached_property
    def _client(self) -> S3Client:
        import boto3  # noqa: PLC0415  (imported on first use: serving without a bucket never loads it)
        from botocore.config import Config  # noqa: PLC0415

        # SigV4 everywhere; path-style addressing for other stores (MinIO and most others need it).
        style = "path" if self._endpoint else "auto"
        config = Config(
            signature_version="s3v4", s3={"addressing_style": style}, retries={"mode": "standard"}
        )
        return boto3.client(  # pyright: ignore[reportUnknownMemberType]
            "s3",
            endpoint_url=self._endpoint,
            config=config,
            region_name=self._region,
            aws_access_key_id=self._key_id,
            aws_secret_access_key=self._secret.get_secret_value() if self._secret else None,
            aws_session_token=self._token.get_secret_value() if self._token else None,
        )
