"""wan2.7-videoedit (instruction video edit): the `edit_video` tool's arguments."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from wan_video_mcp.params.common import (
    ModelName,
    NegativePrompt,
    PromptExtend,
    Ratio,
    Resolution,
    Seed,
    Text,
    ToolArguments,
    ToolName,
    Watermark,
)
from wan_video_mcp.params.media import MediaKind, MediaRef

MAX_STYLE_IMAGES = 4
EditDuration = Literal[0, 2, 3, 4, 5, 6, 7, 8, 9, 10]


class EditVideoArgs(ToolArguments):
    tool: ClassVar[ToolName] = "edit_video"
    model: ClassVar[ModelName] = "wan2.7-videoedit"
    media_kinds: ClassVar[dict[str, MediaKind]] = {"video_url": "video", "reference_images": "image"}

    video_url: MediaRef = Field(
        description=(
            "The video to edit (a public URL or a local file's absolute path): mp4 or mov, 2-10 s long, "
            "240-4096 px per side, at most 100 MB."
        ),
    )
    prompt: Text | None = Field(
        None,
        min_length=1,
        max_length=5000,
        description=(
            'The edit instruction (up to 5000 characters), e.g. "turn the scene into clay animation" or '
            '"replace the jacket with the one in Image 1". Reference images are "Image 1", "Image 2", ... '
            "in list order."
        ),
    )
    reference_images: list[MediaRef] = Field(
        default_factory=list,
        max_length=MAX_STYLE_IMAGES,
        description=(
            'Up to 4 images that show the wanted style or objects, referred to as "Image 1".. in the prompt.'
        ),
    )
    negative_prompt: NegativePrompt = None
    resolution: Resolution = Field("1080P", description="Output resolution tier.")
    ratio: Ratio | None = Field(
        None, description="Output aspect ratio. Omit to keep the input video's ratio."
    )
    duration: EditDuration = Field(
        0,
        description="0 keeps the whole input video; 2-10 keeps only the first that many seconds of it.",
    )
    audio_setting: Literal["auto", "origin"] = Field(
        "auto",
        description='"auto": the model picks the soundtrack from the prompt; "origin": keep the original.',
    )
    prompt_extend: PromptExtend = True
    watermark: Watermark = False
    seed: Seed = None
