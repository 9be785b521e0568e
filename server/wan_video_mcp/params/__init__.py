"""Each tool's arguments as a pydantic model: the single source of the input schemas
and of every rule checked before a paid request."""

from wan_video_mcp.params.common import CALL_OPTION_FIELDS, ModelName, ToolArguments, ToolName
from wan_video_mcp.params.listing import CancelTaskArgs, ListTasksArgs
from wan_video_mcp.params.r2v import ReferenceVideoArgs
from wan_video_mcp.params.task import GetTaskArgs
from wan_video_mcp.params.vace import VaceEditArgs
from wan_video_mcp.params.videoedit import EditVideoArgs

GeneratingArgs = ReferenceVideoArgs | EditVideoArgs | VaceEditArgs

__all__ = [
    "CALL_OPTION_FIELDS",
    "CancelTaskArgs",
    "EditVideoArgs",
    "GeneratingArgs",
    "GetTaskArgs",
    "ListTasksArgs",
    "ModelName",
    "ReferenceVideoArgs",
    "ToolArguments",
    "ToolName",
    "VaceEditArgs",
]
