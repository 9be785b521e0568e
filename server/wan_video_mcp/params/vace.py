"""wan2.1-vace-plus (all-in-one VACE editing): the `vace_edit` tool's arguments.

One flat object, as the provider takes it; which fields a call may carry depends on
`function`, so the per-function table below is checked before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field

from wan_video_mcp.errors import InvalidRequest
from wan_video_mcp.params.common import (
    JsonInt,
    ModelName,
    PromptExtend,
    Seed,
    Text,
    ToolArguments,
    ToolName,
)
from wan_video_mcp.params.media import MediaKind, MediaRef

VaceFunction = Literal[
    "image_reference", "video_repainting", "video_edit", "video_extension", "video_outpainting"
]
ControlCondition = Literal["posebodyface", "posebody", "depth", "scribble"]
VaceSize = Literal["1280*720", "720*1280", "960*960", "832*1088", "1088*832"]
SCALE_FIELDS = ("top_scale", "bottom_scale", "left_scale", "right_scale")
EXTENSION_INPUTS = ("first_clip_url", "last_clip_url", "first_frame_url", "last_frame_url")
MAX_MASK_FRAME = 600


def _scale(side: str) -> Any:  # a pydantic FieldInfo standing in as the default
    return Field(
        1.0,
        ge=1.0,
        le=2.0,
        description=(f"video_outpainting: grow the canvas {side}, 1.0 (no) to 2.0 (double)."),
    )


class VaceEditArgs(ToolArguments):
    tool: ClassVar[ToolName] = "vace_edit"
    model: ClassVar[ModelName] = "wan2.1-vace-plus"
    media_kinds: ClassVar[dict[str, MediaKind]] = {
        "ref_images_url": "image",
        "video_url": "video",
        "mask_image_url": "image",
        "mask_video_url": "video",
        "first_clip_url": "video",
        "last_clip_url": "video",
        "first_frame_url": "image",
        "last_frame_url": "image",
    }

    function: VaceFunction = Field(
        description=(
            "Which VACE task to run. image_reference: new video from 1-3 images of subjects/background "
            "(needs ref_images_url). video_repainting: restyle a video keeping its motion (needs video_url "
            "and control_condition). video_edit: change only a masked region of a video (needs video_url "
            "and mask_image_url or mask_video_url). video_extension: continue from/into clips or frames "
            "(needs one of first_clip_url, last_clip_url, first_frame_url, last_frame_url). "
            "video_outpainting: widen the frame (needs video_url and a *_scale above 1.0). The output is "
            "always a 5 s silent 30 fps video of about 720P."
        ),
    )
    prompt: Text = Field(
        min_length=1,
        max_length=800,
        description="What the video should show or how to change it, 1-800 characters (English or Chinese).",
    )
    ref_images_url: list[MediaRef] = Field(
        default_factory=list,
        max_length=3,
        description=(
            "Reference images. image_reference: 1-3 (subjects and at most one background, see obj_or_bg). "
            "video_repainting / video_edit: at most 1, the look to apply. Not used by other functions."
        ),
    )
    obj_or_bg: list[Literal["obj", "bg"]] = Field(
        default_factory=list[Literal["obj", "bg"]],
        max_length=3,
        description=(
            'image_reference only: for each ref_images_url item, "obj" (a subject) or "bg" (the '
            'background); same length as ref_images_url, at most one "bg".'
        ),
    )
    video_url: MediaRef | None = Field(
        None,
        description=(
            "Input video (mp4, at most 50 MB and 5 s). Required for video_repainting, video_edit and "
            "video_outpainting; optional for video_extension; not used by image_reference."
        ),
    )
    control_condition: ControlCondition | None = Field(
        None,
        description=(
            "What structure to extract from video_url and keep: posebodyface (pose, body and face), "
            "posebody (pose and body), depth (depth map), scribble (edges). Required for video_repainting "
            "and for video_extension with video_url; optional for video_edit."
        ),
    )
    strength: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="video_repainting only: how closely to follow the control_condition, 0-1.",
    )
    mask_image_url: MediaRef | None = Field(
        None,
        description=(
            "video_edit: image mask of the area to change (white = edit, black = keep) for the frame "
            "mask_frame_id. Give this or mask_video_url, not both."
        ),
    )
    mask_video_url: MediaRef | None = Field(
        None,
        description=(
            "video_edit: video mask with one mask per frame (same frame count as video_url). Give this or "
            "mask_image_url, not both."
        ),
    )
    mask_frame_id: JsonInt = Field(
        1,
        ge=1,
        # Not bounded by the documents; an input of at most 5 s has at most 600 frames even at 120 fps.
        le=MAX_MASK_FRAME,
        description=(
            "video_edit with mask_image_url: which frame (1 = first) the mask image belongs to; at most "
            f"{MAX_MASK_FRAME} (the input is at most 5 s)."
        ),
    )
    mask_type: Literal["tracking", "fixed"] = Field(
        "tracking",
        description="video_edit: tracking = the mask follows the object; fixed = the mask stays in place.",
    )
    expand_ratio: float = Field(
        0.05, ge=0.0, le=1.0, description="video_edit: grow the mask by this fraction (0-1) to avoid seams."
    )
    expand_mode: Literal["hull", "bbox", "original"] = Field(
        "hull",
        description="video_edit: shape of the grown mask: hull (convex hull), bbox (rectangle), original.",
    )
    first_clip_url: MediaRef | None = Field(
        None, description="video_extension: clip (at most 3 s) the new video starts from."
    )
    last_clip_url: MediaRef | None = Field(
        None, description="video_extension: clip (at most 3 s) the new video leads into."
    )
    first_frame_url: MediaRef | None = Field(
        None, description="video_extension: image the new video starts from."
    )
    last_frame_url: MediaRef | None = Field(None, description="video_extension: image the new video ends on.")
    top_scale: float = _scale("upward")
    bottom_scale: float = _scale("downward")
    left_scale: float = _scale("to the left")
    right_scale: float = _scale("to the right")
    size: VaceSize = Field(
        "1280*720",
        description="image_reference and video_edit: output width*height in pixels.",
    )
    prompt_extend: PromptExtend = True
    seed: Seed = None

    def check_rules(self) -> None:
        rule = FUNCTION_RULES[self.function]
        self._check_allowed(rule)
        for name in rule.required:
            if not self.was_set(name):
                raise InvalidRequest(
                    name, f"{self.function} needs {name}.", f"Add {name} ({_field_hint(name)})."
                )
        rule.extra_check(self)

    def _check_allowed(self, rule: FunctionRule) -> None:
        for name in type(self).model_fields:
            if name in ALWAYS_ALLOWED or name in rule.allowed or not self.was_set(name):
                continue
            users = [fn for fn, other in FUNCTION_RULES.items() if name in other.allowed]
            raise InvalidRequest(
                name,
                f"{self.function} does not use {name} (only {', '.join(users)} do).",
                f"Remove {name}, or pick the function that needs it.",
            )


def _field_hint(name: str) -> str:
    field = VaceEditArgs.model_fields[name]
    return (field.description or "").split(". ")[0].removesuffix(".")


def _check_image_reference(args: VaceEditArgs) -> None:
    images, roles = args.ref_images_url, args.obj_or_bg
    if roles and len(roles) != len(images):
        raise InvalidRequest(
            "obj_or_bg",
            f"has {len(roles)} items but ref_images_url has {len(images)}.",
            'Give one "obj" or "bg" per reference image, in the same order.',
        )
    if roles.count("bg") > 1:
        raise InvalidRequest(
            "obj_or_bg", "marks more than one image as background.", 'Use "bg" at most once.'
        )


def _check_single_reference(args: VaceEditArgs) -> None:
    if len(args.ref_images_url) > 1:
        raise InvalidRequest(
            "ref_images_url",
            f"{args.function} takes at most 1 reference image (got {len(args.ref_images_url)}).",
            "Keep only the image whose look you want.",
        )


def _check_video_edit(args: VaceEditArgs) -> None:
    _check_single_reference(args)
    has_image, has_video = args.was_set("mask_image_url"), args.was_set("mask_video_url")
    if has_image == has_video:
        raise InvalidRequest(
            "mask_image_url",
            "video_edit needs exactly one mask: " + ("both were given." if has_image else "none was given."),
            "Give either mask_image_url (one frame, see mask_frame_id) or mask_video_url (every frame).",
        )
    if has_video and args.was_set("mask_frame_id"):
        raise InvalidRequest(
            "mask_frame_id",
            "only applies to mask_image_url.",
            "Remove mask_frame_id when using mask_video_url.",
        )


def _check_video_extension(args: VaceEditArgs) -> None:
    if not any(args.was_set(name) for name in EXTENSION_INPUTS):
        raise InvalidRequest(
            "first_clip_url",
            "video_extension needs something to extend from or into.",
            "Give at least one of " + ", ".join(EXTENSION_INPUTS) + ".",
        )
    if args.was_set("video_url") and not args.was_set("control_condition"):
        raise InvalidRequest(
            "control_condition",
            "video_extension with video_url needs control_condition.",
            "Add control_condition (posebodyface, posebody, depth or scribble), or drop video_url.",
        )


def _check_video_outpainting(args: VaceEditArgs) -> None:
    if all(getattr(args, name) == 1.0 for name in SCALE_FIELDS):
        raise InvalidRequest(
            "top_scale",
            "every *_scale is 1.0, so there is nothing to outpaint.",
            "Set at least one of top_scale, bottom_scale, left_scale, right_scale above 1.0 (up to 2.0).",
        )


def _no_extra_check(args: VaceEditArgs) -> None:
    del args


@dataclass(frozen=True)
class FunctionRule:
    required: tuple[str, ...]
    allowed: frozenset[str]
    extra_check: Callable[[VaceEditArgs], None] = _no_extra_check


ALWAYS_ALLOWED = frozenset(
    {"function", "prompt", "prompt_extend", "seed", "provider", "wait_seconds", "force_new", "dry_run"}
)

FUNCTION_RULES: dict[VaceFunction, FunctionRule] = {
    "image_reference": FunctionRule(
        required=("ref_images_url",),
        allowed=frozenset({"ref_images_url", "obj_or_bg", "size"}),
        extra_check=_check_image_reference,
    ),
    "video_repainting": FunctionRule(
        required=("video_url", "control_condition"),
        allowed=frozenset({"video_url", "ref_images_url", "control_condition", "strength"}),
        extra_check=_check_single_reference,
    ),
    "video_edit": FunctionRule(
        required=("video_url",),
        allowed=frozenset(
            {
                "video_url",
                "ref_images_url",
                "mask_image_url",
                "mask_video_url",
                "mask_frame_id",
                "mask_type",
                "expand_ratio",
                "expand_mode",
                "control_condition",
                "size",
            }
        ),
        extra_check=_check_video_edit,
    ),
    "video_extension": FunctionRule(
        required=(),
        allowed=frozenset({*EXTENSION_INPUTS, "video_url", "control_condition"}),
        extra_check=_check_video_extension,
    ),
    "video_outpainting": FunctionRule(
        required=("video_url",),
        allowed=frozenset({"video_url", *SCALE_FIELDS}),
        extra_check=_check_video_outpainting,
    ),
}
