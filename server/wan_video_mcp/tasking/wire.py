"""An MCP task as each protocol generation spells it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from mcp_types.version import MODERN_PROTOCOL_VERSIONS

LEGACY = "2025-11-25"  # the first revision with tasks; earlier ones have none
MODERN = frozenset(MODERN_PROTOCOL_VERSIONS)
TASK_VERSIONS = frozenset({LEGACY, *MODERN})
EXTENSION_ID = "io.modelcontextprotocol/tasks"
RELATED_TASK = "io.modelcontextprotocol/related-task"
# The tools whose call may become a task: those that wait for a job.
TASK_TOOLS = frozenset({"generate_reference_video", "edit_video", "vace_edit", "get_task"})

Status = Literal["working", "input_required", "completed", "failed", "cancelled"]


@dataclass(frozen=True)
class McpTask:
    task_id: str
    status: Status
    message: str
    created_at: datetime
    updated_at: datetime
    ttl_ms: int | None  # how long the task is kept (journal retention); None: for ever
    poll_ms: int  # the provider's recommended interval between status queries

    @property
    def terminal(self) -> bool:
        return self.status in ("completed", "failed", "cancelled")

    def as_created(self) -> McpTask:
        """As a create answer gives it: tasks begin `working` (the first tasks/get has the truth)."""
        return replace(self, status="working") if self.terminal else self

    def legacy(self) -> dict[str, Any]:
        """2025-11-25's Task."""
        return {**self._common(), "ttl": self.ttl_ms, "pollInterval": self.poll_ms}

    def modern(self) -> dict[str, Any]:
        """SEP-2663's Task (2026-07-28)."""
        return {**self._common(), "ttlMs": self.ttl_ms, "pollIntervalMs": self.poll_ms}

    def _common(self) -> dict[str, Any]:
        return {
            "taskId": self.task_id,
            "status": self.status,
            "statusMessage": self.message,
            "createdAt": _iso(self.created_at),
            "lastUpdatedAt": _iso(self.updated_at),
        }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
