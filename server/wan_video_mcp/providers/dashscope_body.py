"""The DashScope request body (`model` / `input` / `parameters`), shared by DashScope
and APIYI, whose submit endpoint is DashScope-compatible."""

from __future__ import annotations

from typing import Any

from wan_video_mcp.params import EditVideoArgs, GeneratingArgs, ReferenceVideoArgs, VaceEditArgs

# Which VACE fields DashScope takes under `input`; the rest go under `parameters`.
VACE_INPUT_FIELDS = (
    "ref_images_url",
    "video_url",
    "mask_image_url",
    "mask_video_url",
    "mask_frame_id",
    "first_frame_url",
    "last_frame_url",
    "first_clip_url",
    "last_clip_url",
)
VACE_PARAMETER_FIELDS = (
    "obj_or_bg",
    "size",
    "prompt_extend",
    "control_condition",
    "strength",
    "mask_type",
    "expand_ratio",
    "expand_mode",
    "top_scale",
    "bottom_scale",
    "left_scale",
    "right_scale",
    "seed",
)


def dashscope_body(args: GeneratingArgs, model_id: str) -> dict[str, Any]:
    match args:
        case ReferenceVideoArgs():
            input_, parameters = _r2v(args)
        case EditVideoArgs():
            input_, parameters = _videoedit(args)
        case VaceEditArgs():
            input_, parameters = _vace(args)
    return {"model": model_id, "input": input_, "parameters": parameters}


def _r2v(args: ReferenceVideoArgs) -> tuple[dict[str, Any], dict[str, Any]]:
    media: list[dict[str, str]] = []
    for kind, urls, media_type in (
        ("Image", args.reference_images, "reference_image"),
        ("Video", args.reference_videos, "reference_video"),
    ):
        for index, url in enumerate(urls):
            item = {"type": media_type, "url": url}
            if voice := args.voice_for(kind, index):
                item["reference_voice"] = voice
            media.append(item)
    if args.first_frame_image:
        media.append({"type": "first_frame", "url": args.first_frame_image})
    input_: dict[str, Any] = {"prompt": args.prompt, "media": media}
    _put(input_, "negative_prompt", args.negative_prompt)
    parameters: dict[str, Any] = {
        "resolution": args.resolution,
        "duration": args.duration,
        "prompt_extend": args.prompt_extend,
        "watermark": args.watermark,
    }
    # With a first frame the ratio is ignored; send it only when the caller asked for one.
    if not args.first_frame_image or args.was_set("ratio"):
        parameters["ratio"] = args.ratio
    _put(parameters, "seed", args.seed)
    return input_, parameters


def _videoedit(args: EditVideoArgs) -> tuple[dict[str, Any], dict[str, Any]]:
    media = [{"type": "video", "url": args.video_url}]
    media += [{"type": "reference_image", "url": url} for url in args.reference_images]
    input_: dict[str, Any] = {"media": media}
    _put(input_, "prompt", args.prompt)
    _put(input_, "negative_prompt", args.negative_prompt)
    parameters: dict[str, Any] = {
        "resolution": args.resolution,
        "duration": args.duration,
        "audio_setting": args.audio_setting,
        "prompt_extend": args.prompt_extend,
        "watermark": args.watermark,
    }
    _put(parameters, "ratio", args.ratio)
    _put(parameters, "seed", args.seed)
    return input_, parameters


def _vace(args: VaceEditArgs) -> tuple[dict[str, Any], dict[str, Any]]:
    input_: dict[str, Any] = {"function": args.function, "prompt": args.prompt}
    input_.update({name: getattr(args, name) for name in VACE_INPUT_FIELDS if args.was_set(name)})
    if args.mask_image_url:
        # The mask image belongs to one frame; the documents always send which one.
        input_["mask_frame_id"] = args.mask_frame_id
    parameters = {name: getattr(args, name) for name in VACE_PARAMETER_FIELDS if args.was_set(name)}
    return input_, parameters


def _put(target: dict[str, Any], name: str, value: Any) -> None:
    if value is not None:
        target[name] = value
