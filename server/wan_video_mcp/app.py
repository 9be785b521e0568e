"""The MCP server: thin tools, the recent-tasks resources, and the runtime
(HTTP client, journal, saver, background tasks) that lives as long as the server."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any
from urllib.parse import quote, unquote, urlparse

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.extension import Extension
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
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
from wan_video_mcp.calls import Call, Runtime
from wan_video_mcp.costs.spending import Spending
from wan_video_mcp.downloads import VideoSaver
from wan_video_mcp.errors import DownloadError
from wan_video_mcp.journal import JournalRecord, open_journal
from wan_video_mcp.linkguard import LinkGuard
from wan_video_mcp.logs import quiet_http_logs
from wan_video_mcp.params import (
    EditVideoArgs,
    GeneratingArgs,
    GetTaskArgs,
    ReferenceVideoArgs,
    ToolArguments,
    VaceEditArgs,
)
from wan_video_mcp.params.parsing import parse_arguments
from wan_video_mcp.params.schema import input_schema
from wan_video_mcp.player import player_extension, tool_meta
from wan_video_mcp.preview import Previewer
from wan_video_mcp.prompts import add_prompts
from wan_video_mcp.providers import ProviderRegistry, ProviderTransport
from wan_video_mcp.providers.transport import build_http_client
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.retention import keep_journal_tidy
from wan_video_mcp.service import VideoService
from wan_video_mcp.settings import Settings
from wan_video_mcp.staging import Stager
from wan_video_mcp.tasking import TaskMemory, TasksExtension, legacy_tasks
from wan_video_mcp.tasktools import task_tools
from wan_video_mcp.toolkit import define_tool

RECENT_URI = "wan://tasks/recent"
RECENT_LIMIT = 50
RECENT_RESOURCE = Resource(
    uri=RECENT_URI,
    name="recent-tasks",
    title="Recent video tasks",
    description="The newest video tasks this server submitted or looked up, newest first (JSON).",
    mime_type="application/json",
)


@asynccontextmanager
async def open_runtime(
    settings: Settings, registry: ProviderRegistry | None = None
) -> AsyncGenerator[Runtime]:
    registry = registry or ProviderRegistry(settings)
    redactor = settings.redactor()
    journal = await open_journal(settings, redactor)
    saver = VideoSaver(
        settings.output_dir,
        settings.max_download_bytes,
        guard=LinkGuard(registry.base_urls()),
        max_seconds=settings.download_timeout_seconds,
    )
    await saver.sweep_partials()  # left by a process that died mid-download
    try:
        async with (
            AsyncExitStack() as stack,
            build_http_client(settings.http_timeout_seconds) as http,
            anyio.create_task_group() as tg,
        ):
            transport = ProviderTransport(http, redactor, settings.http_total_seconds)
            stager = Stager(settings, journal, transport, registry)
            spending = Spending.create(settings, journal)
            stack.push_async_callback(stager.aclose)
            service = VideoService(
                settings=settings,
                registry=registry,
                transport=transport,
                journal=journal,
                saver=saver,
                background=tg,
                stager=stager,
                spending=spending,
            )
            tg.start_soon(keep_journal_tidy, journal, settings.journal_retention_days)
            previewer = Previewer(settings.sheet_frames, settings.sheet_width, settings.sheet_max_kb * 1024)
            yield Runtime(settings, service, previewer)
            tg.cancel_scope.cancel()  # unfinished downloads restart on the next get_task
    finally:
        await saver.aclose()
        await journal.close()


class WanServer(MCPServer[Runtime]):
    """MCPServer whose resource list also names each recent task, and which serves the saved
    videos its results link to (file:// URIs) through resources/read."""

    async def read_resource(
        self, uri: AnyUrl | str, context: Context[Runtime, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        if not str(uri).startswith("file:") or context is None:
            return await super().read_resource(uri, context)
        runtime = context.request_context.lifespan_context
        caller = principal_of(context.request_context.request)
        if not await runtime.service.may_read_file(unquote(urlparse(str(uri)).path), caller):
            raise ResourceNotFoundError(f"{str(uri)[:200]} is not a file of your tasks on this server.")
        try:
            data = await runtime.service.saver.read_saved(str(uri), runtime.settings.max_resource_bytes)
        except DownloadError as exc:
            raise ResourceNotFoundError(exc.message) from None
        mime_type = "image/jpeg" if str(uri).endswith(".jpg") else "video/mp4"
        return [ReadResourceContents(content=data, mime_type=mime_type)]

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Runtime, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        # An unknown tool is a protocol error (the spec's -32602), not a failed call.
        if self._tool_manager.get_tool(name) is None:
            raise MCPError(INVALID_PARAMS, f"Unknown tool: {name[:100]}")
        return await super().call_tool(name, arguments, context)

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Runtime, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        if self._prompt_manager.get_prompt(name) is None:
            raise MCPError(INVALID_PARAMS, f"Unknown prompt: {name[:100]}")
        return await super().get_prompt(name, arguments, context)

    async def _handle_list_resources(
        self, ctx: ServerRequestContext[Runtime], params: PaginatedRequestParams | None
    ) -> ListResourcesResult:
        listed = await super()._handle_list_resources(ctx, params)
        listed.resources.append(RECENT_RESOURCE)
        service = ctx.lifespan_context.service
        records = await service.journal.recent(RECENT_LIMIT, service.viewer(principal_of(ctx.request)))
        listed.resources.extend(_task_resource(record) for record in records if record.handle)
        return listed


def build_server(settings: Settings) -> WanServer:
    registry = ProviderRegistry(settings)
    redactor = settings.redactor()

    @asynccontextmanager
    async def lifespan(_: MCPServer[Runtime]) -> AsyncGenerator[Runtime]:
        async with open_runtime(settings, registry) as runtime:
            yield runtime

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
            body=_get_task,
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
    async def body(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
        args: GeneratingArgs = parse_arguments(model, arguments)  # pyright: ignore[reportAssignmentType]
        call = Call.of(ctx)
        wait = call.wait_seconds(args.wait_seconds)
        result = await call.service.generate(args, call.progress, wait, call.caller.principal)
        return await call.present(result, wait)

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
        body=body,
        redactor=redactor,
        meta=meta,
    )


async def _get_task(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
    args = parse_arguments(GetTaskArgs, arguments)
    call = Call.of(ctx)
    wait = call.wait_seconds(args.wait_seconds)
    return await call.present(
        await call.service.get_task(args.task_id, wait, call.progress, call.caller.principal),
        wait,
        lookup=True,
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
    async def recent_tasks(ctx: Context[Runtime, Any], limit: int = RECENT_LIMIT) -> str:
        service = ctx.request_context.lifespan_context.service
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
    async def task(provider: str, task_id: str, ctx: Context[Runtime, Any]) -> str:
        handle = f"{provider}:{unquote(task_id)}"  # ids are percent-encoded in the URI (see _task_resource)
        service = ctx.request_context.lifespan_context.service
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
