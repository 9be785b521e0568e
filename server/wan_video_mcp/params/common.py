"""What every generating tool shares: URL and prompt types, the call options
(provider, wait budget, force_new) and the rules for "did the caller set this?"."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from typing import Annotated, Any, ClassVar, Literal, Self, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from wan_video_mcp.deferred import DeferredModel
from wan_video_mcp.params.media import OSS_PREFIX, MediaItem, MediaKind, media_items, replaced
from wan_video_mcp.settings import ProviderName

ModelName = Literal["wan2.7-r2v", "wan2.7-videoedit", "wan2.1-vace-plus"]
ToolName = Literal["generate_reference_video", "edit_video", "vace_edit"]

MAX_SEED = 2147483647
# More entries than any list or object parameter takes (the largest allow 5).
MAX_ENTRIES = 100
# Characters that print nothing: format (zero-width, BOM), separators, controls.
INVISIBLE = frozenset({"Cf", "Zs", "Zl", "Zp", "Cc"})
# Control characters other than tab and newlines: nothing a prompt means, and a way to
# smuggle text past a provider's filters.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _meaningful_text(text: str) -> str:
    if all(char.isspace() or unicodedata.category(char) in INVISIBLE for char in text):
        raise PydanticCustomError("blank_text", "is only white space; write what you mean")
    if CONTROL_CHARACTERS.search(text):
        raise PydanticCustomError(
            "control_character", "contains a control character (such as NUL); remove it"
        )
    return text


def _integral_number(value: Any) -> Any:
    # JSON Schema counts 5.0 as an integer, and some clients serialise numbers that way;
    # that is a spelling of 5, not a coercion. "5" and 5.5 stay refused.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_integral_number)]

Resolution = Literal["720P", "1080P"]
Ratio = Literal["16:9", "9:16", "1:1", "4:3", "3:4"]

Seed = Annotated[
    int | None,
    Field(
        ge=0,
        le=MAX_SEED,
        description=(
            "Omit for a random seed; the same seed and inputs give a similar (not identical) result."
        ),
    ),
    BeforeValidator(_integral_number),
]
PromptExtend = Annotated[
    bool,
    Field(
        description=(
            "Let the provider enrich the prompt (helps short ones); false uses it exactly as written."
        ),
    ),
]
Watermark = Annotated[bool, Field(description='Add the "AI generated" watermark to the corner of the video.')]
Text = Annotated[str, AfterValidator(_meaningful_text)]
NegativePrompt = Annotated[
    Text | None,
    Field(min_length=1, max_length=500, description="What the video must not show, up to 500 characters."),
]

# Fields every generating tool has that are about the call, not the model: they never
# reach the provider and are not part of the duplicate-submission fingerprint.
CALL_OPTION_FIELDS = ("provider", "wait_seconds", "force_new", "dry_run")


class StrictArguments(DeferredModel):
    """Unknown arguments and values of the wrong JSON type are refused ("5" is not 5, "yes" is
    not true), with one documented exception: array and object parameters sent as JSON text."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _decode_json_containers(cls, data: Any) -> Any:
        # A well-known client quirk: some clients send lists and objects as JSON text
        # ('["a","b"]'). Only array and object parameters are decoded; a prompt that
        # looks like JSON stays the string it is.
        if not isinstance(data, dict):
            return data
        containers = _container_fields(cls)
        decoded: dict[str, Any] = {}
        for key, value in data.items():  # pyright: ignore[reportUnknownVariableType]
            name = str(key)  # pyright: ignore[reportUnknownArgumentType]
            decoded[name] = _maybe_json_container(value) if name in containers else value
            _refuse_floods(name, decoded[name])
        return decoded


class ToolArguments(StrictArguments):
    """Base of the three generating tools' arguments."""

    tool: ClassVar[ToolName]
    model: ClassVar[ModelName]
    # Each media parameter and what it must hold.
    media_kinds: ClassVar[dict[str, MediaKind]]

    provider: ProviderName | None = Field(
        None,
        description=("Which provider runs (and bills) the job. Omit for the server's default."),
    )
    wait_seconds: float | None = Field(
        None,
        ge=0,
        le=3600,
        description=(
            "Seconds to wait before returning a still-running task_id (0: right after submitting). Omit: "
            "the server picks a wait your client will not time out on."
        ),
    )
    force_new: bool = Field(
        False,
        description=(
            "Pay for a new job even if an identical one is running or recently finished (by default that "
            "task is returned)."
        ),
    )

    dry_run: bool = Field(
        False,
        description=(
            "Only check and answer with the provider, request and cost estimate: no upload, submit or charge."
        ),
    )

    def was_set(self, name: str) -> bool:
        """True when the caller gave `name` a real value (not omitted, null or empty)."""
        if name not in self.model_fields_set:
            return False
        value = getattr(self, name)
        return value is not None and value not in ([], {})

    def request_params(self) -> dict[str, Any]:
        """The model parameters the caller set, in JSON form: journal record and fingerprint."""
        names = [name for name in type(self).model_fields if name not in CALL_OPTION_FIELDS]
        return {name: _jsonable(getattr(self, name)) for name in names if self.was_set(name)}

    def identity(self) -> dict[str, Any]:
        """Every model parameter with its effective value, defaults included: two calls with the
        same identity (and provider) are the same request, however the caller spelled it."""
        names = [name for name in type(self).model_fields if name not in CALL_OPTION_FIELDS]
        return {name: _jsonable(getattr(self, name)) for name in names}

    def media(self) -> list[MediaItem]:
        """Every media input of this call, in parameter order."""
        return list(media_items(self, self.media_kinds))

    def with_references(self, references: dict[str, str]) -> Self:
        """A copy whose media references are swapped (old -> new): local files for the URLs they
        were uploaded to, or for their content hashes when comparing requests."""
        return self.model_copy(update=replaced(self, self.media_kinds, references))

    def uses_oss(self) -> bool:
        """True when any input is an oss:// URL, which only DashScope can read."""
        return any(_is_oss(getattr(self, name)) for name in type(self).model_fields)

    def check_rules(self) -> None:
        """Cross-field rules; raise `InvalidRequest`. Overridden per tool."""

    def notes(self) -> list[str]:
        """Harmless surprises worth telling the caller about (never errors)."""
        return []


def _is_oss(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith(OSS_PREFIX)
    if isinstance(value, list | tuple):
        return any(_is_oss(item) for item in value)  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, dict):
        return any(_is_oss(item) for item in value.values())  # pyright: ignore[reportUnknownVariableType]
    return False


def _refuse_floods(name: str, value: Any) -> None:
    """Thousands of entries where a handful are allowed are refused before each is checked
    (validating them one by one would hold up every other call)."""
    if isinstance(value, list | dict) and len(value) > MAX_ENTRIES:  # pyright: ignore[reportUnknownArgumentType]
        raise PydanticCustomError(
            "too_many_entries",
            "`{name}` has {count} entries; no parameter takes more than a handful",
            {"name": name, "count": len(value)},  # pyright: ignore[reportUnknownArgumentType]
        )


@cache
def _container_fields(model: type[BaseModel]) -> frozenset[str]:
    """The fields whose JSON type is an array or an object."""
    return frozenset(
        name for name, info in model.model_fields.items() if get_origin(info.annotation) in (list, dict)
    )


def _maybe_json_container(value: Any) -> Any:
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return value
