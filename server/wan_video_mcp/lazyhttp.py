"""An httpx2 client whose connection pools are built on its first request.

Building httpx2's default transport imports the connection pool (httpcore2, h11) and
loads the CA bundle into an SSL context: 30-50 ms per client, paid at start-up by every
client the runtime holds (provider API, downloads, uploads) before the server answers
its first request. The pools are the same, with the same options and the same proxies
from the environment; they are made when a request first needs one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2


class LazyAsyncClient(httpx2.AsyncClient):
    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx2.AsyncBaseTransport:
        if kwargs.get("transport") is not None:
            return kwargs["transport"]
        return _LazyTransport(lambda: super(LazyAsyncClient, self)._init_transport(*args, **kwargs))

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx2.AsyncBaseTransport:
        return _LazyTransport(lambda: super(LazyAsyncClient, self)._init_proxy_transport(*args, **kwargs))


class _LazyTransport(httpx2.AsyncBaseTransport):
    def __init__(self, build: Callable[[], httpx2.AsyncBaseTransport]) -> None:
        self._build: Callable[[], httpx2.AsyncBaseTransport] | None = build
        self._transport: httpx2.AsyncBaseTransport | None = None

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if self._transport is None:
            if self._build is None:
                raise httpx2.ConnectError("the HTTP client was closed", request=request)
            try:
                self._transport = self._build()  # no await in between: one pool per client
            except Exception as exc:
                # A proxy or certificate set-up error (once raised at start): nothing was sent, so
                # a submit must be recorded as not sent, never as an unknown outcome.
                raise httpx2.ConnectError(f"HTTP client set-up failed: {exc}", request=request) from exc
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        self._build = None
        if self._transport is not None:
            await self._transport.aclose()
