"""The extension `io.modelcontextprotocol/tasks` (SEP-2663, protocol 2026-07-28), and the
`tasks/*` methods of both generations.

2026-07-28: a client opts in per request (the extension in the request's client
capabilities); a task tool's call then answers `resultType: "task"` with the task, and
`tasks/get` carries the tool's result inline once completed. 2025-11-25 (legacy.py starts
those tasks): `tasks/get`, the blocking `tasks/result`, `tasks/list` and `tasks/cancel`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp.server.mcpserver import require_client_extension
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    CallToolRequestParams,
    PaginatedRequestParams,
    RequestParams,
)

from wan_video_mcp.redaction import Redactor
from wan_video_mcp.starting import starting_task
from wan_video_mcp.tasking.memory import TaskMemory
from wan_video_mcp.tasking.wire import EXTENSION_ID, LEGACY, MODERN, RELATED_TASK, TASK_TOOLS, TASK_VERSIONS

if TYPE_CHECKING:
    from wan_video_mcp.tasking.jobs import TaskJobs


class TaskIdParams(RequestParams):
    task_id: str


class UpdateParams(RequestParams):
    task_id: str
    input_responses: dict[str, Any] | None = None


class TasksExtension(Extension):
    identifier = EXTENSION_ID

    def __init__(self, redactor: Redactor, memory: TaskMemory) -> None:
        self._redactor = redactor
        self._memory = memory

    def methods(self) -> list[MethodBinding]:
        legacy = frozenset({LEGACY})
        return [
            MethodBinding("tasks/get", TaskIdParams, self._get, protocol_versions=TASK_VERSIONS),
            MethodBinding("tasks/cancel", TaskIdParams, self._cancel, protocol_versions=TASK_VERSIONS),
            MethodBinding("tasks/result", TaskIdParams, self._result, protocol_versions=legacy),
            MethodBinding("tasks/list", PaginatedRequestParams, self._list, protocol_versions=legacy),
            MethodBinding("tasks/update", UpdateParams, self._update, protocol_versions=MODERN),
        ]

    async def intercept_tool_call(
        self, params: CallToolRequestParams, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if params.name not in TASK_TOOLS or not _opted_in(ctx):
            return await call_next(ctx)
        with starting_task() as start:
            outcome = await call_next(ctx)  # it submits (or looks up) without waiting
        task = await (await self._jobs(ctx)).started(start)
        # No job started (a refusal, a dry run): the call's own answer, as without tasks.
        return outcome if task is None else {"resultType": "task", **task.as_created().modern()}

    async def _get(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> dict[str, Any]:
        jobs = await self._jobs(ctx)
        result, task = await jobs.look(params.task_id)
        if ctx.protocol_version == LEGACY:
            return task.legacy()
        answer = {"resultType": "complete", **task.modern()}
        if task.status == "completed":
            answer["result"] = await jobs.present(params.task_id, result)
        return answer

    async def _result(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> dict[str, Any]:
        result = await (await self._jobs(ctx)).final(params.task_id)
        meta = {**result.get("_meta", {}), RELATED_TASK: {"taskId": params.task_id}}
        return {**result, "_meta": meta}

    async def _list(
        self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams
    ) -> dict[str, Any]:
        tasks, cursor = await (await self._jobs(ctx)).page(params.cursor)
        answer: dict[str, Any] = {"tasks": [task.legacy() for task in tasks]}
        return answer if cursor is None else {**answer, "nextCursor": cursor}

    async def _cancel(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> dict[str, Any]:
        jobs = await self._jobs(ctx)
        result = await jobs.cancel(params.task_id)
        assert result.cancel is not None
        if ctx.protocol_version != LEGACY:
            # Cancelling is cooperative here: acknowledged; tasks/get says whether the job stopped
            # (or that the provider cannot stop it and it keeps running).
            return {}
        message = self._redactor.text(result.cancel.message)
        match result.cancel.outcome:
            case "canceled":
                return (await jobs.task(params.task_id, result)).legacy()
            case "unknown":
                raise MCPError(INTERNAL_ERROR, f"{message} (tasks/get shows whether it took)")
            case _:
                raise MCPError(INVALID_PARAMS, f"Cannot cancel task: {message}")

    async def _update(self, ctx: ServerRequestContext[Any, Any], params: UpdateParams) -> dict[str, Any]:
        # Our tasks never ask for input, so there is nothing to deliver: acknowledge a known task.
        await (await self._jobs(ctx)).look(params.task_id)
        return {}

    async def _jobs(self, ctx: ServerRequestContext[Any, Any]) -> TaskJobs:
        from wan_video_mcp.tasking.jobs import TaskJobs  # noqa: PLC0415  (the runtime's: off the start-up path)

        modern = ctx.protocol_version != LEGACY
        if modern:  # SEP-2663: tasks/* only for requests that declare the extension
            require_client_extension(ctx, EXTENSION_ID)
        return await TaskJobs.of(ctx, self._redactor, self._memory, modern=modern)


def _opted_in(ctx: ServerRequestContext[Any, Any]) -> bool:
    """SEP-2663: a task only for a request whose client capabilities name the extension."""
    capabilities = ctx.session.client_capabilities
    extensions = capabilities.extensions if capabilities else None
    return ctx.protocol_version in MODERN and bool(extensions) and EXTENSION_ID in (extensions or {})
