"""Run the MCP server over streamable HTTP (at /mcp) with the transport's limits set."""

from __future__ import annotations

from typing import Any

import uvicorn
from mcp.server.mcpserver import MCPServer

from wan_video_mcp.http.limits import guarded_protocol
from wan_video_mcp.settings import Settings

MCP_PATH = "/mcp"


async def serve_http(server: MCPServer[Any], settings: Settings, host: str, port: int) -> None:
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=guarded_protocol(settings.http_read_timeout_seconds, settings.http_max_connections),
        timeout_keep_alive=int(settings.http_keepalive_seconds),
        log_level=settings.log_level.lower(),
    )
    await uvicorn.Server(config).serve()
