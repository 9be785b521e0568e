"""Turn a pydantic arguments model into the JSON schema a model reads in tools/list.

pydantic's output is correct but noisy for that reader: auto-generated titles,
`anyOf: [X, {"type": "null"}]` for every optional field, call options first. This
keeps the meaning and drops the noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from pydantic import BaseModel

from wan_video_mcp.params.common import CALL_OPTION_FIELDS


def input_schema(model: type[BaseModel], providers: Sequence[str] | None = None) -> dict[str, Any]:
    """The tool input schema for `model`; `providers` narrows the `provider` enum."""
    schema = model.model_json_schema()
    schema.pop("title", None)
    properties = cast(dict[str, dict[str, Any]], schema["properties"])
    cleaned = {name: _clean_property(prop) for name, prop in properties.items()}
    if providers is not None and "provider" in cleaned:
        cleaned["provider"]["enum"] = list(providers)
    ordered = {name: prop for name, prop in cleaned.items() if name not in CALL_OPTION_FIELDS}
    ordered.update({name: cleaned[name] for name in CALL_OPTION_FIELDS if name in cleaned})
    schema["properties"] = ordered
    return schema


def _clean_property(prop: dict[str, Any]) -> dict[str, Any]:
    prop = {key: value for key, value in prop.items() if key != "title"}
    variants = prop.get("anyOf")
    if isinstance(variants, list):
        kept = [v for v in cast(list[dict[str, Any]], variants) if v.get("type") != "null"]
        if len(kept) == 1:
            # Optional field: absent and null mean the same, so show only the real type.
            del prop["anyOf"]
            prop = {**kept[0], **prop}
    if prop.get("default", ...) is None:
        del prop["default"]
    if isinstance(prop.get("items"), dict):
        prop["items"] = _clean_property(cast(dict[str, Any], prop["items"]))
    if isinstance(prop.get("additionalProperties"), dict):
        prop["additionalProperties"] = _clean_property(cast(dict[str, Any], prop["additionalProperties"]))
    if isinstance(prop.get("propertyNames"), dict):
        prop["propertyNames"] = _clean_property(cast(dict[str, Any], prop["propertyNames"]))
    return prop
