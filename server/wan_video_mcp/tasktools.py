"""The tools that manage tasks rather than make videos: cancel_task and list_tasks."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver.tools import Tool
from mcp_types import ToolAnnotations

from wan_video_mcp import descriptions
from wan_video_mcp.listing import TaskList
from wan_video_mcp.params import CancelTaskArgs, ListTasksArgs
from wan_video_mcp.params.schema import input_schema
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.toolkit import define_tool, lazy_body


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
        body=lazy_body("cancel_task"),
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
        body=lazy_body("list_tasks_tool"),
        redactor=redactor,
        output_model=TaskList,
    )
    return [cancel, listing]
