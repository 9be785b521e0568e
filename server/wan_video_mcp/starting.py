"""A tool call that starts an MCP task (tasking/): it submits or looks up without waiting and
hands its result over; calls.py reads the flag. Light, so the tasks code registers without
importing the runtime."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wan_video_mcp.tasks import TaskResult


@dataclass
class TaskStart:
    """A tool call that starts an MCP task (tasking/): it submits or looks up without waiting,
    and leaves its result here for the task to be made from."""

    result: TaskResult | None = None


# Set for the one request that starts a task. Work spawned during it inherits the context: only
# `Call.wait_seconds` and `Call.present` read it, and background work (saving a video) uses neither.
STARTING: ContextVar[TaskStart | None] = ContextVar("wan_task_start", default=None)


@contextmanager
def starting_task() -> Generator[TaskStart]:
    slot = TaskStart()
    token = STARTING.set(slot)
    try:
        yield slot
    finally:
        STARTING.reset(token)
