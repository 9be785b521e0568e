"""wan2.7-r2v (reference-to-video): the `generate_reference_video` tool's arguments."""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import Field

from wan_video_mcp.errors import InvalidRequest
from wan_video_mcp.params.common import (
    JsonInt,
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

MAX_REFERENCES = 5
MAX_DURATION = 15
MAX_DURATION_WITH_VIDEO = 10

SubjectLabel = Annotated[str, Field(pattern=r"^(Image|Video) [1-5]$")]
_LABEL = re.compile(r"^(Image|Video) ([1-5])$")


class ReferenceVideoArgs(ToolArguments):
    tool: ClassVar[ToolName] = "generate_reference_video"
    model: ClassVar[ModelName] = "wan2.7-r2v"
    media_kinds: ClassVar[dict[str, MediaKind]] = {
        "reference_images": "image",
        "reference_videos": "video",
        "first_frame_image": "image",
        "reference_voices": "audio",
    }

    prompt: Text = Field(
        min_length=1,
        max_length=5000,
        description=(
            "What happens in the video (up to 5000 characters, English or Chinese). Refer to the inputs as "
            '"Image 1", "Image 2", ... for reference_images and "Video 1", "Video 2", ... for '
            'reference_videos, numbered separately in list order, e.g. "Image 1 hands Video 1 a cup". '
            'Several subjects can interact; a shot list such as "Shot 1: ... Shot 2: ..." makes a '
            "multi-shot video."
        ),
    )
    reference_images: list[MediaRef] = Field(
        default_factory=list,
        max_length=MAX_REFERENCES,
        description=(
            'Images of subjects (people, animals, objects) or a scene to keep, referred to as "Image 1".. in '
            "the prompt. reference_images + reference_videos: 5 at most together. At least one of "
            "reference_images, reference_videos or first_frame_image is required."
        ),
    )
    reference_videos: list[MediaRef] = Field(
        default_factory=list,
        max_length=MAX_REFERENCES,
        description=(
            'Videos of subjects whose look, motion and voice to keep, referred to as "Video 1".. in the '
            "prompt (not empty scenery). Counts toward the limit of 5 references; with any reference video "
            "the duration must be 2-10 s."
        ),
    )
    first_frame_image: MediaRef | None = Field(
        None,
        description=(
            "Optional image the video starts from (at most one; not counted in the 5 references). When "
            "given, ratio is ignored and the video takes this image's shape."
        ),
    )
    reference_voices: dict[SubjectLabel, MediaRef] = Field(
        default_factory=dict,
        max_length=MAX_REFERENCES,
        json_schema_extra={"additionalProperties": False},
        description=(
            'Voice for a subject: maps a subject label ("Image 1", "Video 2", ...) to the URL of a wav or '
            'mp3 clip of 1-10 s, e.g. {"Image 1": "https://.../voice.mp3"}. The label must name an item '
            "of reference_images / reference_videos."
        ),
    )
    negative_prompt: NegativePrompt = None
    resolution: Resolution = Field("1080P", description="Output resolution tier.")
    ratio: Ratio = Field(
        "16:9", description="Aspect ratio of the output (ignored when first_frame_image is given)."
    )
    duration: JsonInt = Field(
        5,
        ge=2,
        le=MAX_DURATION,
        description="Length in seconds: 2-15, or 2-10 when any reference video is given.",
    )
    prompt_extend: PromptExtend = True
    watermark: Watermark = False
    seed: Seed = None

    def check_rules(self) -> None:
        self._check_media_present()
        self._check_reference_count()
        self._check_duration()
        self._check_voices()

    def notes(self) -> list[str]:
        if self.was_set("ratio") and self.first_frame_image:
            return ["ratio is ignored because first_frame_image sets the shape of the video."]
        return []

    def _check_media_present(self) -> None:
        if not (self.reference_images or self.reference_videos or self.first_frame_image):
            raise InvalidRequest(
                "reference_images",
                "wan2.7-r2v needs at least one input image or video.",
                "Give reference_images, reference_videos or first_frame_image (public URLs or local files).",
            )

    def _check_reference_count(self) -> None:
        total = len(self.reference_images) + len(self.reference_videos)
        if total > MAX_REFERENCES:
            raise InvalidRequest(
                "reference_videos" if self.reference_videos else "reference_images",
                f"{len(self.reference_images)} images + {len(self.reference_videos)} videos = {total} "
                f"references; at most {MAX_REFERENCES} are allowed together.",
                f"Remove {total - MAX_REFERENCES} of them (first_frame_image does not count).",
            )

    def _check_duration(self) -> None:
        if self.reference_videos and self.duration > MAX_DURATION_WITH_VIDEO:
            raise InvalidRequest(
                "duration",
                f"{self.duration} s is too long when reference videos are given (2-10 s).",
                "Set duration to 10 or less, or drop reference_videos.",
            )

    def _check_voices(self) -> None:
        for label in self.reference_voices:
            match = _LABEL.match(label)
            assert match is not None  # the schema pattern already guarantees the shape
            kind, number = match.group(1), int(match.group(2))
            available = len(self.reference_images if kind == "Image" else self.reference_videos)
            if number > available:
                noun = "reference image" if kind == "Image" else "reference video"
                raise InvalidRequest(
                    "reference_voices",
                    f'"{label}" does not exist: {available} {noun}{"" if available == 1 else "s"} given.',
                    'Key each voice by an existing subject, e.g. "Image 1" for the first reference image.',
                )

    def voice_for(self, kind: str, index: int) -> str | None:
        """The voice URL attached to the `index`-th (0-based) image or video, if any."""
        return self.reference_voices.get(f"{kind} {index + 1}")
