"""A file sent inside the request, only where the provider documents that it takes
inline data (Modellix's videoedit `video_url`: "URL ... or Base64 encoded data")."""

from __future__ import annotations

import base64
import hashlib

import anyio

from wan_video_mcp.inputs.files import LocalFile
from wan_video_mcp.staging.verify import check_sent

# [inferred] No limit is documented; base64 grows a file by a third and the whole JSON
# body travels in one request, so larger files need a bucket.
INLINE_MAX_BYTES = 10 * 1024 * 1024


async def data_uri(file: LocalFile) -> str:
    """[inferred] The data-URI form DashScope documents for base64 media, which Modellix
    forwards to: `data:<MIME type>;base64,<data>`."""
    content = await anyio.Path(file.path).read_bytes()
    check_sent(file, await anyio.to_thread.run_sync(lambda: hashlib.sha256(content).hexdigest()))
    encoded = await anyio.to_thread.run_sync(base64.b64encode, content)
    return f"data:{file.content_type};base64,{encoded.decode('ascii')}"
