"""What a local input may be, per model and parameter, as the documents state it.

Markers as in providers.md: [doc] a provider document says so; [inferred] reasoned from
neighbouring documents (checked here because a wrong file costs an upload and often a
failed, billed job).
"""

from __future__ import annotations

from dataclasses import dataclass

from wan_video_mcp.inputs.sniff import FileFormat
from wan_video_mcp.params import ModelName
from wan_video_mcp.params.media import MediaKind

MB = 1024 * 1024
FORMATS: dict[MediaKind, tuple[FileFormat, ...]] = {
    "image": ("jpeg", "png", "webp", "bmp"),  # [doc] wan2.7 reference images
    "video": ("mp4", "mov"),  # [doc] wan2.7 videoedit input
    "audio": ("wav", "mp3"),  # [doc] wan2.7 reference_voice
}
MAX_BYTES: dict[MediaKind, int] = {
    "image": 20 * MB,  # [inferred] the Wan models' image limit on DashScope
    "video": 100 * MB,  # [doc] wan2.7-videoedit input video
    "audio": 15 * MB,  # [inferred] 10 s of wav is well below this
}


@dataclass(frozen=True)
class Rule:
    """Limits beyond the kind's: formats, size, seconds, pixels per side."""

    formats: tuple[FileFormat, ...] | None = None
    max_bytes: int | None = None
    seconds: tuple[float, float] | None = None
    pixels: tuple[int, int] | None = None


RULES: dict[tuple[ModelName, str], Rule] = {
    # [doc, via resellers] mp4/mov, 2-10 s, 240-4096 px, <= 100 MB
    ("wan2.7-videoedit", "video_url"): Rule(seconds=(2, 10), pixels=(240, 4096)),
    # [doc] wan2.7-r2v reference videos: mp4/mov of 2-10 s
    ("wan2.7-r2v", "reference_videos"): Rule(seconds=(2, 10)),
    # [doc] wan2.7-r2v reference_voice: wav/mp3 of 1-10 s
    ("wan2.7-r2v", "reference_voices"): Rule(seconds=(1, 10)),
    # [doc] wan2.1-vace-plus video_url: mp4, <= 50 MB, <= 5 s; clips <= 3 s
    ("wan2.1-vace-plus", "video_url"): Rule(formats=("mp4",), max_bytes=50 * MB, seconds=(0, 5)),
    ("wan2.1-vace-plus", "mask_video_url"): Rule(formats=("mp4",), max_bytes=50 * MB, seconds=(0, 5)),
    ("wan2.1-vace-plus", "first_clip_url"): Rule(formats=("mp4",), max_bytes=50 * MB, seconds=(0, 3)),
    ("wan2.1-vace-plus", "last_clip_url"): Rule(formats=("mp4",), max_bytes=50 * MB, seconds=(0, 3)),
}


def rule_for(model: ModelName, field: str, kind: MediaKind) -> Rule:
    """Every limit that applies to `field` of `model`, the kind's defaults filled in."""
    specific = RULES.get((model, field), Rule())
    return Rule(
        formats=specific.formats or FORMATS[kind],
        max_bytes=specific.max_bytes or MAX_BYTES[kind],
        seconds=specific.seconds,
        pixels=specific.pixels,
    )
