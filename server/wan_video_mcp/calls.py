"""One tool call's view of its request: who is calling (callers.py), how long the call
may wait, and how its result is presented -- the bridge between the MCP request context
and the service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context
from mcp_types import CallToolResult

from wan_video_mcp.callers import Caller, caller_from
from wan_video_mcp.preview import Previewer
from wan_video_mcp.results import View, render
from wan_video_mcp.service import VideoService
from wan_video_mcp.settings import Settings
from wan_video_mcp.tasks import TaskResult
from wan_video_mcp.waiting import ProgressSink


@dataclass
class Runtime:
    """What lives as long as the server: its settings and its service."""

    settings: Settings
    service: VideoService
    previewer: Previewer


@dataclass(frozen=True)
class Call:
    runtime: Runtime
    caller: Caller
    progress: ProgressSink

    @classmethod
    def of(cls, ctx: Context[Any, Any]) -> Call:
        request = ctx.request_context
        params = request.session.client_params
        name = params.client_info.name if params is not None else None
        return cls(request.lifespan_context, caller_from(name, request.meta), _progress_sink(ctx))

    @property
    def service(self) -> VideoService:
        return self.runtime.service

    def wait_seconds(self, asked: float | None) -> float:
        return self.caller.wait_seconds(asked, self.runtime.settings.wait_seconds)

    async def present(self, result: TaskResult, wait_seconds: float, lookup: bool = False) -> CallToolResult:
        size = await self.service.saver.size_of_saved(result.local_file) if result.local_file else None
        linkable = size is not None and size <= self.runtime.settings.max_resource_bytes
        result, sheet = await self._with_preview(result) if size is not None else (result, None)
        view = View(wait_seconds, link_file=linkable and self.caller.wants_links, lookup=lookup, sheet=sheet)
        return render(result, view)

    async def _with_preview(self, result: TaskResult) -> tuple[TaskResult, bytes | None]:
        """A succeeded result with its saved video's properties, contact sheet and notes."""
        if result.status != "succeeded" or result.local_file is None or result.task_id is None:
            return result, None
        record = await self.service.journal.get(result.task_id)
        preview = await self.runtime.previewer.preview(
            Path(result.local_file), record.params if record else {}
        )
        sheet = str(preview.sheet_path) if preview.sheet_path else None
        update = {"video": preview.video, "contact_sheet": sheet, "notes": [*result.notes, *preview.notes]}
        return result.model_copy(update=update), preview.sheet


def _progress_sink(ctx: Context[Any, Any]) -> ProgressSink:
    # One call reports uploads, then the wait; the spec wants each value above the last.
    last = [-1.0]

    async def send(progress: float, total: float | None, message: str) -> None:
        if progress <= last[0]:
            return
        last[0] = progress
        # A no-op unless the client sent a progressToken with this call.
        await ctx.report_progress(progress, total, message)

    return send
