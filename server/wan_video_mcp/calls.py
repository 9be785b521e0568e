"""One tool call's view of its request: who is calling (callers.py), how long the call
may wait, and how its result is presented -- the bridge between the MCP request context
and the service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp.server.apps import client_supports_apps
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context
from mcp_types import CallToolResult

from wan_video_mcp.callers import Caller, caller_from
from wan_video_mcp.errors import DownloadError
from wan_video_mcp.lifetime import LazyRuntime
from wan_video_mcp.preview import Preview, Previewer
from wan_video_mcp.results import View, render
from wan_video_mcp.service import VideoService
from wan_video_mcp.settings import Settings
from wan_video_mcp.starting import STARTING
from wan_video_mcp.tasks import TaskResult
from wan_video_mcp.waiting import ProgressSink

# A video that is not being saved is fetched for its contact sheet within this time.
UNSAVED_FETCH_SECONDS = 30.0


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
    progress: ProgressSink | None

    @classmethod
    async def of(cls, ctx: Context[Any, Any]) -> Call:
        return await cls.of_request(ctx.request_context, _progress_sink(ctx))

    @classmethod
    async def of_request(
        cls, request: ServerRequestContext[Any, Any], progress: ProgressSink | None = None
    ) -> Call:
        params = request.session.client_params
        name = params.client_info.name if params is not None else None
        caller = caller_from(name, request.meta, client_supports_apps(request), request.request)
        lazy: LazyRuntime = request.lifespan_context
        return cls(await lazy.get(), caller, progress)

    @property
    def service(self) -> VideoService:
        return self.runtime.service

    def wait_seconds(self, asked: float | None) -> float:
        if STARTING.get() is not None:
            return 0.0  # the task is the wait
        return self.caller.wait_seconds(asked, self.runtime.settings.wait_seconds)

    async def present(self, result: TaskResult, wait_seconds: float, lookup: bool = False) -> CallToolResult:
        if (start := STARTING.get()) is not None:
            start.result = result
            if result.task_id is not None or result.status == "submit_unknown":
                # It becomes a task: its result is presented (priced, previewed) when fetched.
                return render(result, View(wait_seconds))
        size = await self.service.saver.size_of_saved(result.local_file) if result.local_file else None
        linkable = size is not None and size <= self.runtime.settings.max_resource_bytes
        result = self.service.spending.priced(result)
        result, sheet = await self._with_preview(result)
        view = View(wait_seconds, link_file=linkable and self.caller.wants_links, lookup=lookup, sheet=sheet)
        return render(result, view)

    async def _with_preview(self, result: TaskResult) -> tuple[TaskResult, bytes | None]:
        """A succeeded result with its video's properties, contact sheet and notes: from the
        saved file, or (when videos are not saved) a bounded temporary copy of the provider's."""
        if result.status != "succeeded" or result.task_id is None:
            return result, None
        # Not saved yet (a save still running in the background): the next result has it.
        settings = self.runtime.settings
        unsaved = result.local_file is None and not settings.download and settings.sheet_frames > 0
        if result.local_file is None and not (unsaved and result.video_url):
            return result, None
        record = await self.service.journal.get(result.task_id)
        request = record.params if record else {}
        try:
            preview = await self._preview_of(result, request)
        except DownloadError as exc:
            preview = Preview(notes=[f"No contact sheet: the video could not be fetched ({exc.message})."])
        sheet = str(preview.sheet_path) if preview.sheet_path else None
        update = {"video": preview.video, "contact_sheet": sheet, "notes": [*result.notes, *preview.notes]}
        return result.model_copy(update=update), preview.sheet

    async def _preview_of(self, result: TaskResult, request: dict[str, Any]) -> Preview:
        saver, previewer = self.service.saver, self.runtime.previewer
        if result.local_file and await saver.size_of_saved(result.local_file) is not None:
            return await previewer.preview(Path(result.local_file), request)
        assert result.video_url is not None
        async with saver.fetched(result.video_url, UNSAVED_FETCH_SECONDS) as copy:
            return await previewer.preview(copy, request, keep=False)


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
