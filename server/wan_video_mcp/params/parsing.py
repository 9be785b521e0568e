"""Validate raw tool arguments and explain every failure in words a model can act on."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from wan_video_mcp.errors import InvalidArguments, InvalidRequest
from wan_video_mcp.params.media import URL_PATTERN, URL_SHAPE

ModelT = TypeVar("ModelT", bound=BaseModel)
MAX_ERRORS = 10

# Names other providers' APIs use for our parameters: a model that knows one of those
# APIs is told the name this tool uses.
KNOWN_ALIASES = {
    "image_urls": "reference_images",
    "images": "reference_images",
    "video_urls": "reference_videos",
    "videos": "reference_videos",
    "media": "reference_images",
    "first_frame": "first_frame_image",
    "first_frame_url": "first_frame_image",
    "aspect_ratio": "ratio",
    "enhance_prompt": "prompt_extend",
    "reference_voice": "reference_voices",
    "voice": "reference_voices",
    "model": "provider",
    "task": "task_id",
    "id": "task_id",
    "timeout": "wait_seconds",
}


def parse_arguments(model: type[ModelT], raw: Mapping[str, Any]) -> ModelT:
    """`model` validated from `raw`, its cross-field rules checked; raises `InvalidArguments`."""
    try:
        parsed = model.model_validate(dict(raw))
    except ValidationError as exc:
        raise InvalidArguments(describe_errors(model, exc)) from None
    check = getattr(parsed, "check_rules", None)
    if callable(check):
        check()
    return parsed


def describe_errors(model: type[BaseModel], exc: ValidationError) -> str:
    # A few lines are enough to act on; thousands (a flood of bad keys) only cost time.
    errors = exc.errors(include_url=False)
    lines = [_describe(model, error) for error in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        lines.append(f"... and {len(errors) - MAX_ERRORS} more problems of the same kinds.")
    heading = "The arguments do not match the tool's input schema (nothing was sent or charged):"
    return "\n".join([heading, *(f"- {line}" for line in lines)])


def _describe(model: type[BaseModel], error: ErrorDetails) -> str:
    loc = error["loc"]
    field = str(loc[0]) if loc else "arguments"
    where = _location(loc)
    if error["type"] == "extra_forbidden":
        return _unknown_argument(model, field)
    if error["type"] == "missing":
        return f"`{where}` is required: {_summary(model, field)}"
    if error["type"] == "too_many_entries":
        return str(error["msg"])
    given = _shorten(error.get("input"))
    allowed = _allowed(model, field)
    hint = f" Allowed: {allowed}." if allowed else ""
    return f"`{where}`: {_message(error)} (got {given}).{hint}"


# What a value of each JSON type looks like, for "wrong type" errors (types are strict).
JSON_SHAPES = {
    "bool_type": "true or false (a JSON boolean, not text)",
    "int_type": "a whole number (a JSON number, not text)",
    "float_type": "a number (a JSON number, not text)",
    "string_type": "text (a JSON string)",
    "list_type": "a JSON array",
    "dict_type": "a JSON object",
}


def _message(error: ErrorDetails) -> str:
    if error["type"] in JSON_SHAPES:
        return f"must be {JSON_SHAPES[error['type']]}"
    given, limits = error.get("input"), error.get("ctx") or {}
    if error["type"] in ("too_long", "too_short") and isinstance(given, str):
        longest = error["type"] == "too_long"
        bound = limits.get("max_length" if longest else "min_length")
        return f"is {len(given)} characters long; {'at most' if longest else 'at least'} {bound}"
    if error["type"] == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        if pattern == URL_PATTERN:
            return URL_SHAPE
        if "Image|Video" in pattern:
            return 'must name a subject as "Image N" or "Video N"'
    return error["msg"]


def _location(loc: tuple[int | str, ...]) -> str:
    text = str(loc[0]) if loc else "arguments"
    for part in loc[1:]:
        text += f"[{part}]" if isinstance(part, int) else f"[{part!r}]"
    return text.replace("['[key]']", " key")


def _unknown_argument(model: type[BaseModel], name: str) -> str:
    fields = list(model.model_fields)
    suggestion = KNOWN_ALIASES.get(name)
    if suggestion not in fields:
        close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
        suggestion = close[0] if close else None
    hint = f" Did you mean `{suggestion}`?" if suggestion else ""
    return f"`{name}` is not an argument of this tool.{hint} Valid arguments: {', '.join(fields)}."


def _summary(model: type[BaseModel], field: str) -> str:
    info = model.model_fields.get(field)
    description = info.description if info and info.description else "see the tool's input schema"
    return description.split(". ")[0].rstrip(".") + "."


def _allowed(model: type[BaseModel], field: str) -> str:
    prop = _properties(model).get(field)
    if prop is None:
        return ""
    return _constraint_text(_non_null(prop))


@cache
def _properties(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    return cast(dict[str, dict[str, Any]], model.model_json_schema().get("properties", {}))


def _non_null(prop: dict[str, Any]) -> dict[str, Any]:
    for variant in cast(list[dict[str, Any]], prop.get("anyOf", [])):
        if variant.get("type") != "null":
            return variant
    return prop


def _constraint_text(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return "one of " + ", ".join(str(v) for v in prop["enum"])
    parts: list[str] = []
    if "minimum" in prop or "maximum" in prop:
        parts.append(
            f"{prop.get('type', 'number')} from {prop.get('minimum', '-inf')} to {prop.get('maximum', 'inf')}"
        )
    if prop.get("type") == "array":
        parts.append(f"a list of at most {prop.get('maxItems', 'any number of')} items")
        item = cast(dict[str, Any], prop.get("items", {}))
        if item.get("format") == "uri":
            parts.append("each a public http(s):// URL")
    elif prop.get("format") == "uri":
        parts.append("a public http(s):// URL")
    if "maxLength" in prop and prop.get("format") != "uri":
        parts.append(f"{prop.get('minLength', 0)}-{prop['maxLength']} characters")
    return ", ".join(parts)


def _shorten(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


__all__ = ["InvalidRequest", "describe_errors", "parse_arguments"]
