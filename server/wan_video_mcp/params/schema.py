"""Turn pydantic models into the JSON schemas of tools/list: compact, exact.

pydantic's output is correct but noisy: auto-generated titles, `anyOf: [X, {"type":
"null"}]` for every optional field, `$defs` used once. For an input schema (which a
model reads) this keeps every description, enum, range and default and drops the
noise. For the result schema, repeated on five tools with no way to share it across
tools, only the structure is kept: types, enums, formats, required keys -- what a
client validates `structuredContent` against. What the fields mean is said where a
model reads it: the tool descriptions and each result's text.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from typing import Any, cast

from pydantic import BaseModel

from wan_video_mcp.params.common import CALL_OPTION_FIELDS

FROZEN_FILE = "schemas.json"


@cache
def frozen_schemas() -> dict[str, dict[str, Any]]:
    """Each model's schema by class name, as `freeze` wrote them."""
    return json.loads(files("wan_video_mcp.params").joinpath(FROZEN_FILE).read_text("utf-8"))


def input_schema(model: type[BaseModel], providers: Sequence[str] | None = None) -> dict[str, Any]:
    """The tool input schema for `model`; `providers` narrows the `provider` enum."""
    frozen = frozen_schemas().get(model.__name__)
    schema = copy.deepcopy(frozen) if frozen is not None else generated_input_schema(model)
    if providers is not None and "provider" in schema["properties"]:
        schema["properties"]["provider"]["enum"] = list(providers)
    return schema


def result_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The outputSchema for `model` (one shared, unchanging copy)."""
    frozen = frozen_schemas().get(model.__name__)
    return frozen if frozen is not None else generated_result_schema(model)


def generated_input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The input schema written from `model` itself: every description, enum, range, default."""
    schema = model.model_json_schema()
    schema.pop("title", None)
    properties = cast(dict[str, dict[str, Any]], schema["properties"])
    cleaned = {name: _clean_property(prop) for name, prop in properties.items()}
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


@cache
def generated_result_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The outputSchema written from `model`: its structure only, `$defs` inlined (each is used once)."""
    schema = model.model_json_schema()
    return _structure(schema, schema.get("$defs", {}))


# Keys that describe rather than constrain; `additionalProperties: true` is the default.
_ANNOTATIONS = frozenset({"title", "description", "default", "$defs"})


def _structure(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_structure(item, definitions) for item in cast(list[Any], node)]
    if not isinstance(node, dict):
        return node
    node = cast(dict[str, Any], node)
    if "$ref" in node:
        return _structure(definitions[str(node["$ref"]).rsplit("/", 1)[-1]], definitions)
    kept = {
        key: _structure(value, definitions) if key != "properties" else _each(value, definitions)
        for key, value in node.items()
        if key not in _ANNOTATIONS and (key, value) != ("additionalProperties", True)
    }
    return _nullable(kept)


def _each(properties: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    return {name: _structure(prop, definitions) for name, prop in properties.items()}


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, null]` as X with `"type": [X's type, "null"]`."""
    variants = cast(list[dict[str, Any]], node.get("anyOf", []))
    if len(variants) != 2 or {"type": "null"} not in variants:
        return node
    (other,) = [variant for variant in variants if variant != {"type": "null"}]
    if not isinstance(other.get("type"), str):
        return node
    rest = {key: value for key, value in node.items() if key != "anyOf"}
    return {**rest, **other, "type": [other["type"], "null"]}
