"""The `list_tasks` and `cancel_task` tools' arguments."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from wan_video_mcp.params.common import JsonInt, ModelName, StrictArguments
from wan_video_mcp.params.task import TASK_ID_DESCRIPTION

ListedStatus = Literal["queued", "running", "succeeded", "failed", "canceled", "expired", "submit_unknown"]


class ListTasksArgs(StrictArguments):
    status: ListedStatus | None = Field(default=None, description="Only tasks in this status. Omit for all.")
    model: ModelName | None = Field(default=None, description="Only tasks of this model. Omit for all.")
    limit: JsonInt = Field(
        default=20, ge=1, le=100, description="How many tasks at most, newest first (1-100)."
    )


class CancelTaskArgs(StrictArguments):
    task_id: str = Field(min_length=3, max_length=300, description=TASK_ID_DESCRIPTION)
