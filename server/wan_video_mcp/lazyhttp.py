"""An httpx2 client whose connection pools are built on its first request (and, if asked,
one per host).

Building httpx2's default transport imports the connection pool (httpcore2, h11) and
loads the CA bundle into an SSL context: 30-50 ms per client, paid at start-up by every
client the runtime holds (provider API, downloads, uploads) before the server answers
its first request. The pools are the same, with the same options and the same proxies
from the environment; they are made when a request first needs one.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx2


class LazyAsyncClient(httpx2.AsyncClient):
    """With `pool_per_origin`, each scheme, host and port gets a pool of its own, with the
    client's limits: a pool keeps at most `max_keepalive_connections` idle ones and closes the
    oldest past that, whichever host they lead to, so hosts busy at once in one pool close
    each other's kept connections and reopen them (a TCP and TLS handshake each) every round.
    For a client of a few known hosts (the providers' APIs), not one of any URL (downloads)."""

    def __init__(self, *args: Any, pool_per_origin: bool = False, **kwargs: Any) -> None:
        self._pool_per_origin = pool_per_origin  # read by _init_transport, called below
        super().__init__(*args, **kwargs)

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx2.AsyncBaseTransport:
        if kwargs.get("transport") is not None:
            return kwargs["transport"]
        return self._lazy(lambda: super(LazyAsyncClient, self)._init_transport(*args, **kwargs))

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx2.AsyncBaseTransport:
        return self._lazy(lambda: super(LazyAsyncClient, self)._init_proxy_transport(*args, **kwargs))

    def _lazy(self, build: Callable[[], httpx2.AsyncBaseTransport]) -> httpx2.AsyncBaseTransport:
        return _PoolPerOrigin(build) if self._pool_per_origin else _LazyTransport(build)


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


class _PoolPerOrigin(httpx2.AsyncBaseTransport):
    def __init__(self, build: Callable[[], httpx2.AsyncBaseTransport]) -> None:
        self._build: Callable[[], httpx2.AsyncBaseTransport] | None = build
        self._pools: dict[tuple[bytes, bytes, int | None], _LazyTransport] = {}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        origin = (request.url.raw_scheme, request.url.raw_host, request.url.port)
        pool = self._pools.get(origin)
        if pool is None:
            if self._build is None:
                raise httpx2.ConnectError("the HTTP client was closed", request=request)
            pool = self._pools[origin] = _LazyTransport(self._build)
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        self._build = None
        async with AsyncExitStack() as pools:  # every pool closed, even if one fails to
            for pool in self._pools.values():
                pools.push_async_callback(pool.aclose)
