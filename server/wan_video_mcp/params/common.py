"""What every generating tool shares: URL and prompt types, the call options
(provider, wait budget, force_new) and the rules for "did the caller set this?"."""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wan_video_mcp.settings import ProviderName

ModelName = Literal["wan2.7-r2v", "wan2.7-videoedit", "wan2.1-vace-plus"]
ToolName = Literal["generate_reference_video", "edit_video", "vace_edit"]

MAX_SEED = 2147483647
URL_PATTERN = r"^(https?|oss)://\S+$"
OSS_PREFIX = "oss://"

MediaUrl = Annotated[
    str,
    Field(
        pattern=URL_PATTERN,
        max_length=4096,
        json_schema_extra={"format": "uri"},
        description=(
            "Publicly reachable http(s) URL (the provider downloads it), or an oss:// URL from DashScope's "
            "temporary upload (DashScope only)."
        ),
    ),
]
Resolution = Literal["720P", "1080P"]
Ratio = Literal["16:9", "9:16", "1:1", "4:3", "3:4"]

Seed = Annotated[
    int | None,
    Field(
        ge=0,
        le=MAX_SEED,
        description=(
            "Random seed 0-2147483647. The same seed with the same inputs gives a similar (not identical) "
            "result; omit for a random seed."
        ),
    ),
]
PromptExtend = Annotated[
    bool,
    Field(
        description=(
            "Let the provider rewrite and enrich the prompt before generating. Improves short prompts; "
            "set false to use the prompt exactly as written."
        ),
    ),
]
Watermark = Annotated[bool, Field(description='Add the "AI generated" watermark to the corner of the video.')]
NegativePrompt = Annotated[
    str | None,
    Field(min_length=1, max_length=500, description="What the video must not show, up to 500 characters."),
]

# Fields every generating tool has that are about the call, not the model: they never
# reach the provider and are not part of the duplicate-submission fingerprint.
CALL_OPTION_FIELDS = ("provider", "wait_seconds", "force_new")


class StrictArguments(BaseModel):
    """Unknown arguments are refused; lists and objects sent as JSON text are accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _decode_json_strings(cls, data: Any) -> Any:
        # Some clients send lists and objects as JSON text ('["a","b"]').
        if not isinstance(data, dict):
            return data
        decoded: dict[str, Any] = {}
        for key, value in data.items():  # pyright: ignore[reportUnknownVariableType]
            decoded[str(key)] = _maybe_json_container(value)  # pyright: ignore[reportUnknownArgumentType]
        return decoded


class ToolArguments(StrictArguments):
    """Base of the three generating tools' arguments."""

    tool: ClassVar[ToolName]
    model: ClassVar[ModelName]

    provider: ProviderName | None = Field(
        None,
        description=(
            "Which provider runs the job: dashscope (Alibaba Model Studio), apiyi, modellix or aimlapi "
            "(AI/ML API, wan2.7-r2v only). Omit to use the server's configured default."
        ),
    )
    wait_seconds: float | None = Field(
        None,
        ge=0,
        le=3600,
        description=(
            "How long this call may wait for the job before returning a still-running result with a task "
            "handle (jobs take 1-10 minutes). 0 returns right after submitting. Omit for the server default "
            "(safe for clients that time out at 60 s). Continue waiting later with get_task."
        ),
    )
    force_new: bool = Field(
        False,
        description=(
            "Submit a new paid job even if an identical request is still running or finished recently "
            "(by default that earlier task is returned instead of paying twice). Costs money again."
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
