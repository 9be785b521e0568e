"""Send an adapter's `HttpRequest` and tell apart "never left" from "may have arrived".

That difference decides whether a failed submit is safe to repeat (nothing was
sent) or must be reported as "outcome unknown" (a paid job may exist).
"""

from __future__ import annotations

import httpx2

from wan_video_mcp.providers.base import HttpRequest, HttpResponse

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
    def __init__(self, client: httpx2.AsyncClient, secrets: list[str]) -> None:
        self._client = client
        # Keys are scrubbed from everything a provider sends back, so no error text,
        # journal row or log line built from a response can carry one.
        self._secrets = [secret.encode() for secret in secrets if secret]

    async def send(self, request: HttpRequest) -> HttpResponse:
        try:
            response = await self._client.request(
                request.method,
                request.url,
                headers=request.headers,
                json=request.json,
                params=request.params,
                # Never follow a redirect with the API key attached.
                follow_redirects=False,
            )
        except _NOT_SENT as exc:
            raise RequestNotSent(self._describe(exc)) from None
        except httpx2.TransportError as exc:
            raise RequestOutcomeUnknown(self._describe(exc)) from None
        body = self._scrub(response.content[:MAX_PROVIDER_BODY])
        headers = {
            key.lower(): self._scrub(value.encode()).decode() for key, value in response.headers.items()
        }
        return HttpResponse(response.status_code, headers, body)

    def _scrub(self, data: bytes) -> bytes:
        for secret in self._secrets:
            data = data.replace(secret, b"[redacted]")
        return data

    def _describe(self, exc: Exception) -> str:
        text = str(exc).strip()
        described = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        return self._scrub(described.encode()).decode()


def build_http_client(timeout_seconds: float) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        timeout=httpx2.Timeout(timeout_seconds, connect=min(10.0, timeout_seconds)),
        headers={"User-Agent": "wan-video-mcp"},
        follow_redirects=False,
    )
