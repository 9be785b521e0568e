"""Protocol 2025-11-25's tasks, where the SDK has no hook: the `tasks` capability in the
`initialize` answer, `execution.taskSupport` on the task tools in `tools/list`, and a
`tools/call` with `params.task` answered with a CreateTaskResult. A server middleware, since
a 2025 tools/call result is checked against CallToolResult's shape below it. The `tasks/*`
methods themselves are the extension's (extension.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, METHOD_NOT_FOUND

from wan_video_mcp.redaction import Redactor
from wan_video_mcp.starting import starting_task
from wan_video_mcp.tasking.memory import TaskMemory
from wan_video_mcp.tasking.wire import LEGACY, TASK_TOOLS

CAPABILITY: dict[str, Any] = {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}


def legacy_tasks(redactor: Redactor, memory: TaskMemory) -> ServerMiddleware[Any]:
    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "initialize":
            return _with_capability(await call_next(ctx))
        if ctx.protocol_version != LEGACY:
            return await call_next(ctx)
        if ctx.method == "tools/list":
            return _with_execution(await call_next(ctx))
        if ctx.method == "tools/call" and (ctx.params or {}).get("task") is not None:
            return await _as_task(ctx, call_next, redactor, memory)
        return await call_next(ctx)

    return middleware


def _with_capability(result: HandlerResult) -> HandlerResult:
    answer = _mapping(result)
    if answer.get("protocolVersion") != LEGACY:
        return result
    capabilities = {**_mapping(answer.get("capabilities")), "tasks": CAPABILITY}
    return {**answer, "capabilities": capabilities}


def _with_execution(result: HandlerResult) -> HandlerResult:
    answer = _mapping(result)
    tools = [_mapping(tool) for tool in answer.get("tools", [])]
    marked = [
        {**tool, "execution": {"taskSupport": "optional"}} if tool.get("name") in TASK_TOOLS else tool
        for tool in tools
    ]
    return {**answer, "tools": marked}


async def _as_task(
    ctx: ServerRequestContext[Any, Any], call_next: CallNext, redactor: Redactor, memory: TaskMemory
) -> HandlerResult:
    name = _mapping(ctx.params).get("name")
    if name not in TASK_TOOLS:
        raise MCPError(
            METHOD_NOT_FOUND,
            f"{str(name)[:100]!r} does not run as a task (only {', '.join(sorted(TASK_TOOLS))} do): call it "
            "without params.task.",
        )
    with starting_task() as start:
        outcome = await call_next(ctx)  # validated, run and checked as any call: it submits, not waits
    # A dry run's answer is kept as a completed task's result: clients such as the TypeScript
    # SDK's stream make every call to a task tool a task, and its estimate must reach them.
    from wan_video_mcp.tasking.jobs import TaskJobs  # noqa: PLC0415  (the runtime's: off the start-up path)

    jobs = await TaskJobs.of(ctx, redactor, memory, modern=False)
    task = await jobs.started(start, answer=_mapping(outcome))
    if task is None:  # nothing was started: the call's own answer says why
        raise MCPError(INVALID_PARAMS, f"No task was started. {_text_of(outcome)}")
    return {"task": task.as_created().legacy()}


def _text_of(outcome: HandlerResult) -> str:
    blocks = [_mapping(block) for block in _mapping(outcome).get("content", [])]
    text = "\n".join(str(block.get("text", "")) for block in blocks if block.get("type") == "text")
    return text or "The call started no task."


def _mapping(value: object) -> dict[str, Any]:
    return dict(cast(Mapping[str, Any], value)) if isinstance(value, Mapping) else {}
