"""What this process remembers about tasks beyond the journal: what the call that started a
task knew (notes on its arguments, that it reused an identical job), what a cancel said, and
the answers that were never jobs (a dry run through a client that makes every call a task).

Bounded and in memory: after a restart a task is still answered in full from the journal and
the provider, without these extras."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from wan_video_mcp.tasks import TaskResult

REMEMBERED = 1000
ANSWER_PREFIX = "answer:"


@dataclass(frozen=True)
class Answer:
    """A dry run's answer, kept as a completed task's result for the caller who asked."""

    result: TaskResult
    wire: dict[str, Any]
    caller: str | None
    at: datetime


@dataclass(frozen=True)
class StartFacts:
    reused: bool
    notes: tuple[str, ...]


V = TypeVar("V")


class Bounded(Generic[V]):
    """The newest `REMEMBERED` entries."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, V] = OrderedDict()

    def put(self, key: str, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > REMEMBERED:
            self._entries.popitem(last=False)

    def get(self, key: str) -> V | None:
        return self._entries.get(key)


class TaskMemory:
    def __init__(self) -> None:
        self._starts = Bounded[StartFacts]()
        self._cancels = Bounded[str]()
        self._answers = Bounded[Answer]()

    def started(self, task_id: str, result: TaskResult) -> None:
        if self._starts.get(task_id) is not None:
            return  # an identical call reusing the task: the task stays what its first call made it
        # What the call said about the moment (a failed query, a save under way) goes stale.
        from wan_video_mcp.results import MOMENTARY_NOTES  # noqa: PLC0415  (the runtime's)

        notes = tuple(note for note in result.notes if not note.startswith(MOMENTARY_NOTES))
        self._starts.put(task_id, StartFacts(result.reused, notes))

    def with_start_facts(self, task_id: str, result: TaskResult) -> TaskResult:
        """`result` with what its starting call said (as that call's own result would have)."""
        facts = self._starts.get(task_id)
        if facts is None:
            return result
        later = [note for note in result.notes if note not in facts.notes]
        return result.model_copy(
            update={"reused": facts.reused or result.reused, "notes": [*facts.notes, *later]}
        )

    def cancelled(self, task_id: str, message: str) -> None:
        self._cancels.put(task_id, message)

    def cancel_note(self, task_id: str) -> str | None:
        return self._cancels.get(task_id)

    def answered(self, answer: Answer) -> str:
        """An id for an answer that is not a job (a dry run), kept to be fetched as a task's result."""
        task_id = f"{ANSWER_PREFIX}{secrets.token_urlsafe(16)}"
        self._answers.put(task_id, answer)
        return task_id

    def answer(self, task_id: str) -> Answer | None:
        return self._answers.get(task_id)
