"""Register a tool whose input schema is one of our pydantic models, validated by us.

`MCPServer` derives a tool's schema from a function signature and validates with
its own messages. Our tools have one model per tool (the model's own parameters),
cross-field rules, and error messages written for the model to act on, so the tool
is built directly: the advertised `inputSchema` is the model's schema, the SDK
passes the raw arguments through, and `params.parsing` validates them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ConfigDict

from wan_video_mcp.errors import WanError
from wan_video_mcp.params.schema import result_schema
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.tasks import TaskResult

ToolBody = Callable[[dict[str, Any], Context[Any, Any]], Awaitable[CallToolResult]]


class PassThroughArguments(ArgModelBase):
    """Accepts any arguments and hands them over untouched as `arguments`."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


def lazy_body(name: str, *leading: Any) -> ToolBody:
    """The body `toolcalls.<name>(*leading, arguments, ctx)`, imported on the first call: the
    tool definitions (and so tools/list) need none of the runtime."""

    async def body(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
        from wan_video_mcp import toolcalls  # noqa: PLC0415  (off the start-up path)

        run: Callable[..., Awaitable[CallToolResult]] = getattr(toolcalls, name)
        return await run(*leading, arguments, ctx)

    return body


def define_tool(
    *,
    name: str,
    title: str,
    description: str,
    input_schema: dict[str, Any],
    annotations: ToolAnnotations,
    body: ToolBody,
    redactor: Redactor,
    meta: dict[str, Any] | None = None,
    output_model: type[BaseModel] = TaskResult,
) -> Tool:
    async def run(arguments: dict[str, Any], ctx: Context[Any, Any]) -> CallToolResult:
        try:
            result = await body(arguments, ctx)
        except WanError as exc:
            # Expected failures become an isError result whose text says what to do next.
            result = CallToolResult(content=[TextContent(type="text", text=exc.message)], is_error=True)
        return redacted(result, redactor)

    run.__name__ = name
    return Tool(
        fn=run,
        name=name,
        title=title,
        description=description,
        parameters=input_schema,
        fn_metadata=FuncMetadata(
            arg_model=PassThroughArguments,
            output_model=output_model,
            output_schema=result_schema(output_model),
        ),
        is_async=True,
        context_kwarg="ctx",
        annotations=annotations,
        meta=meta,
    )


def redacted(result: CallToolResult, redactor: Redactor) -> CallToolResult:
    """The last gate before the caller: no key leaves in any text or structured field."""
    data = redactor.deep(result.model_dump(mode="json", by_alias=True, exclude_none=True))
    return CallToolResult.model_validate(data)
