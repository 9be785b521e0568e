"""openai-agents: `MCPServerStdio` on its defaults (5 s per request), tools called the way an
agent run calls them (the FunctionTool the SDK builds, whose answer is what the model sees)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from agents import Agent, FunctionTool
from agents.mcp import MCPServerStdio
from agents.run_context import RunContextWrapper
from agents.tool_context import ToolContext
from common import scenario, server_command


async def main() -> None:
    command, args, env = server_command()
    async with MCPServerStdio(params={"command": command, "args": args, "env": env}) as server:
        agent = Agent(name="video", mcp_servers=[server])
        tools = {tool.name: tool for tool in await agent.get_all_tools(RunContextWrapper(None))}

        async def call(name: str, arguments: dict[str, Any]) -> Any:
            tool = tools[name]
            assert isinstance(tool, FunctionTool)
            raw = json.dumps(arguments)
            return await tool.on_invoke_tool(
                ToolContext(None, tool_name=name, tool_call_id="1", tool_arguments=raw), raw
            )

        await scenario(call, list(tools))


asyncio.run(main())
