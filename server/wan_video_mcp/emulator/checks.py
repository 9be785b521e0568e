"""Request-body rules as the providers' documents state them, checked by the emulator.

Deliberately written apart from `wan_video_mcp.params` (tables of field checks,
not pydantic models): a mistake in the server's bodies shows up as a 400 here.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any, cast

Problem = str | None
Check = Callable[[Any], Problem]
MAX_SEED = 2147483647
RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4")
CONTROLS = ("posebodyface", "posebody", "depth", "scribble")
SIZES = ("1280*720", "720*1280", "960*960", "832*1088", "1088*832")
VACE_FUNCTIONS = ("image_reference", "video_repainting", "video_edit", "video_extension", "video_outpainting")
EXTENSION_INPUTS = ("first_clip_url", "last_clip_url", "first_frame_url", "last_frame_url")


def text(low: int, high: int) -> Check:
    def check(value: Any) -> Problem:
        if not isinstance(value, str) or not low <= len(value) <= high:
            return f"must be a string of {low}-{high} characters"
        return None

    return check


def choice(*values: Any) -> Check:
    def check(value: Any) -> Problem:
        ok = value in values and type(value) in {type(v) for v in values}
        return None if ok else f"must be one of {', '.join(map(str, values))}"

    return check


def integer(low: int, high: int) -> Check:
    def check(value: Any) -> Problem:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"must be an integer from {low} to {high}"

    return check


def number(low: float, high: float) -> Check:
    def check(value: Any) -> Problem:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"must be a number from {low} to {high}"

    return check


def anything(value: Any) -> Problem:
    del value
    return None


def boolean(value: Any) -> Problem:
    return None if isinstance(value, bool) else "must be true or false"


def url(value: Any) -> Problem:
    ok = isinstance(value, str) and value.startswith(("http://", "https://", "oss://"))
    return None if ok else "must be an http(s) URL"


def url_or_data(value: Any) -> Problem:
    """[doc] Modellix videoedit video_url: "URL (HTTP/HTTPS/OSS) or Base64 encoded data"."""
    if isinstance(value, str) and value.startswith("data:"):
        header, _, data = value.partition(",")
        try:
            base64.b64decode(data, validate=True)
        except ValueError:
            return "must be a URL or valid Base64 data"
        return None if header.endswith(";base64") and data else "must be a URL or valid Base64 data"
    return url(value)


def listing(item: Check, high: int, low: int = 0) -> Check:
    def check(value: Any) -> Problem:
        if not isinstance(value, list) or not low <= len(cast(list[Any], value)) <= high:
            return f"must be a list of {low}-{high} items"
        problems = [item(element) for element in cast(list[Any], value)]
        return next((f"item {problem}" for problem in problems if problem), None)

    return check


def fields(obj: Any, spec: Mapping[str, Check], required: tuple[str, ...], strict: bool) -> Problem:
    """The first problem with `obj` against `spec`: missing, unknown or malformed fields."""
    if not isinstance(obj, dict):
        return "must be a JSON object"
    data = cast(dict[str, Any], obj)
    for name in required:
        if name not in data:
            return f"parameter '{name}' is required"
    for name, value in data.items():
        check = spec.get(name)
        if check is None:
            if strict:
                return f"parameter '{name}' is not supported"
            continue
        if (problem := check(value)) is not None:
            return f"parameter '{name}' {problem}"
    return None


R2V_INPUT: dict[str, Check] = {
    "prompt": text(1, 5000),
    "negative_prompt": text(1, 500),
    "media": listing(lambda _: None, 6, 1),
}
COMMON_PARAMS: dict[str, Check] = {
    "resolution": choice("720P", "1080P"),
    "ratio": choice(*RATIOS),
    "prompt_extend": boolean,
    "watermark": boolean,
    "seed": integer(0, MAX_SEED),
}
R2V_PARAMS = {**COMMON_PARAMS, "duration": integer(2, 15)}
EDIT_INPUT = {
    "prompt": text(1, 5000),
    "negative_prompt": text(1, 500),
    "media": listing(lambda _: None, 5, 1),
}
EDIT_PARAMS = {
    **COMMON_PARAMS,
    "duration": choice(0, 2, 3, 4, 5, 6, 7, 8, 9, 10),
    "audio_setting": choice("auto", "origin"),
}
VACE_INPUT: dict[str, Check] = {
    "function": choice(*VACE_FUNCTIONS),
    "prompt": text(1, 800),
    "ref_images_url": listing(url, 3, 1),
    "video_url": url,
    "mask_image_url": url,
    "mask_video_url": url,
    "mask_frame_id": integer(1, 10**6),
    **dict.fromkeys(EXTENSION_INPUTS, url),
}
VACE_PARAMS: dict[str, Check] = {
    "obj_or_bg": listing(choice("obj", "bg"), 3, 1),
    "size": choice(*SIZES),
    "prompt_extend": boolean,
    "control_condition": choice(*CONTROLS),
    "strength": number(0, 1),
    "mask_type": choice("tracking", "fixed"),
    "expand_ratio": number(0, 1),
    "expand_mode": choice("hull", "bbox", "original"),
    **{name: number(1, 2) for name in ("top_scale", "bottom_scale", "left_scale", "right_scale")},
    "seed": integer(0, MAX_SEED),
}


def r2v_media(media: list[dict[str, Any]]) -> Problem:
    kinds = [item.get("type") for item in media]
    for item in media:
        allowed = {"type", "url"} | ({"reference_voice"} if item.get("type") != "first_frame" else set[str]())
        if item.get("type") not in ("reference_image", "reference_video", "first_frame"):
            return f"media type {item.get('type')!r} is not supported"
        if url(item.get("url")) or set(item) - allowed or url(item.get("reference_voice", "https://x")):
            return f"media item {item!r} is malformed"
    if kinds.count("reference_image") + kinds.count("reference_video") > 5:
        return "reference_image + reference_video must be 5 or fewer"
    return "at most one first_frame is allowed" if kinds.count("first_frame") > 1 else None


def edit_media(media: list[dict[str, Any]], min_references: int) -> Problem:
    kinds = [item.get("type") for item in media]
    if kinds.count("video") != 1 or set(kinds) - {"video", "reference_image"}:
        return "media must hold exactly one video and only reference_image items besides"
    if any(url(item.get("url")) or set(item) - {"type", "url"} for item in media):
        return "media items must be {type, url} with an http(s) URL"
    references = kinds.count("reference_image")
    return None if min_references <= references <= 4 else f"reference_image count must be {min_references}-4"


# Per VACE function [doc]: the fields it needs, and every field it takes besides those
# every function takes (function, prompt, prompt_extend, seed).
VACE_NEEDS: dict[str, tuple[str, ...]] = {
    "image_reference": ("ref_images_url",),
    "video_repainting": ("video_url", "control_condition"),
    "video_edit": ("video_url",),
    "video_extension": (),
    "video_outpainting": ("video_url",),
}
VACE_TAKES: dict[str, frozenset[str]] = {
    "image_reference": frozenset({"ref_images_url", "obj_or_bg", "size"}),
    "video_repainting": frozenset({"video_url", "ref_images_url", "control_condition", "strength"}),
    "video_edit": frozenset(
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
    "video_extension": frozenset({*EXTENSION_INPUTS, "video_url", "control_condition"}),
    "video_outpainting": frozenset({"video_url", "top_scale", "bottom_scale", "left_scale", "right_scale"}),
}
VACE_EVERYWHERE = frozenset({"function", "prompt", "prompt_extend", "seed", "duration"})


def vace_function_rules(values: Mapping[str, Any]) -> Problem:
    """The per-function requirements, over input and parameters merged."""
    function = str(values.get("function"))
    present = {name for name, value in values.items() if value not in (None, "", [])}
    if extra := sorted(present - VACE_TAKES[function] - VACE_EVERYWHERE):
        return f"function {function} does not take {extra[0]}"
    missing = [name for name in VACE_NEEDS[function] if name not in present]
    if missing:
        return f"function {function} requires {missing[0]}"
    return _vace_media_rules(function, values, present)


def _vace_media_rules(function: str, values: Mapping[str, Any], present: set[str]) -> Problem:
    images = cast(list[Any], values.get("ref_images_url") or [])
    if function in ("video_repainting", "video_edit") and len(images) > 1:
        return f"function {function} takes at most 1 reference image"
    if function == "video_edit" and len(present & {"mask_image_url", "mask_video_url"}) != 1:
        return "video_edit requires exactly one of mask_image_url and mask_video_url"
    if "mask_frame_id" in present and "mask_image_url" not in present:
        return "mask_frame_id applies only with mask_image_url"
    if function == "video_extension" and not present & set(EXTENSION_INPUTS):
        return "video_extension requires a first/last clip or frame"
    if function == "video_extension" and "video_url" in present and "control_condition" not in present:
        return "video_extension with video_url requires control_condition"
    roles = cast(list[Any], values.get("obj_or_bg") or [])
    if roles and len(roles) != len(images):
        return "obj_or_bg must match ref_images_url in length"
    return "obj_or_bg may mark at most one image as bg" if roles.count("bg") > 1 else None
