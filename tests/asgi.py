"""Serving an ASGI app (the MCP server's HTTP app, a stand-in authorization server's JWKS)
on a loopback port inside the test's event loop."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import uvicorn
from mcp.client.streamable_http import streamable_http_client

from wan_video_mcp.app import build_server
from wan_video_mcp.http.access import verifiers
from wan_video_mcp.http.config import HttpSettings
from wan_video_mcp.http.serve import build_app
from wan_video_mcp.providers.transport import build_http_client
from wan_video_mcp.settings import Settings


@asynccontextmanager
async def serving_asgi(app: Any, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """`app` served on a free port; yields its origin (http://127.0.0.1:PORT)."""
    # IPPROTO_TCP named, so asyncio sets TCP_NODELAY on each connection (no delayed-ACK stalls).
    sock = socket.socket(
        socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="critical", lifespan="on", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        while not server.started:  # noqa: ASYNC110
            await anyio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True


def with_token(url: str, token: str | None, **headers: str) -> Any:
    """A streamable-HTTP transport for `mcp.Client` that sends `Authorization: Bearer token`."""
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return streamable_http_client(url, http_client=httpx2.AsyncClient(headers=headers, timeout=30))


@asynccontextmanager
async def serving(settings: Settings, host: str = "127.0.0.1", **http: Any) -> AsyncIterator[str]:
    """The server's HTTP app as `serve --transport http` builds it; yields the MCP URL."""
    config = HttpSettings(**http)
    async with build_http_client(5) as client:
        app = build_app(build_server(settings), config, host, verifiers(config, client))
        async with serving_asgi(app) as origin:
            yield f"{origin}/mcp"
