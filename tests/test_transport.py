"""The provider transport's one promise: a request that never left is told apart from one
that may have arrived (a submit may then be repeated safely)."""

from __future__ import annotations

import pytest

from wan_video_mcp.providers.base import HttpRequest
from wan_video_mcp.providers.transport import ProviderTransport, RequestNotSent, build_http_client
from wan_video_mcp.redaction import Redactor

pytestmark = pytest.mark.anyio


async def test_a_client_set_up_error_means_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection pool is built on the first request; if that fails (a broken certificate
    bundle or proxy setting), nothing was sent, and a submit is not an unknown outcome."""
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca-bundle.pem")
    async with build_http_client(5.0) as http:
        transport = ProviderTransport(http, Redactor([]), 10.0)
        with pytest.raises(RequestNotSent, match="set-up failed"):
            await transport.send(HttpRequest("POST", "https://127.0.0.1:9/submit", json={"a": 1}))
