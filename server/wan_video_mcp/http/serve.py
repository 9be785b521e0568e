"""Run the MCP server over streamable HTTP (at /mcp): who may call, from which hosts and
origins, resumable event streams, and the transport's own limits."""

from __future__ import annotations

from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette

from wan_video_mcp.http.access import AnyVerifier, protect, refuse_open_door, verifiers
from wan_video_mcp.http.config import HttpSettings
from wan_video_mcp.http.events import MemoryEventStore
from wan_video_mcp.http.hosts import HostGuard, security_settings
from wan_video_mcp.http.limits import guarded_protocol
from wan_video_mcp.providers.transport import build_http_client
from wan_video_mcp.settings import Settings

MCP_PATH = "/mcp"
SHUTDOWN_SECONDS = 5


def build_app(server: MCPServer[Any], http: HttpSettings, host: str, found: list[Any]) -> HostGuard:
    security = security_settings(host, http.allowed_hosts, http.allowed_origins)
    app: Starlette = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        host=host,
        transport_security=security,
        stateless_http=http.stateless,
        # Sessions keep their events, so a dropped stream resumes with Last-Event-ID.
        event_store=None if http.stateless else MemoryEventStore(),
    )
    if found:
        protect(app, AnyVerifier(found), http, MCP_PATH)
    return HostGuard(app, security)


async def serve_http(
    server: MCPServer[Any], settings: Settings, http: HttpSettings, host: str, port: int
) -> None:
    async with build_http_client(settings.http_timeout_seconds) as client:
        found = verifiers(http, client)
        refuse_open_door(host, found, http)
        config = uvicorn.Config(
            build_app(server, http, host, found),
            host=host,
            port=port,
            http=guarded_protocol(settings.http_read_timeout_seconds, settings.http_max_connections),
            timeout_keep_alive=int(settings.http_keepalive_seconds),
            # Open event streams (a client listening for progress) must not hold a stop forever.
            timeout_graceful_shutdown=SHUTDOWN_SECONDS,
            log_level=settings.log_level.lower(),
        )
        await uvicorn.Server(config).serve()
