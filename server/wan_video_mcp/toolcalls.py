"""What the tools do when called: the bodies behind the tool definitions (app.py,
tasktools.py), in one module that the definitions import on the first call, so start-up
imports none of the runtime."""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult, TextContent

from wan_video_mcp.calls import Call
from wan_video_mcp.cancelling import Canceller
from wan_video_mcp.listing import TaskList, list_tasks
from wan_video_mcp.params import CancelTaskArgs, GeneratingArgs, GetTaskArgs, ListTasksArgs, ToolArguments
from wan_video_mcp.params.parsing import parse_arguments


async def generate(
    model: type[ToolArguments], arguments: dict[str, Any], ctx: Context[Any, Any]
) -> CallToolResult:
    args: GeneratingArgs = parse_arguments(model, arguments)  # pyright: ignore[reportAssignmentType]
    call = await Call.of(ctx)
    wait = call.wait_seconds(args.wait_seconds)
    result = await call.service.generate(args, call.progress, wait, call.caller.principal)
    return await call.present(result, wait)


async def get_task(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
    args = parse_arguments(GetTaskArgs, arguments)
    call = await Call.of(ctx)
    wait = call.wait_seconds(args.wait_seconds)
    return await call.present(
        await call.service.get_task(args.task_id, wait, call.progress, call.caller.principal),
        wait,
        lookup=True,
    )


async def cancel_task(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
    args = parse_arguments(CancelTaskArgs, arguments)
    call = await Call.of(ctx)
    canceller = Canceller(call.service, call.service.transport)
    return await call.present(await canceller.cancel(args.task_id, call.caller.principal), 0.0, lookup=True)


async def list_tasks_tool(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
    args = parse_arguments(ListTasksArgs, arguments)
    call = await Call.of(ctx)
    service = call.service
    viewer = service.viewer(call.caller.principal)
    listed = await list_tasks(service.journal, service.spending, args, viewer)
    return CallToolResult(
        content=[TextContent(type="text", text=_listed_text(listed))],
        structured_content=listed.model_dump(mode="json"),
    )


def _listed_text(listed: TaskList) -> str:
    if not listed.tasks:
        return f"No tasks match. Spent: {listed.spend}."
    count = f"{len(listed.tasks)} task{'s' if len(listed.tasks) != 1 else ''}"
    lines = [f"{count}, newest first, status as last seen (get_task refreshes one). Spent: {listed.spend}."]
    for task in listed.tasks:
        cost = task.cost_actual if task.cost_actual is not None else task.cost_estimate
        price = f", {cost:.2f} {task.currency}" if cost is not None else ", cost unknown"
        saved = f", saved {task.local_file}" if task.local_file else ""
        prompt = f" {json.dumps(task.prompt, ensure_ascii=False)}" if task.prompt else ""
        when = task.submitted_at.strftime("%Y-%m-%d %H:%M UTC")
        who = f"{task.task_id or '(no handle)'}: {task.status}, {task.model} via {task.provider}"
        lines.append(f"- {who}, {when}{price}{saved}{prompt}")
    if listed.more:
        lines.append("More tasks match: raise limit, or filter by status or model.")
    return "\n".join(lines)
