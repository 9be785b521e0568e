"""pydantic-ai, 1.x (`MCPServerStdio`) or 2.x (`MCPToolset`), on its defaults (5 s to start,
300 s per request); tool definitions built as for a model, calls mapped as for a model."""

from __future__ import annotations

import asyncio
from typing import Any

from common import scenario, server_command
from pydantic_ai import __version__
from pydantic_ai.models.test import TestModel
from pydantic_ai.tools import RunContext
from pydantic_ai.usage import RunUsage


def connect() -> Any:
    command, args, env = server_command()
    if __version__.startswith("1."):
        from pydantic_ai.mcp import MCPServerStdio

        return MCPServerStdio(command, args=args, env=env)
    from fastmcp.client.transports import StdioTransport
    from pydantic_ai.mcp import MCPToolset

    return MCPToolset(StdioTransport(command, args, env=env))


async def main() -> None:
    async with connect() as server:
        definitions = await server.get_tools(RunContext(deps=None, model=TestModel(), usage=RunUsage()))

        async def call(name: str, arguments: dict[str, Any]) -> Any:
            return await server.direct_call_tool(name, arguments)

        await scenario(call, list(definitions))


asyncio.run(main())
