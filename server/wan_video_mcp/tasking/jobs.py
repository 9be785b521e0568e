"""Our jobs seen as MCP tasks, for both protocol generations: the task for a handle (or for
a submit whose outcome is unknown), its result, cancelling it, and listing them.

Each request reads the journal and the provider afresh, so a task survives restarts and any
replica sharing the journal answers for it; memory.py adds what only this process knows."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, CallToolResult

from wan_video_mcp.calls import Call
from wan_video_mcp.cancelling import Canceller
from wan_video_mcp.errors import ProviderError, WanError
from wan_video_mcp.journal import JournalRecord
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.results import LiveFacts, headline, is_failure, task_result
from wan_video_mcp.service import VideoService
from wan_video_mcp.starting import TaskStart
from wan_video_mcp.tasking.memory import ANSWER_PREFIX, Answer, TaskMemory
from wan_video_mcp.tasking.wire import McpTask, Status
from wan_video_mcp.tasks import CancelOutcome, TaskResult, utc_now
from wan_video_mcp.toolkit import redacted

# A submit whose outcome is unknown has no handle; its task is named by its journal row and a
# token only the journal knows (task ids must not be guessable).
UNKNOWN_PREFIX = "submit-unknown:"
PAGE_SIZE = 50
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
DAY_MS = 86_400_000
ANSWER_TTL_MS = 3_600_000
# tasks/result waits for the job in turns this long (its own wait, whatever the caller's).
RESULT_TURN_SECONDS = 50.0


class TaskJobs:
    def __init__(self, call: Call, redactor: Redactor, memory: TaskMemory, modern: bool) -> None:
        self._call = call
        self._redactor = redactor
        self._memory = memory
        # 2026-07-28 reports a job that failed as a completed task whose result is an error;
        # 2025-11-25 as a failed task (a tool result with isError fails the task).
        self._modern = modern

    @classmethod
    async def of(
        cls, ctx: ServerRequestContext[Any, Any], redactor: Redactor, memory: TaskMemory, modern: bool
    ) -> TaskJobs:
        return cls(await Call.of_request(ctx), redactor, memory, modern)

    @property
    def _service(self) -> VideoService:
        return self._call.service

    async def started(self, start: TaskStart, answer: dict[str, Any] | None = None) -> McpTask | None:
        """The task a tool call just started; None when it started none (a refusal; a dry run,
        unless its `answer` is to be kept as a task's result)."""
        result = start.result
        if result is not None and result.status == "dry_run" and answer is not None:
            kept = Answer(result, answer, self._principal, utc_now())
            return self._answer_task(self._memory.answered(kept), kept)
        task_id = None if result is None else await self._task_id_of(result)
        if result is None or task_id is None:
            return None
        self._memory.started(task_id, result)
        return await self.task(task_id, result)

    async def look(self, task_id: str) -> tuple[TaskResult, McpTask]:
        """The task as it stands now (one status query to the provider while it runs)."""
        if task_id.startswith(ANSWER_PREFIX):
            kept = self._answer(task_id)
            return kept.result, self._answer_task(task_id, kept)
        result = await self._current(task_id, 0.0)
        return result, await self.task(task_id, result)

    async def final(self, task_id: str) -> dict[str, Any]:
        """What the tool returns once the task is terminal, waiting for that (tasks/result)."""
        if task_id.startswith(ANSWER_PREFIX):
            return self._answer(task_id).wire
        while True:
            turn_began = anyio.current_time()
            record = await self._record_of(task_id)
            result = await self._current(task_id, RESULT_TURN_SECONDS)
            task = await self.task(task_id, result)  # an id nobody knows is not found
            if self._settled(task_id, result, record):
                return await self.present(task_id, result)
            # A turn can end at once (a Retry-After longer than the turn, a save still running):
            # never ask again sooner than the provider's interval.
            await anyio.sleep(max(0.0, task.poll_ms / 1000 - (anyio.current_time() - turn_began)))

    async def present(self, task_id: str, result: TaskResult) -> dict[str, Any]:
        """The result as the generating tool presents it (wire form)."""
        if task_id.startswith(ANSWER_PREFIX):
            return self._answer(task_id).wire
        result = self._memory.with_start_facts(task_id, result)
        presented = await self._call.present(result, self._call.wait_seconds(None))
        return _wire(redacted(presented, self._redactor))

    async def cancel(self, task_id: str) -> TaskResult:
        """The task after a cancel at its provider; `cancel` on it says what happened."""
        if task_id.startswith((UNKNOWN_PREFIX, ANSWER_PREFIX)):
            result, task = await self.look(task_id)
            return _cancelled(
                result, "already_finished", f"Nothing to cancel: the task is already {task.status}."
            )
        try:
            result = await Canceller(self._service, self._service.transport).cancel(task_id, self._principal)
        except WanError as exc:
            raise _protocol_error(exc, self._redactor) from None
        await self.task(task_id, result)  # an id nobody knows is not found
        assert result.cancel is not None
        if result.cancel.outcome != "canceled":
            self._memory.cancelled(task_id, self._redactor.text(result.cancel.message))
        return result

    async def page(self, cursor: str | None) -> tuple[list[McpTask], str | None]:
        """One page of the caller's tasks, newest first, as last seen (no provider query)."""
        viewer = self._service.viewer(self._principal)
        records = await self._service.journal.listing((), None, PAGE_SIZE + 1, viewer, _older_than(cursor))
        shown = records[:PAGE_SIZE]
        listed = [task for record in shown if (task := self._listed(record))]
        return listed, _cursor_after(shown[-1]) if len(records) > PAGE_SIZE else None

    async def task(self, task_id: str, result: TaskResult) -> McpTask:
        record = await self._record_of(task_id)
        if record is None:  # a handle the provider does not know either: nothing was adopted
            raise _not_found(task_id)
        return self._as_task(task_id, result, record)

    @property
    def _principal(self) -> str | None:
        return self._call.caller.principal

    def _answer(self, task_id: str) -> Answer:
        kept = self._memory.answer(task_id)
        if kept is None or (kept.caller is not None and kept.caller != self._principal):
            raise _not_found(task_id)  # also one this process no longer keeps (or never had)
        return kept

    async def _task_id_of(self, result: TaskResult) -> str | None:
        if result.task_id is not None or result.status != "submit_unknown" or not result.journal_row:
            return result.task_id
        record = await self._service.journal.get_row(result.journal_row)
        return None if record is None else _unknown_id(record)

    def _settled(self, task_id: str, result: TaskResult, record: JournalRecord | None) -> bool:
        return result.done and not self._first_save(task_id, record)

    def _first_save(self, task_id: str, record: JournalRecord | None) -> bool:
        """The video of a finished job is being saved for the first time: the result is not
        final yet (a retry after a failed save is: the task stays finished)."""
        return self._service.saving(task_id) and record is not None and not record.download_error

    async def _current(self, task_id: str, wait: float) -> TaskResult:
        if task_id.startswith(UNKNOWN_PREFIX):
            return task_result(await self._unknown_submit(task_id), LiveFacts())
        try:
            return await self._service.get_task(task_id, wait, None, self._principal)
        except WanError as exc:
            raise _protocol_error(exc, self._redactor) from None

    async def _record_of(self, task_id: str) -> JournalRecord | None:
        if task_id.startswith(UNKNOWN_PREFIX):
            return await self._unknown_submit(task_id)
        return await self._service.journal.get(task_id)

    async def _unknown_submit(self, task_id: str) -> JournalRecord:
        row, _, _ = task_id.removeprefix(UNKNOWN_PREFIX).partition(".")
        record = await self._service.journal.get_row(int(row)) if row.isdigit() else None
        if (
            record is None
            or not record.outcome_unknown
            or _unknown_id(record) != task_id
            or not self._service.visible(record, self._principal)
        ):
            raise _not_found(task_id)
        return record

    def _listed(self, record: JournalRecord) -> McpTask | None:
        task_id = record.handle or (_unknown_id(record) if record.outcome_unknown else None)
        if task_id is None:  # refused, or still being submitted
            return None
        return self._as_task(task_id, task_result(record, LiveFacts()), record)

    def _as_task(self, task_id: str, result: TaskResult, record: JournalRecord) -> McpTask:
        settings = self._service.settings
        interval = settings.poll_max_seconds or self._service.registry.get(result.provider).poll_interval
        days = settings.journal_retention_days
        return McpTask(
            task_id=task_id,
            status=self._status(task_id, result, record),
            message=self._redactor.text(self._message(task_id, result, record)),
            created_at=record.submitted_at,
            updated_at=record.updated_at,
            ttl_ms=round(days * DAY_MS) if days else None,
            poll_ms=round(interval * 1000),
        )

    def _answer_task(self, task_id: str, kept: Answer) -> McpTask:
        return McpTask(task_id, "completed", headline(kept.result), kept.at, kept.at, ANSWER_TTL_MS, 1000)

    def _status(self, task_id: str, result: TaskResult, record: JournalRecord) -> Status:
        if result.status in ("queued", "running") or self._first_save(task_id, record):
            return "working"  # the tool's result for a finished job has the saved file
        if result.status == "canceled":
            return "cancelled"
        return "failed" if is_failure(result) and not self._modern else "completed"

    def _message(self, task_id: str, result: TaskResult, record: JournalRecord) -> str:
        if result.cancel is not None:
            return f"{result.cancel.message} {headline(result)}"
        if not result.done and (note := self._memory.cancel_note(task_id)) is not None:
            return f"{note} {headline(result)}"
        if self._first_save(task_id, record):
            return f"The video is ready and being saved; the result follows. {headline(result)}"
        return headline(result)


def _cancelled(result: TaskResult, outcome: str, message: str) -> TaskResult:
    cancel = CancelOutcome(outcome=outcome, message=message)  # pyright: ignore[reportArgumentType]
    return result.model_copy(update={"cancel": cancel})


def _unknown_id(record: JournalRecord) -> str:
    # The same on every replica: microseconds since the epoch, whatever the database's time zone.
    secret = f"{record.id}|{record.fingerprint}|{_micros(record.submitted_at)}"
    return f"{UNKNOWN_PREFIX}{record.id}.{hashlib.sha256(secret.encode()).hexdigest()[:20]}"


def _protocol_error(exc: WanError, redactor: Redactor) -> MCPError:
    """A refusal as a JSON-RPC error (tasks/* answers have no isError)."""
    code = INTERNAL_ERROR if isinstance(exc, ProviderError) else INVALID_PARAMS
    return MCPError(code, redactor.text(exc.message))


def _not_found(task_id: str) -> MCPError:
    return MCPError(
        INVALID_PARAMS,
        f"Task not found: {task_id[:120]!r} is not a task of yours on this server (the list_tasks tool "
        "lists them).",
    )


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def _cursor_after(record: JournalRecord) -> str:
    """Where the next page starts: after this task (the journal's own order, so a task added
    meanwhile neither shifts nor repeats a page)."""
    return f"{_micros(record.submitted_at)}.{record.id}"


def _older_than(cursor: str | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    micros, _, row = cursor.partition(".")
    if not (micros.isdigit() and row.isdigit()) or len(micros) > 20:
        raise MCPError(INVALID_PARAMS, "Invalid cursor: pass the nextCursor of the previous tasks/list.")
    return EPOCH + int(micros) * MICROSECOND, int(row)


def _wire(result: CallToolResult) -> dict[str, Any]:
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)
