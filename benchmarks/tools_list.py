"""`tools/list` size: bytes per input parameter, as served and as pydantic would write it.

Lists the tools through the real client and server (in one process: size does not depend
on the transport), then prints per tool the bytes a model reads (name, title,
description, input schema, annotations) and the output schema, and the totals per
input parameter. For comparison it also prints the same tools with pydantic's own
schemas (titles, `anyOf` with null, `$defs`, every description) -- what the SDK would
send without our compaction -- and the same tools with no description or title at all: the
floor the schemas' structure sets.

    python benchmarks/tools_list.py
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import anyio
from mcp import Client

from wan_video_mcp.app import build_server
from wan_video_mcp.listing import TaskList
from wan_video_mcp.settings import Settings
from wan_video_mcp.tasks import TaskResult

MODEL_FACING = ("name", "title", "description", "inputSchema", "annotations")


def size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


async def served_tools(folder: Path) -> list[dict[str, Any]]:
    settings = Settings.model_validate(
        {"dashscope_api_key": "sk-benchmark", "data_dir": folder / "data", "output_dir": folder / "videos"}
    )
    async with Client(build_server(settings)) as client:
        listed = await client.list_tools()
    return [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools]


def pydantic_output(tool: dict[str, Any]) -> dict[str, Any]:
    model = TaskList if tool["name"] == "list_tasks" else TaskResult
    return model.model_json_schema()


def report(tools: list[dict[str, Any]]) -> None:
    parameters = sum(len(tool["inputSchema"].get("properties", {})) for tool in tools)
    facing = sum(size({key: tool.get(key) for key in MODEL_FACING}) for tool in tools)
    output = sum(size(tool.get("outputSchema")) for tool in tools)
    total = size({"tools": tools})
    print(f"{'tool':26} {'params':>6} {'model reads':>11} {'output schema':>13}")
    for tool in tools:
        reads = size({key: tool.get(key) for key in MODEL_FACING})
        count = len(tool["inputSchema"].get("properties", {}))
        print(f"{tool['name']:26} {count:>6} {reads:>11} {size(tool.get('outputSchema')):>13}")
    print(f"tools/list result: {total / 1024:.1f} KB for {parameters} input parameters")
    print(
        f"  per input parameter: {total / parameters:.0f} B in all, "
        f"{facing / parameters:.0f} B read by the model"
    )
    print(f"  output schemas: {output / 1024:.1f} KB ({output / total:.0%} of the answer)")
    raw = [{**tool, "outputSchema": pydantic_output(tool)} for tool in tools]
    raw_total = size({"tools": raw})
    print(
        f"with pydantic's output schemas: {raw_total / 1024:.1f} KB, "
        f"{raw_total / parameters:.0f} B per parameter"
    )
    print(f"ratio served / pydantic's: {total / raw_total:.2f}")
    floor = size({"tools": [without_prose(tool) for tool in tools]})
    print(
        f"with no description or title anywhere (tools, parameters, results): {floor / parameters:.0f} B "
        "per parameter -- the floor set by the schemas' structure (enums, ranges, defaults, output schemas)"
    )


def without_prose(value: Any) -> Any:
    """`value` with every description and title taken out, at any depth (a parameter named
    "title" would go too; none is)."""
    if isinstance(value, dict):
        return {
            key: without_prose(item) for key, item in value.items() if key not in ("description", "title")
        }
    if isinstance(value, list):
        return [without_prose(item) for item in value]
    return value


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        report(await served_tools(Path(folder)))


if __name__ == "__main__":
    anyio.run(main)
