"""DashScope's temporary upload: a policy for the model, the file POSTed as a form to the
OSS host the policy names, and the resulting `oss://` URL.

Markers as in providers.md §5.3: [doc] Alibaba's "temporary file URL" page; [SDK] the
official dashscope-python SDK's `utils/oss_utils.py`; [inferred] neither says so.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx2
from pydantic import BaseModel, ConfigDict

from wan_video_mcp.errors import DownloadError, UploadError
from wan_video_mcp.inputs.files import LocalFile
from wan_video_mcp.linkguard import Hop, LinkGuard
from wan_video_mcp.params import ModelName
from wan_video_mcp.providers.dashscope import DashScopeAdapter
from wan_video_mcp.providers.transport import ProviderTransport, RequestNotSent, RequestOutcomeUnknown
from wan_video_mcp.staging.meter import Meter
from wan_video_mcp.staging.multipart import FormFile, StreamedForm
from wan_video_mcp.staging.verify import check_sent
from wan_video_mcp.tasks import utc_now

# [doc] An uploaded file lives 48 h, then is deleted; it cannot be listed or read back.
OSS_LIFETIME = timedelta(hours=48)
# [doc] A file is at most 1 GB, and within the policy's max_file_size_mb.
MAX_UPLOAD_BYTES = 1024 * 1024 * 1024
OSS_PREFIX = "oss://"


class UploadPolicy(BaseModel):
    """[doc] getPolicy's `data`; the doc types numbers as strings, its example as numbers."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    policy: str
    signature: str
    upload_dir: str
    upload_host: str
    oss_access_key_id: str
    x_oss_object_acl: str = "private"
    x_oss_forbid_overwrite: str = "true"
    max_file_size_mb: float | None = None


class PolicyAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    data: UploadPolicy


class DashScopeUploads:
    def __init__(
        self,
        adapter: DashScopeAdapter,
        transport: ProviderTransport,
        client: httpx2.AsyncClient,
        guard: LinkGuard,
    ) -> None:
        self._adapter = adapter
        self._transport = transport
        self._client = client
        self._guard = guard

    def destination(self, model: ModelName) -> str:
        """[doc] Uploads are bound to the model and the account that made them."""
        model_id = self._adapter.model_id(model) or model
        return f"dashscope:{self._adapter.base_url}:{model_id}:{self._adapter.account}"

    async def upload(self, file: LocalFile, model: ModelName, meter: Meter) -> tuple[str, datetime]:
        """The `oss://` URL of an uploaded copy of `file`, and when it stops working."""
        policy = await self._policy(file, model)
        key = f"{policy.upload_dir}/{file.object_name}"
        started = utc_now()
        await self._post(policy, key, file, meter)
        return OSS_PREFIX + key, started + OSS_LIFETIME

    async def _policy(self, file: LocalFile, model: ModelName) -> UploadPolicy:
        try:
            response = await self._transport.send(self._adapter.upload_policy_request(model))
        except (RequestNotSent, RequestOutcomeUnknown) as exc:
            raise self._failed(file, f"could not get an upload policy from DashScope ({exc})") from None
        if not response.ok:
            raise self._adapter.error_for(response, "submit")
        policy = self._adapter.parse_body(PolicyAnswer, response).data
        limit = min(MAX_UPLOAD_BYTES, int((policy.max_file_size_mb or 1024) * 1024 * 1024))
        if file.size > limit:
            raise self._failed(
                file, f"it is {file.size / 2**20:.0f} MB; DashScope takes at most {limit / 2**20:.0f} MB"
            )
        return policy

    async def _post(self, policy: UploadPolicy, key: str, file: LocalFile, meter: Meter) -> None:
        form = StreamedForm(
            _fields(policy, key, file),
            FormFile("file", file.object_name, file.content_type, file.path, file.size),
        )
        try:
            hop = await self._hop(policy.upload_host)
        except DownloadError:
            raise self._failed(
                file, f"DashScope named an upload host that is not public ({policy.upload_host[:80]})"
            ) from None
        headers = {**hop.headers, "Content-Type": form.content_type, "Content-Length": str(form.length)}
        import h11  # noqa: PLC0415  (loaded with the connection pool, on the first request)

        try:
            response = await self._client.post(
                hop.url, headers=headers, content=form.body(meter), extensions=hop.extensions
            )
        except (httpx2.HTTPError, h11.LocalProtocolError) as exc:
            raise self._failed(
                file, f"the upload to DashScope's storage broke off ({type(exc).__name__})"
            ) from None
        if response.status_code != 200:
            raise self._failed(
                file,
                f"DashScope's storage refused it (HTTP {response.status_code}: {_oss_error(response.text)})",
            )
        check_sent(file, form.sent_sha256)

    async def _hop(self, upload_host: str) -> Hop:
        """The storage host is public (checked and pinned like any link), or on the very host
        DashScope itself is configured at (a gateway or a local stand-in: trusted already)."""
        if urlsplit(upload_host).hostname == urlsplit(self._adapter.base_url).hostname:
            return Hop(upload_host)
        return await self._guard.hop(upload_host)

    def _failed(self, file: LocalFile, reason: str) -> UploadError:
        return UploadError(file.item.label, reason)


def _fields(policy: UploadPolicy, key: str, file: LocalFile) -> list[tuple[str, str]]:
    """[doc] The form's fields, in the SDK's order; the file comes last (the doc requires it)."""
    return [
        ("OSSAccessKeyId", policy.oss_access_key_id),
        ("Signature", policy.signature),
        ("policy", policy.policy),
        ("key", key),
        ("x-oss-object-acl", policy.x_oss_object_acl),
        ("x-oss-forbid-overwrite", policy.x_oss_forbid_overwrite),
        ("success_action_status", "200"),
        ("x-oss-content-type", file.content_type),  # [SDK] sent; the doc does not list it
    ]


def _oss_error(text: str) -> str:
    """OSS answers errors as XML: <Code>AccessDenied</Code><Message>Policy expired.</Message>."""
    parts = [_between(text, tag) for tag in ("Code", "Message")]
    return ": ".join(part for part in parts if part) or text[:200] or "no reason given"


def _between(text: str, tag: str) -> str:
    start, end = text.find(f"<{tag}>"), text.find(f"</{tag}>")
    return text[start + len(tag) + 2 : end].strip()[:200] if 0 <= start < end else ""
