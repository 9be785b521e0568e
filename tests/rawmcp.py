"""Raw JSON-RPC to the real server over stdio, through the SDK's own stdio transport: for the
protocol features the Python client does not speak itself (MCP tasks)."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.shared._stream_protocols import ReadStream, WriteStream  # the transport's own stream types
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCError, JSONRPCNotification, JSONRPCRequest, JSONRPCResponse

MODERN = "2026-07-28"
TASKS = "io.modelcontextprotocol/tasks"


def modern_meta(*, tasks: bool) -> dict[str, Any]:
    """The per-request envelope of protocol 2026-07-28, opting in to tasks or not."""
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "raw-tests", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {"extensions": {TASKS: {}} if tasks else {}},
    }


class RawPeer:
    def __init__(
        self,
        read: ReadStream[SessionMessage | Exception],
        write: WriteStream[SessionMessage],
    ) -> None:
        self._read, self._write = read, write
        self._last_id = 0
        self.notifications: list[dict[str, Any]] = []

    async def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The answer: {"result": ...} or {"error": ...}."""
        self._last_id += 1
        request = JSONRPCRequest(jsonrpc="2.0", id=self._last_id, method=method, params=params)
        await self._write.send(SessionMessage(request))
        while True:
            answer = await self._answer()
            if answer is not None:
                return answer

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        await self._write.send(
            SessionMessage(JSONRPCNotification(jsonrpc="2.0", method=method, params=params))
        )

    async def initialize(self, version: str) -> dict[str, Any]:
        answer = await self.request(
            "initialize",
            {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "raw-tests", "version": "1"},
            },
        )
        await self.notify("notifications/initialized")
        return answer["result"]

    async def _answer(self) -> dict[str, Any] | None:
        received = await self._read.receive()
        if isinstance(received, Exception):
            raise received
        message = received.message
        if isinstance(message, JSONRPCResponse) and message.id == self._last_id:
            return {"result": message.result}
        if isinstance(message, JSONRPCError) and message.id == self._last_id:
            return {"error": message.error.model_dump(mode="json", exclude_none=True)}
        if isinstance(message, JSONRPCNotification):
            self.notifications.append(message.model_dump(mode="json", exclude_none=True))
        return None


@asynccontextmanager
async def raw_stdio_server(env: dict[str, str], log: Path) -> AsyncIterator[RawPeer]:
    """`wan-video-mcp serve` as a subprocess (stderr to `log`), spoken to in raw JSON-RPC."""
    parameters = StdioServerParameters(
        command=sys.executable, args=["-m", "wan_video_mcp", "serve"], env={**os.environ, **env}
    )
    with log.open("a") as errors:
        async with stdio_client(parameters, errlog=errors) as (read, write):
            yield RawPeer(read, write)
