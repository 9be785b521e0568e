"""Run the MCP server over streamable HTTP (at /mcp): who may call, from which hosts and
origins, resumable event streams, and the transport's own limits."""

from __future__ import annotations

import logging
import re
from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from wan_video_mcp.http.access import AnyVerifier, protect, refuse_open_door, verifiers
from wan_video_mcp.http.config import HttpSettings
from wan_video_mcp.http.events import MemoryEventStore
from wan_video_mcp.http.hosts import HostGuard, security_settings
from wan_video_mcp.http.limits import guarded_protocol
from wan_video_mcp.journal import open_journal
from wan_video_mcp.providers.transport import build_http_client
from wan_video_mcp.settings import Settings

log = logging.getLogger(__name__)

MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
SHUTDOWN_SECONDS = 5


def _who(http: HttpSettings) -> str:
    ways = ["bearer tokens"] if http.auth_tokens or http.auth_tokens_file else []
    ways += [f"OAuth tokens from {http.oauth_issuer}"] if http.oauth_issuer else []
    return " or ".join(ways) or "anyone who reaches the port (no authentication)"


def _journal(settings: Settings) -> str:
    if settings.database_url is None:
        return f"SQLite at {settings.journal_path}"
    return "PostgreSQL at " + re.sub(
        r"^[^@]*@", "", settings.database_url.get_secret_value().split("//", 1)[-1]
    )


class HealthCheck:
    """`GET /healthz` answers 200 for load balancers, whatever the Host and without a token:
    it says only that the process serves."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == HEALTH_PATH:
            await PlainTextResponse("ok")(scope, receive, send)
            return
        await self._app(scope, receive, send)


def build_app(server: MCPServer[Any], http: HttpSettings, host: str, found: list[Any]) -> HealthCheck:
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
    return HealthCheck(HostGuard(app, security))


async def serve_http(
    server: MCPServer[Any], settings: Settings, http: HttpSettings, host: str, port: int
) -> None:
    async with build_http_client(settings.http_timeout_seconds) as client:
        found = verifiers(http, client)
        refuse_open_door(host, found, http)
        # A database that cannot be used is one sentence before anything listens.
        await (await open_journal(settings)).close()
        log.info(
            "HTTP at http://%s:%d%s; callers: %s; journal: %s",
            host,
            port,
            MCP_PATH,
            _who(http),
            _journal(settings),
        )
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
