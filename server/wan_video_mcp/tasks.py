"""Task handles, the one canonical task state, and the result every tool returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from wan_video_mcp.costs.model import Cost
from wan_video_mcp.deferred import DeferredModel
from wan_video_mcp.errors import InvalidRequest
from wan_video_mcp.settings import PROVIDER_NAMES, ProviderName

# Providers keep task ids and result links for 24 hours.
RESULT_LIFETIME = timedelta(hours=24)
# Typical run time per model, for progress estimates and "ask again in about ..." hints.
TYPICAL_RUN_SECONDS = {"wan2.7-r2v": 240.0, "wan2.7-videoedit": 240.0, "wan2.1-vace-plus": 450.0}
# A job past its typical time is expected "any moment": check back after this long.
SOON_SECONDS = 30.0


class TaskState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self not in (TaskState.QUEUED, TaskState.RUNNING)


@dataclass(frozen=True)
class TaskHandle:
    """`<provider>:<provider task id>`: enough for any replica to find the task again."""

    provider: ProviderName
    task_id: str

    def __str__(self) -> str:
        return f"{self.provider}:{self.task_id}"

    @property
    def short(self) -> str:
        return f"{self.provider}:{self.task_id[:8]}"

    @classmethod
    def parse(cls, text: str) -> TaskHandle:
        """The shape `<provider>:<id>`; each provider's own id rules are checked by its adapter."""
        provider, sep, task_id = text.strip().partition(":")
        provider, task_id = provider.strip().lower(), task_id.strip()
        if not sep or not task_id:
            raise bad_handle(text, 'is not a task handle shaped "<provider>:<id>"')
        if provider not in PROVIDER_NAMES:
            raise bad_handle(text, f"names no provider this server knows ({', '.join(PROVIDER_NAMES)})")
        return cls(provider, task_id)  # pyright: ignore[reportArgumentType]  # checked just above


def bad_handle(text: str, problem: str) -> InvalidRequest:
    return InvalidRequest(
        "task_id",
        f"{text[:120]!r} {problem}.",
        'Pass the task_id a generating tool returned, shaped "<provider>:<id>", e.g. '
        '"dashscope:0385dc79-5ff8-4d82-bcb6-xxxxxxxxxxxx" (or find it with list_tasks).',
    )


class TaskSnapshot(DeferredModel):
    """What one poll of the provider said, in canonical terms."""

    model_config = ConfigDict(frozen=True)

    state: TaskState
    raw_status: str
    progress_percent: float | None = None
    video_url: str | None = None
    video_expires_at: datetime | None = None
    usage: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    # How long the job took, submit to end, by the provider's own clock (both ends on it, so
    # its zone and offset cancel out): unlike our "seen finished" time, no poll lag in it.
    run_seconds: float | None = None


def provider_run_seconds(submitted: datetime | None, ended: datetime | None) -> float | None:
    """The provider's submit-to-end time, when it gave both and they make sense."""
    if submitted is None or ended is None:
        return None
    seconds = (ended - submitted).total_seconds()
    return seconds if seconds > 0 else None


class TaskError(DeferredModel):
    code: str | None = Field(default=None, description="The provider's error code, when it gave one.")
    message: str = Field(description="What went wrong, in the provider's words or ours.")


class ContinueWith(DeferredModel):
    """The exact call that keeps waiting for this task."""

    tool: Literal["get_task"] = "get_task"
    arguments: dict[str, Any]
    after_seconds: int | None = Field(
        default=None,
        description="About when the job should be done (from typical run times): a good time to call.",
    )


class UploadedInput(DeferredModel):
    """A local file the server made reachable for the provider before submitting."""

    parameter: str = Field(description="Which argument held the file, e.g. reference_images[0].")
    file: str = Field(description="The local file's absolute path.")
    sha256: str
    method: Literal["provider", "bucket", "inline"] = Field(
        description="provider: the provider's own temporary upload; bucket: your S3-compatible bucket "
        "(a presigned URL); inline: sent inside the request."
    )
    location: str = Field(description="Where the copy is (oss://..., s3://bucket/key; inline: none).")
    valid_until: datetime | None = Field(
        default=None, description="When the provider's link to it stops working."
    )
    reused: bool = Field(
        default=False, description="True when an earlier upload of the same content was used."
    )


class VideoProperties(DeferredModel):
    """The finished video as read from the saved file (not as requested)."""

    duration_seconds: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    has_audio: bool = False
    size_bytes: int


class CancelOutcome(DeferredModel):
    """What a cancel_task call did."""

    outcome: Literal["canceled", "refused", "not_supported", "already_finished", "unknown"] = Field(
        description="canceled: the provider stopped the job; refused: the provider would not (it runs on and "
        "is billed); not_supported: this provider has no way to cancel; already_finished: nothing to cancel; "
        "unknown: no answer came back (get_task shows the state)."
    )
    message: str


class DryRun(DeferredModel):
    """What a dry run would have sent (nothing was)."""

    request: dict[str, Any] = Field(
        description="The parameters the provider would receive, as the call set them."
    )
    local_files: list[str] = Field(
        default_factory=list[str], description="Local files that would be uploaded first (checked, not sent)."
    )
    identical_task: str | None = Field(
        default=None,
        description="An identical earlier task a real call would return instead of paying again.",
    )


class TaskResult(DeferredModel):
    """structuredContent of every tool result (the tools' outputSchema)."""

    task_id: str | None = Field(
        description='Durable handle "<provider>:<provider task id>"; pass it to get_task. Null only when '
        "a submit's outcome is unknown."
    )
    status: Literal[
        "queued", "running", "succeeded", "failed", "canceled", "expired", "submit_unknown", "dry_run"
    ]
    done: bool = Field(description="True when the task will not change any more.")
    provider: ProviderName
    model: str
    video_url: str | None = Field(
        default=None, description="Provider link to the finished mp4 (expires, see video_expires_at)."
    )
    video_expires_at: datetime | None = None
    local_file: str | None = Field(
        default=None, description="Absolute path of the saved copy of the video, if saved."
    )
    progress_percent: float | None = Field(
        default=None, description="Progress the provider reported, when it reports one."
    )
    provider_status: str | None = Field(
        default=None, description="The status word the provider itself answered with on the last query."
    )
    elapsed_seconds: float | None = Field(default=None, description="Seconds since the task was submitted.")
    submitted_at: datetime | None = None
    finished_at: datetime | None = None
    usage: dict[str, Any] | None = Field(
        default=None, description="Billing/usage figures exactly as the provider reported."
    )
    error: TaskError | None = None
    reused: bool = Field(
        default=False, description="True when an identical earlier task was returned instead of a new one."
    )
    continue_with: ContinueWith | None = Field(
        default=None, description="Call this to keep waiting (set while not done)."
    )
    video: VideoProperties | None = Field(default=None, description="The saved video's real properties.")
    contact_sheet: str | None = Field(
        default=None,
        description="Absolute path of a JPEG of frames spread through the video (also in the content).",
    )
    uploads: list[UploadedInput] = Field(
        default_factory=list[UploadedInput], description="Local input files uploaded for this task."
    )
    cost: Cost | None = Field(
        default=None, description="The job's price: the estimate before submitting, the actual after."
    )
    dry_run: DryRun | None = Field(
        default=None, description="Set only on a dry run: what would have been sent."
    )
    cancel: CancelOutcome | None = Field(
        default=None, description="Set only by cancel_task: what the cancel did."
    )
    notes: list[str] = Field(default_factory=list, description="Things worth telling the user.")
    # The journal row behind the result: the only name of a task whose submit outcome is unknown
    # (it has no handle). Not part of structuredContent.
    journal_row: SkipJsonSchema[int | None] = Field(default=None, exclude=True, repr=False)


def typical_remaining(model: str, elapsed: float, percent: float | None) -> float:
    """Seconds until a running job is usually done: from the provider's percentage when it
    reports one, else from the model's typical run time."""
    if percent is not None and 1 <= percent < 100:
        return max(SOON_SECONDS, elapsed * (100 - percent) / percent)
    return max(SOON_SECONDS, TYPICAL_RUN_SECONDS.get(model, 300.0) - elapsed)


def expiry_of(url: str, finished_at: datetime | None) -> datetime:
    """When a result link stops working: its signed `Expires` if present, else 24 h after the end."""
    query = parse_qs(urlsplit(url).query)
    for name in ("Expires", "expires", "X-Expires"):
        values = query.get(name)
        if values and values[0].isdigit() and (moment := from_epoch(int(values[0]))) is not None:
            return moment
    try:
        return (finished_at or datetime.now(UTC)) + RESULT_LIFETIME
    except OverflowError:  # a provider's "finished" date at the end of the calendar
        return datetime.now(UTC) + RESULT_LIFETIME


def from_epoch(seconds: float) -> datetime | None:
    """A provider's epoch timestamp, or None when it is no date at all (too large, negative...)."""
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def utc_now() -> datetime:
    return datetime.now(UTC)
