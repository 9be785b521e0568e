"""The extension `io.modelcontextprotocol/tasks` (SEP-2663, protocol 2026-07-28), and the
`tasks/*` methods of both generations.

2026-07-28: a client opts in per request (the extension in the request's client
capabilities); a task tool's call then answers `resultType: "task"` with the task, and
`tasks/get` carries the tool's result inline once completed. 2025-11-25 (legacy.py starts
those tasks): `tasks/get`, the blocking `tasks/result`, `tasks/list` and `tasks/cancel`."""

from __future__ import annotations

from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp_types import CallToolRequestParams, PaginatedRequestParams, RequestParams

from wan_video_mcp.calls import starting_task
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.tasking.jobs import TaskJobs
from wan_video_mcp.tasking.wire import EXTENSION_ID, LEGACY, MODERN, RELATED_TASK, TASK_TOOLS, TASK_VERSIONS


class TaskIdParams(RequestParams):
    task_id: str


class UpdateParams(RequestParams):
    task_id: str
    input_responses: dict[str, Any] | None = None


class TasksExtension(Extension):
    identifier = EXTENSION_ID

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor

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
        task = await self._jobs(ctx).started(start)
        # No job started (a refusal, a dry run): the call's own answer, as without tasks.
        return outcome if task is None else {"resultType": "task", **task.modern()}

    async def _get(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> dict[str, Any]:
        jobs = self._jobs(ctx)
        result, task = await jobs.look(params.task_id)
        if ctx.protocol_version == LEGACY:
            return task.legacy()
        answer = {"resultType": "complete", **task.modern()}
        if task.status == "completed":
            answer["result"] = _wire(await jobs.present(result))
        return answer

    async def _result(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> dict[str, Any]:
        result = _wire(await self._jobs(ctx).final(params.task_id))
        meta = {**result.get("_meta", {}), RELATED_TASK: {"taskId": params.task_id}}
        return {**result, "_meta": meta}

    async def _list(
        self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams
    ) -> dict[str, Any]:
        tasks, cursor = await self._jobs(ctx).page(params.cursor)
        answer: dict[str, Any] = {"tasks": [task.legacy() for task in tasks]}
        return answer if cursor is None else {**answer, "nextCursor": cursor}

    async def _cancel(self, ctx: ServerRequestContext[Any, Any], params: TaskIdParams) -> dict[str, Any]:
        jobs = self._jobs(ctx)
        result = await jobs.cancel(params.task_id)
        if ctx.protocol_version != LEGACY:
            return {}  # an acknowledgement; tasks/get shows the outcome
        return (await jobs.task(params.task_id, result)).legacy()

    async def _update(self, ctx: ServerRequestContext[Any, Any], params: UpdateParams) -> dict[str, Any]:
        # Our tasks never ask for input, so there is nothing to deliver: acknowledge a known task.
        await self._jobs(ctx).look(params.task_id)
        return {}

    def _jobs(self, ctx: ServerRequestContext[Any, Any]) -> TaskJobs:
        return TaskJobs(ctx, self._redactor, modern=ctx.protocol_version != LEGACY)


def _opted_in(ctx: ServerRequestContext[Any, Any]) -> bool:
    """SEP-2663: a task only for a request whose client capabilities name the extension."""
    capabilities = ctx.session.client_capabilities
    extensions = capabilities.extensions if capabilities else None
    return ctx.protocol_version in MODERN and bool(extensions) and EXTENSION_ID in (extensions or {})


def _wire(result: Any) -> dict[str, Any]:
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)
