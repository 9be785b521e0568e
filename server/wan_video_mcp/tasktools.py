"""The tools that manage tasks rather than make videos: cancel_task and list_tasks."""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent, ToolAnnotations

from wan_video_mcp import descriptions
from wan_video_mcp.calls import Call
from wan_video_mcp.cancelling import Canceller
from wan_video_mcp.listing import TaskList, list_tasks
from wan_video_mcp.params import CancelTaskArgs, ListTasksArgs
from wan_video_mcp.params.parsing import parse_arguments
from wan_video_mcp.params.schema import input_schema
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.toolkit import define_tool


def task_tools(redactor: Redactor, meta: dict[str, Any] | None) -> list[Tool]:
    cancel = define_tool(
        name="cancel_task",
        title="Cancel a video task",
        description=descriptions.CANCEL_TASK,
        input_schema=input_schema(CancelTaskArgs),
        annotations=ToolAnnotations(
            title="Cancel a video task",
            read_only_hint=False,
            destructive_hint=True,
            idempotent_hint=True,
            open_world_hint=True,
        ),
        body=_cancel_task,
        redactor=redactor,
        meta=meta,
    )
    listing = define_tool(
        name="list_tasks",
        title="List video tasks",
        description=descriptions.LIST_TASKS,
        input_schema=input_schema(ListTasksArgs),
        annotations=ToolAnnotations(
            title="List video tasks", read_only_hint=True, idempotent_hint=True, open_world_hint=False
        ),
        body=_list_tasks,
        redactor=redactor,
        output_model=TaskList,
    )
    return [cancel, listing]


async def _cancel_task(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
    args = parse_arguments(CancelTaskArgs, arguments)
    call = Call.of(ctx)
    canceller = Canceller(call.service, call.service.transport)
    return await call.present(await canceller.cancel(args.task_id, call.caller.principal), 0.0, lookup=True)


async def _list_tasks(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
    args = parse_arguments(ListTasksArgs, arguments)
    call = Call.of(ctx)
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
