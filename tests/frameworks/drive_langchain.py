"""langchain-mcp-adapters: `MultiServerMCPClient` on its defaults (a new server process for
every call, no timeout); tools converted for OpenAI as an agent would."""

from __future__ import annotations

import asyncio
from typing import Any

from common import scenario, server_command
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_mcp_adapters.client import MultiServerMCPClient


async def main() -> None:
    command, args, env = server_command()
    client = MultiServerMCPClient(
        {"wan": {"command": command, "args": args, "env": env, "transport": "stdio"}}
    )
    tools = {tool.name: tool for tool in await client.get_tools()}
    for tool in tools.values():
        convert_to_openai_tool(tool)

    async def call(name: str, arguments: dict[str, Any]) -> Any:
        return await tools[name].ainvoke(arguments)

    await scenario(call, list(tools))


asyncio.run(main())
