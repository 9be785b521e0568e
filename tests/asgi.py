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


@asynccontextmanager
async def serving_asgi(app: Any, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """`app` served on a free port; yields its origin (http://127.0.0.1:PORT)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", lifespan="on"))
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
