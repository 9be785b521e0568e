"""The `get_task` tool's arguments."""

from __future__ import annotations

from pydantic import Field

from wan_video_mcp.params.common import StrictArguments

TASK_ID_DESCRIPTION = (
    'The handle a generating tool returned, "<provider>:<provider task id>", e.g. '
    '"dashscope:0385dc79-5ff8-4d82-bcb6-4d8e1a2b3c4d".'
)


class GetTaskArgs(StrictArguments):
    # No pattern here: a handle with stray spaces or a capitalised provider is read kindly,
    # and a wrong one gets an explanation rather than a regular expression (tasks.TaskHandle).
    task_id: str = Field(min_length=3, max_length=300, description=TASK_ID_DESCRIPTION)
    wait_seconds: float | None = Field(
        None,
        ge=0,
        le=3600,
        description=(
            "Seconds to wait for the end before returning the current status (0: fresh status at once). "
            "Omit: the server picks a wait your client will not time out on."
        ),
    )
