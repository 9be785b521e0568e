"""Google ADK: `McpToolset` with `StdioConnectionParams` on its defaults (5 s for start-up and
for every request); each tool's declaration is built as for a model, then run with a fresh
`ToolContext` per call, as ADK's runner gives every function call (ADK renders a tool's MCP
Apps view through it)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from common import emit, scenario, server_command
from google.adk.agents import LlmAgent
from google.adk.agents.invocation_context import InvocationContext
from google.adk.sessions import InMemorySessionService
from google.adk.tools.mcp_tool import McpToolset, StdioConnectionParams
from google.adk.tools.tool_context import ToolContext
from mcp import StdioServerParameters


async def main() -> None:
    command, args, env = server_command()
    params = StdioConnectionParams(server_params=StdioServerParameters(command=command, args=args, env=env))
    toolset = McpToolset(connection_params=params)
    sessions = InMemorySessionService()
    session = await sessions.create_session(app_name="wan", user_id="tests")
    agent = LlmAgent(name="wan_agent", model="gemini-2.0-flash")  # never called: no model runs here
    invocation = InvocationContext(
        session_service=sessions, invocation_id="run-1", agent=agent, session=session
    )
    call_ids = itertools.count(1)
    widgets: list[Any] = []
    try:
        tools = {tool.name: tool for tool in await toolset.get_tools()}
        for tool in tools.values():
            assert tool._get_declaration() is not None  # the schema as a model gets it

        async def call(name: str, arguments: dict[str, Any]) -> Any:
            context = ToolContext(invocation, function_call_id=f"call-{next(call_ids)}")
            answer = await tools[name].run_async(args=arguments, tool_context=context)
            widgets.extend(context.actions.render_ui_widgets or [])
            return answer

        await scenario(call, list(tools))
        emit(
            "widgets", uris=sorted({widget.payload["resource_uri"] for widget in widgets}), count=len(widgets)
        )
    finally:
        await toolset.close()


asyncio.run(main())
