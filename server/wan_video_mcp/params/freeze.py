"""Write `schemas.json`: the tools' input and output schemas, generated from the models.

    python -m wan_video_mcp.params.freeze

Run it after changing a tool's arguments or the result models; the suite fails until then.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from wan_video_mcp.listing import TaskList
from wan_video_mcp.params import (
    CancelTaskArgs,
    EditVideoArgs,
    GetTaskArgs,
    ListTasksArgs,
    ReferenceVideoArgs,
    VaceEditArgs,
)
from wan_video_mcp.params.schema import FROZEN_FILE, generated_input_schema, generated_result_schema
from wan_video_mcp.tasks import TaskResult

INPUTS: tuple[type[BaseModel], ...] = (
    ReferenceVideoArgs,
    EditVideoArgs,
    VaceEditArgs,
    GetTaskArgs,
    CancelTaskArgs,
    ListTasksArgs,
)
OUTPUTS: tuple[type[BaseModel], ...] = (TaskResult, TaskList)


def current_schemas() -> dict[str, dict[str, Any]]:
    inputs = {model.__name__: generated_input_schema(model) for model in INPUTS}
    return inputs | {model.__name__: generated_result_schema(model) for model in OUTPUTS}


def frozen_text(schemas: dict[str, dict[str, Any]]) -> str:
    return json.dumps(schemas, indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    target = Path(str(files("wan_video_mcp.params").joinpath(FROZEN_FILE)))
    target.write_text(frozen_text(current_schemas()), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
