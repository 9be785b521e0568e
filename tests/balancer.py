"""A round-robin load balancer in the client's HTTP stack: each request goes to the next
replica, as a balancer without sticky sessions would send it."""

from __future__ import annotations

import itertools

import httpx2


class RoundRobin(httpx2.AsyncBaseTransport):
    def __init__(self, origins: list[str]) -> None:
        self._next = itertools.cycle([httpx2.URL(origin) for origin in origins])
        self._inner = httpx2.AsyncHTTPTransport()
        self.sent: list[str] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        target = next(self._next)
        request.url = request.url.copy_with(host=target.host, port=target.port)
        request.headers["Host"] = f"{target.host}:{target.port}"
        self.sent.append(f"{target.host}:{target.port}")
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
