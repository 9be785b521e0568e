"""Our jobs seen as MCP tasks, for both protocol generations: the task for a handle (or for
a submit whose outcome is unknown), what its result is, cancelling it, and listing them.

Everything is read from the journal and the provider on each request -- nothing is kept in
memory -- so a task survives restarts and any replica sharing the journal answers for it."""

from __future__ import annotations

from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, CallToolResult

from wan_video_mcp.calls import Call, TaskStart
from wan_video_mcp.cancelling import Canceller
from wan_video_mcp.errors import ProviderError, WanError
from wan_video_mcp.journal import JournalRecord
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.results import LiveFacts, headline, is_failure, task_result
from wan_video_mcp.service import VideoService
from wan_video_mcp.tasking.wire import McpTask, Status
from wan_video_mcp.tasks import TaskResult
from wan_video_mcp.toolkit import redacted

# A submit whose outcome is unknown has no handle; its task is named by its journal row.
UNKNOWN_PREFIX = "submit-unknown:"
PAGE_SIZE = 50
MAX_LISTED = 1000
DAY_MS = 86_400_000


class TaskJobs:
    def __init__(self, ctx: ServerRequestContext[Any, Any], redactor: Redactor, modern: bool) -> None:
        self._call = Call.of_request(ctx)
        self._redactor = redactor
        # 2026-07-28 reports a job that failed as a completed task whose result is an error;
        # 2025-11-25 as a failed task (a tool result with isError fails the task).
        self._modern = modern

    @property
    def _service(self) -> VideoService:
        return self._call.service

    async def started(self, start: TaskStart) -> McpTask | None:
        """The task a tool call just started, or None when it started no job (a refusal, a dry run)."""
        result = start.result
        if result is None or result.status == "dry_run":
            return None
        task_id = result.task_id
        if task_id is None and result.status == "submit_unknown" and result.journal_row:
            task_id = f"{UNKNOWN_PREFIX}{result.journal_row}"
        return None if task_id is None else await self.task(task_id, result)

    async def look(self, task_id: str) -> tuple[TaskResult, McpTask]:
        """The task as it stands now (one status query to the provider while it runs)."""
        result = await self._current(task_id, 0.0)
        return result, await self.task(task_id, result)

    async def final(self, task_id: str) -> CallToolResult:
        """What the tool returns once the task is terminal, waiting for that."""
        wait = self._call.wait_seconds(None)
        result = await self._current(task_id, wait)
        while not self._settled(task_id, result):
            result = await self._current(task_id, wait)
        await self.task(task_id, result)  # an id nobody knows is not found, not an expired task
        return await self.present(result)

    async def present(self, result: TaskResult) -> CallToolResult:
        """The result exactly as the generating tool presents it."""
        presented = await self._call.present(result, self._call.wait_seconds(None))
        return redacted(presented, self._redactor)

    async def cancel(self, task_id: str) -> TaskResult:
        """Cancel at the provider; an MCPError saying so when it cannot be cancelled."""
        if task_id.startswith(UNKNOWN_PREFIX):
            await self._unknown_submit(task_id)
            raise MCPError(
                INVALID_PARAMS,
                "Cannot cancel task: it has already failed (whether the provider received the submit is "
                "unknown; its result says what to do).",
            )
        try:
            result = await Canceller(self._service, self._service.transport).cancel(task_id, self._principal)
        except WanError as exc:
            raise _protocol_error(exc, self._redactor) from None
        assert result.cancel is not None
        if result.cancel.outcome in ("canceled", "unknown"):
            return result
        # The provider's own words are in the message: no key leaves in them either.
        raise MCPError(INVALID_PARAMS, self._redactor.text(f"Cannot cancel task: {result.cancel.message}"))

    async def page(self, cursor: str | None) -> tuple[list[McpTask], str | None]:
        """One page of the caller's tasks, newest first, as last seen (no provider query)."""
        start = _offset(cursor)
        viewer = self._service.viewer(self._principal)
        records = await self._service.journal.recent(min(start + PAGE_SIZE + 1, MAX_LISTED + 1), viewer)
        listed = [task for record in records[start : start + PAGE_SIZE] if (task := self._listed(record))]
        more = len(records) > start + PAGE_SIZE and start + PAGE_SIZE < MAX_LISTED
        return listed, str(start + PAGE_SIZE) if more else None

    @property
    def _principal(self) -> str | None:
        return self._call.caller.principal

    def _settled(self, task_id: str, result: TaskResult) -> bool:
        return result.done and not self._service.saving(task_id)

    async def _current(self, task_id: str, wait: float) -> TaskResult:
        if task_id.startswith(UNKNOWN_PREFIX):
            return task_result(await self._unknown_submit(task_id), LiveFacts())
        try:
            return await self._service.get_task(task_id, wait, None, self._principal)
        except WanError as exc:
            raise _protocol_error(exc, self._redactor) from None

    async def _unknown_submit(self, task_id: str) -> JournalRecord:
        row = task_id.removeprefix(UNKNOWN_PREFIX)
        record = await self._service.journal.get_row(int(row)) if row.isdigit() else None
        if record is None or not record.outcome_unknown or not self._service.visible(record, self._principal):
            raise _not_found(task_id)
        return record

    async def task(self, task_id: str, result: TaskResult) -> McpTask:
        if task_id.startswith(UNKNOWN_PREFIX):
            record = await self._unknown_submit(task_id)
        else:
            record = await self._service.journal.get(task_id)
        if record is None:  # a handle the provider does not know either: nothing was adopted
            raise _not_found(task_id)
        return self._as_task(task_id, result, record)

    def _listed(self, record: JournalRecord) -> McpTask | None:
        task_id = record.handle or (f"{UNKNOWN_PREFIX}{record.id}" if record.outcome_unknown else None)
        if task_id is None:  # refused, or still being submitted
            return None
        return self._as_task(task_id, task_result(record, LiveFacts()), record)

    def _as_task(self, task_id: str, result: TaskResult, record: JournalRecord) -> McpTask:
        settings = self._service.settings
        interval = settings.poll_max_seconds or self._service.registry.get(result.provider).poll_interval
        days = settings.journal_retention_days
        return McpTask(
            task_id=task_id,
            status=self._status(task_id, result),
            message=self._redactor.text(self._message(task_id, result)),
            created_at=record.submitted_at,
            updated_at=record.updated_at,
            ttl_ms=round(days * DAY_MS) if days else None,
            poll_ms=round(interval * 1000),
        )

    def _status(self, task_id: str, result: TaskResult) -> Status:
        if result.status in ("queued", "running") or self._service.saving(task_id):
            return "working"  # a video being saved is not a result yet: the tool's result has the file
        if result.status == "canceled":
            return "cancelled"
        return "failed" if is_failure(result) and not self._modern else "completed"

    def _message(self, task_id: str, result: TaskResult) -> str:
        if result.cancel is not None:
            return f"{result.cancel.message} {headline(result)}"
        if result.status == "succeeded" and self._service.saving(task_id):
            return f"The video is ready and being saved; the result follows. {headline(result)}"
        return headline(result)


def _protocol_error(exc: WanError, redactor: Redactor) -> MCPError:
    """A refusal as a JSON-RPC error (tasks/* answers have no isError)."""
    code = INTERNAL_ERROR if isinstance(exc, ProviderError) else INVALID_PARAMS
    return MCPError(code, redactor.text(exc.message))


def _not_found(task_id: str) -> MCPError:
    return MCPError(
        INVALID_PARAMS,
        f"Task not found: {task_id[:120]!r} is not a task of yours on this server (tasks/list, or the "
        "list_tasks tool, lists them).",
    )


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or int(cursor) > MAX_LISTED:
        raise MCPError(INVALID_PARAMS, "Invalid cursor: pass the nextCursor of the previous tasks/list.")
    return int(cursor)
