"""Google ADK: `McpToolset` with `StdioConnectionParams` on its defaults (5 s for start-up and
for every request); each tool's declaration is built as for a model, then run."""

from __future__ import annotations

import asyncio
from typing import Any

from common import scenario, server_command
from google.adk.tools.mcp_tool import McpToolset, StdioConnectionParams
from mcp import StdioServerParameters


async def main() -> None:
    command, args, env = server_command()
    params = StdioConnectionParams(server_params=StdioServerParameters(command=command, args=args, env=env))
    toolset = McpToolset(connection_params=params)
    try:
        tools = {tool.name: tool for tool in await toolset.get_tools()}
        for tool in tools.values():
            assert tool._get_declaration() is not None  # the schema as a model gets it

        async def call(name: str, arguments: dict[str, Any]) -> Any:
            return await tools[name].run_async(args=arguments, tool_context=None)

        await scenario(call, list(tools))
    finally:
        await toolset.close()


asyncio.run(main())
