"""The MCP server: thin tools and the recent-tasks resources. The runtime behind them (HTTP
clients, journal, saver, background tasks: runtime.py) is built on first use (lifetime.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, unquote, urlparse

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.extension import Extension
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolResult,
    GetPromptResult,
    InputRequiredResult,
    ListResourcesResult,
    PaginatedRequestParams,
    Resource,
    ToolAnnotations,
)
from pydantic import AnyUrl

from wan_video_mcp import descriptions
from wan_video_mcp.callers import principal_of
from wan_video_mcp.errors import DownloadError
from wan_video_mcp.lifetime import LazyRuntime
from wan_video_mcp.logs import quiet_http_logs
from wan_video_mcp.params import EditVideoArgs, GetTaskArgs, ReferenceVideoArgs, ToolArguments, VaceEditArgs
from wan_video_mcp.params.schema import input_schema
from wan_video_mcp.player import player_extension, tool_meta
from wan_video_mcp.prompts import add_prompts
from wan_video_mcp.providers.registry import ProviderRegistry
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.settings import Settings
from wan_video_mcp.tasking import TaskMemory, TasksExtension, legacy_tasks
from wan_video_mcp.tasktools import task_tools
from wan_video_mcp.toolkit import define_tool, lazy_body
from wan_video_mcp.wire import stdio_wire

if TYPE_CHECKING:
    from anyio import AsyncFile

    from wan_video_mcp.journal import JournalRecord

RECENT_URI = "wan://tasks/recent"
RECENT_LIMIT = 50
RECENT_RESOURCE = Resource(
    uri=RECENT_URI,
    name="recent-tasks",
    title="Recent video tasks",
    description="The newest video tasks this server submitted or looked up, newest first (JSON).",
    mime_type="application/json",
)


class WanServer(MCPServer[LazyRuntime]):
    """MCPServer whose resource list also names each recent task, and which serves the saved
    videos its results link to (file:// URIs) through resources/read."""

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[LazyRuntime, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        if not str(uri).startswith("file:") or context is None:
            return await super().read_resource(uri, context)
        runtime = await context.request_context.lifespan_context.get()
        caller = principal_of(context.request_context.request)
        if not await runtime.service.may_read_file(unquote(urlparse(str(uri)).path), caller):
            raise ResourceNotFoundError(f"{str(uri)[:200]} is not a file of your tasks on this server.")
        try:
            data = await runtime.service.saver.read_saved(str(uri), runtime.settings.max_resource_bytes)
        except DownloadError as exc:
            raise ResourceNotFoundError(exc.message) from None
        mime_type = "image/jpeg" if str(uri).endswith(".jpg") else "video/mp4"
        return [ReadResourceContents(content=data, mime_type=mime_type)]

    async def run_stdio_async(self) -> None:
        """The SDK's own, with stdin read and stdout written in batches (wire.py)."""
        async with (
            stdio_wire() as (stdin, stdout),
            stdio_server(cast("AsyncFile[str]", stdin), cast("AsyncFile[str]", stdout)) as streams,
        ):
            options = self._lowlevel_server.create_initialization_options()
            await self._lowlevel_server.run(*streams, options)

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[LazyRuntime, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        # An unknown tool is a protocol error (the spec's -32602), not a failed call.
        if self._tool_manager.get_tool(name) is None:
            raise MCPError(INVALID_PARAMS, f"Unknown tool: {name[:100]}")
        return await super().call_tool(name, arguments, context)

    async def get_prompt(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        context: Context[LazyRuntime, Any] | None = None,
    ) -> GetPromptResult | InputRequiredResult:
        if self._prompt_manager.get_prompt(name) is None:
            raise MCPError(INVALID_PARAMS, f"Unknown prompt: {name[:100]}")
        return await super().get_prompt(name, arguments, context)

    async def _handle_list_resources(
        self, ctx: ServerRequestContext[LazyRuntime], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        listed = await super()._handle_list_resources(ctx, params)
        listed.resources.append(RECENT_RESOURCE)
        service = (await ctx.lifespan_context.get()).service
        records = await service.journal.recent(RECENT_LIMIT, service.viewer(principal_of(ctx.request)))
        listed.resources.extend(_task_resource(record) for record in records if record.handle)
        return listed


def build_server(settings: Settings) -> WanServer:
    registry = ProviderRegistry(settings)
    redactor = settings.redactor()

    @asynccontextmanager
    async def lifespan(_: MCPServer[LazyRuntime]) -> AsyncGenerator[LazyRuntime]:
        runtime = LazyRuntime(settings, registry)
        async with anyio.create_task_group() as tg:
            tg.start_soon(runtime.keep)
            yield runtime
            runtime.close()

    # Every tool's result can be shown in the inline player (hosts without MCP Apps ignore it).
    meta = tool_meta() if settings.player else None
    tools = [
        _generating_tool(ReferenceVideoArgs, registry, redactor, "Generate a video from references", meta),
        _generating_tool(EditVideoArgs, registry, redactor, "Edit a video from an instruction", meta),
        _generating_tool(VaceEditArgs, registry, redactor, "VACE video editing (5 functions)", meta),
        define_tool(
            name="get_task",
            title="Get (and wait for) a video task",
            description=descriptions.GET_TASK,
            input_schema=input_schema(GetTaskArgs),
            annotations=ToolAnnotations(
                title="Get a video task", read_only_hint=True, idempotent_hint=True, open_world_hint=True
            ),
            body=lazy_body("get_task"),
            redactor=redactor,
            meta=meta,
        ),
        *task_tools(redactor, meta),
    ]
    quiet_http_logs(settings.log_level)
    memory = TaskMemory()  # what this process knows about the MCP tasks it started
    server = WanServer(
        "wan-video-mcp",
        title="Wan video (r2v, videoedit, VACE)",
        instructions=descriptions.INSTRUCTIONS,
        version=descriptions.VERSION,
        tools=tools,
        lifespan=lifespan,
        log_level=settings.log_level,
        extensions=_extensions(settings, registry, redactor, memory),
        middleware=[legacy_tasks(redactor, memory)],
    )
    _add_resources(server)
    add_prompts(server)
    return server


def _extensions(
    settings: Settings, registry: ProviderRegistry, redactor: Redactor, memory: TaskMemory
) -> list[Extension]:
    player = [player_extension(settings, registry.base_urls())] if settings.player else []
    return [*player, TasksExtension(redactor, memory)]


def _generating_tool(
    model: type[ToolArguments],
    registry: ProviderRegistry,
    redactor: Redactor,
    title: str,
    meta: dict[str, Any] | None,
) -> Any:
    return define_tool(
        name=model.tool,
        title=title,
        description=descriptions.TOOLS[model.tool],
        input_schema=input_schema(model, registry.offering(model.model)),
        annotations=ToolAnnotations(
            title=title,
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=False,
            open_world_hint=True,
        ),
        body=lazy_body("generate", model),
        redactor=redactor,
        meta=meta,
    )


def _add_resources(server: WanServer) -> None:
    # A template (with an optional ?limit=) rather than a static resource, because only
    # templates receive the request context; resources/list names the plain URI.
    @server.resource(
        RECENT_URI + "{?limit}",
        name="recent-tasks",
        title="Recent video tasks",
        description="The newest video tasks, newest first (JSON); ?limit=N for more or fewer (default 50).",
        mime_type="application/json",
    )
    async def recent_tasks(ctx: Context[LazyRuntime, Any], limit: int = RECENT_LIMIT) -> str:
        service = (await ctx.request_context.lifespan_context.get()).service
        viewer = service.viewer(principal_of(ctx.request_context.request))
        records = await service.journal.recent(max(1, min(limit, 500)), viewer)
        return json.dumps([_task_json(record) for record in records], indent=2)

    @server.resource(
        "wan://tasks/{provider}/{task_id}",
        name="task",
        title="One video task",
        description="Everything the journal knows about one task (JSON).",
        mime_type="application/json",
    )
    async def task(provider: str, task_id: str, ctx: Context[LazyRuntime, Any]) -> str:
        handle = f"{provider}:{unquote(task_id)}"  # ids are percent-encoded in the URI (see _task_resource)
        service = (await ctx.request_context.lifespan_context.get()).service
        record = await service.journal.get(handle)
        if record is None or not service.visible(record, principal_of(ctx.request_context.request)):
            raise ResourceNotFoundError(
                f"No task {handle[:120]!r} in this server's journal; list_tasks (or wan://tasks/recent) "
                "lists those it has."
            )
        return json.dumps(_task_json(record), indent=2)

    del recent_tasks, task  # registered by the decorators


def _task_resource(record: JournalRecord) -> Resource:
    assert record.handle is not None
    provider, _, task_id = record.handle.partition(":")
    prompt = str(record.params.get("prompt", ""))[:60]
    return Resource(
        uri=f"wan://tasks/{provider}/{quote(task_id, safe='')}",
        name=record.handle,
        title=f"{record.state} · {record.model} · {prompt}".rstrip(" ·"),
        mime_type="application/json",
    )


def _task_json(record: JournalRecord) -> dict[str, Any]:
    data = record.model_dump(mode="json", exclude={"id", "fingerprint"})
    data["task_id"] = data.pop("handle")
    if record.outcome_unknown:
        data["state"] = "submit_unknown"
    if record.handle and record.state in ("queued", "running"):
        data["continue_with"] = {"tool": "get_task", "arguments": {"task_id": record.handle}}
    return data
