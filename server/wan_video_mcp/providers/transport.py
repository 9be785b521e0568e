"""Send an adapter's `HttpRequest` and tell apart "never left" from "may have arrived".

That difference decides whether a failed submit is safe to repeat (nothing was
sent) or must be reported as "outcome unknown" (a paid job may exist).
"""

from __future__ import annotations

import anyio
import httpx2

from wan_video_mcp.inflight import STATUS_AT_ONCE
from wan_video_mcp.lazyhttp import LazyAsyncClient
from wan_video_mcp.providers.base import HttpRequest, HttpResponse
from wan_video_mcp.redaction import Redactor

MAX_PROVIDER_BODY = 4 * 1024 * 1024  # API answers are small JSON; a huge one is a fault


class RequestNotSent(Exception):
    """The request never reached the provider (DNS, refused connection, pool full)."""


class RequestOutcomeUnknown(Exception):
    """The request may have reached the provider but no complete answer came back."""


_NOT_SENT = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
    httpx2.UnsupportedProtocol,
    httpx2.ProxyError,
)


class ProviderTransport:
    def __init__(self, client: httpx2.AsyncClient, redactor: Redactor, total_seconds: float) -> None:
        self._client = client
        # Keys are scrubbed from everything a provider sends back, so no error text,
        # journal row or log line built from a response can carry one.
        self._redactor = redactor
        # httpx bounds each phase; this bounds the whole exchange, so a submit claim's
        # lease (see journal.py) is never outlived by its own request.
        self.total_seconds = total_seconds

    async def send(self, request: HttpRequest) -> HttpResponse:
        try:
            with anyio.fail_after(self.total_seconds):
                status, headers, body = await self._exchange(request)
        except _NOT_SENT as exc:
            raise RequestNotSent(self._describe(exc)) from None
        except httpx2.TransportError as exc:
            raise RequestOutcomeUnknown(self._describe(exc)) from None
        except TimeoutError:
            raise RequestOutcomeUnknown(f"no complete answer within {self.total_seconds:g} s") from None
        headers = {key.lower(): self._redactor.text(value) for key, value in headers.items()}
        return HttpResponse(status, headers, self._redactor.body(body))

    async def _exchange(self, request: HttpRequest) -> tuple[int, dict[str, str], bytes]:
        stream = self._client.stream(
            request.method,
            request.url,
            headers=request.headers,
            json=request.json,
            params=request.params,
            # Never follow a redirect with the API key attached.
            follow_redirects=False,
        )
        async with stream as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_PROVIDER_BODY:
                    raise RequestOutcomeUnknown(f"an answer larger than {MAX_PROVIDER_BODY // 2**20} MiB")
            return response.status_code, dict(response.headers), bytes(body)

    def _describe(self, exc: Exception) -> str:
        text = str(exc).strip()
        return self._redactor.text(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


# Jobs polled every 5-30 s: a kept connection must outlive the pause between two polls
# (httpx's default 5 s made a lone job's every poll a new connection and TLS session). 40 s
# stays under the 60 s idle limit common at load balancers.
KEEPALIVE_SECONDS = 40.0
MAX_CONNECTIONS = 100


def build_http_client(timeout_seconds: float) -> httpx2.AsyncClient:
    """The API client: one pool per provider host (lazyhttp.py), so providers busy at once do
    not close each other's kept connections. A pool probes every kept connection's socket twice
    per request, so it keeps about as many as its provider keeps busy: one per status query in
    flight (inflight.py), and two more. 20 kept made a status query ~25 % costlier in CPU than
    10 (1,000 waits, after a burst of submits). Up to 100 open per host: the queues let requests
    past them after a short wait, and a busy pool queues the rest."""
    limits = httpx2.Limits(
        max_connections=MAX_CONNECTIONS,
        max_keepalive_connections=STATUS_AT_ONCE + 2,
        keepalive_expiry=KEEPALIVE_SECONDS,
    )
    return LazyAsyncClient(
        timeout=httpx2.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds)),
        headers={"User-Agent": "wan-video-mcp"},
        follow_redirects=False,
        limits=limits,
        pool_per_origin=True,
    )
