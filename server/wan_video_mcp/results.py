"""Build a tool result: structuredContent (`TaskResult`), a short text for the model,
and `resource_link`s to the video."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mcp_types import CallToolResult, ContentBlock, ImageContent, ResourceLink, TextContent

from wan_video_mcp.costs.model import Cost
from wan_video_mcp.settings import ProviderName
from wan_video_mcp.tasks import (
    ContinueWith,
    TaskError,
    TaskResult,
    UploadedInput,
    VideoProperties,
    typical_remaining,
    utc_now,
)

if TYPE_CHECKING:
    from wan_video_mcp.journal import JournalRecord

# Notes about the moment, not the call: a status query that failed, the video's saving.
PROBLEM_NOTE = "Last status query: "
SAVING_NOTE = "The video is still being saved in the background; get_task will show local_file."
LINK_EXPIRED_NOTE = "The video link has expired, so it can no longer be saved."
SAVE_FAILED_NOTE = "Saving the video failed: "
MOMENTARY_NOTES = (PROBLEM_NOTE, SAVING_NOTE, LINK_EXPIRED_NOTE, SAVE_FAILED_NOTE)
# Below this wait per call, the model is told when to come back rather than to keep waiting.
QUICK_LIMIT_SECONDS = 10.0
# Failure codes whose cure is different inputs, not another try.
INPUT_PROBLEMS = ("DataInspection", "InvalidParameter", "InvalidURL", "BadRequest", "moderation")


@dataclass
class LiveFacts:
    """What the current call knows beyond the journal record."""

    reused: bool = False
    notes: list[str] = field(default_factory=list[str])
    problem: str | None = None


def task_result(record: JournalRecord, facts: LiveFacts) -> TaskResult:
    status = record.status
    done = status not in ("queued", "running")
    error = None
    if status == "submit_unknown":
        message = record.error_message or "The server stopped while submitting; no answer was recorded."
        error = TaskError(code=None, message=message)
    elif record.state in ("failed", "expired") and record.error_message:
        error = TaskError(code=record.error_code, message=record.error_message)
    notes = list(facts.notes)
    if record.download_error and not record.local_file:
        notes.append(
            f"{SAVE_FAILED_NOTE}{record.download_error} The video_url still works until "
            f"{_when(record.video_expires_at)}."
        )
    if facts.problem and not done:
        notes.append(f"{PROBLEM_NOTE}{facts.problem}.")
    return TaskResult(
        task_id=record.handle,
        status=status,  # pyright: ignore[reportArgumentType]  # a JournalRecord.status
        done=done,
        provider=_provider(record.provider),
        model=record.model,
        video_url=record.video_url,
        video_expires_at=record.video_expires_at,
        local_file=record.local_file,
        progress_percent=record.progress_percent,
        provider_status=record.provider_status,
        elapsed_seconds=round(((record.finished_at or utc_now()) - record.submitted_at).total_seconds(), 1),
        submitted_at=record.submitted_at,
        finished_at=record.finished_at,
        usage=record.usage,
        error=error,
        reused=facts.reused,
        continue_with=None if done or not record.handle else _continue_with(record),
        uploads=[UploadedInput.model_validate(upload) for upload in record.uploads],
        cost=Cost.model_validate(record.cost) if record.cost else None,
        notes=notes,
        journal_row=record.id or None,
    )


def _continue_with(record: JournalRecord) -> ContinueWith:
    assert record.handle is not None
    elapsed = (utc_now() - record.submitted_at).total_seconds()
    remaining = typical_remaining(record.model, elapsed, record.progress_percent)
    return ContinueWith(arguments={"task_id": record.handle}, after_seconds=round(remaining))


def _provider(name: str) -> ProviderName:
    assert name in ("dashscope", "apiyi", "modellix", "aimlapi")
    return name  # pyright: ignore[reportReturnType]


@dataclass(frozen=True)
class View:
    """How to present a result to this caller (see callers.py)."""

    wait_seconds: float  # how long this caller's calls wait: a few seconds, or most of a minute
    link_file: bool = False  # a resource_link to the saved video (readable with resources/read)
    # get_task reports a task; a task that failed is its answer, not a failed call (agent
    # frameworks turn an isError result into a retry, then into an aborted run).
    lookup: bool = False
    sheet: bytes | None = None  # the contact sheet (JPEG), shown to the model as an image


def render(result: TaskResult, view: View) -> CallToolResult:
    content: list[ContentBlock] = [TextContent(type="text", text=summary(result, view))]
    if view.sheet is not None:
        content.append(
            ImageContent(type="image", data=base64.b64encode(view.sheet).decode(), mime_type="image/jpeg")
        )
    if view.link_file and result.local_file:
        content.append(_file_link(Path(result.local_file)))
    if view.link_file and result.contact_sheet:
        content.append(_sheet_link(Path(result.contact_sheet)))
    is_error = not view.lookup and is_failure(result)
    return CallToolResult(
        content=content, structured_content=result.model_dump(mode="json"), is_error=is_error
    )


def is_failure(result: TaskResult) -> bool:
    """No video came or will come (a generating tool's result is then an error)."""
    return result.status in ("failed", "submit_unknown") or (
        result.status == "expired" and not result.local_file
    )


def summary(result: TaskResult, view: View) -> str:
    """Everything the model needs, as text: many clients show it nothing else."""
    # cancel_task's answer leads with what the cancel did, then the task as it now stands.
    lines = [result.cancel.message] if result.cancel is not None else []
    lines.append(headline(result))
    if result.dry_run is not None:
        lines.append(f"Request: {json.dumps(result.dry_run.request, ensure_ascii=False)}")
    if result.cost is not None:
        lines.append(cost_clause(result.cost))
    if result.local_file:
        lines.append(f"Saved to: {result.local_file}")
    if result.video is not None:
        lines.append(_described(result.video))
    if result.contact_sheet:
        lines.append(f"Contact sheet (frames through the video, shown as an image): {result.contact_sheet}")
    if result.video_url and result.status == "succeeded":
        lines.append(f"Video URL (valid until {_when(result.video_expires_at)}): {result.video_url}")
    if result.continue_with is not None:
        lines.append(_how_to_continue(result.continue_with, view))
    lines += [_uploaded(upload) for upload in result.uploads]
    lines += result.notes
    return "\n".join(lines)


def cost_clause(cost: Cost) -> str:
    """The price in one short clause: the charge when reported, else the estimate, else why none."""
    if cost.actual is not None and cost.actual_reported:
        return f"Cost: {cost.actual:.2f} {cost.currency} charged ({cost.actual_basis})."
    if cost.actual is not None:
        return f"Cost: about {cost.actual:.2f} {cost.currency} ({cost.actual_basis})."
    if cost.estimate is None:
        return f"Cost: {cost.basis[0].lower()}{cost.basis[1:]}"
    kind = "at most" if cost.upper_bound else "about"
    return f"Cost: {kind} {cost.estimate:.2f} {cost.currency} ({cost.basis})."


def _described(video: VideoProperties) -> str:
    seconds = f"{video.duration_seconds:.1f} s" if video.duration_seconds is not None else "unknown length"
    size = f"{video.width}x{video.height}" if video.width and video.height else "unknown size"
    fps = f", {video.fps:g} fps" if video.fps else ""
    sound = "with sound" if video.has_audio else "silent"
    amount = (
        f"{video.size_bytes / 2**20:.1f} MB"
        if video.size_bytes >= 2**20
        else f"{video.size_bytes / 1024:.0f} KB"
    )
    return f"The video: {seconds}, {size}{fps}, {sound}, {amount}."


def _uploaded(upload: UploadedInput) -> str:
    how = {
        "provider": "uploaded to the provider",
        "bucket": "uploaded to your bucket",
        "inline": "sent inline",
    }
    where = "" if upload.method == "inline" else f" as {upload.location}"
    until = f", link valid until {_when(upload.valid_until)}" if upload.valid_until else ""
    again = " (an earlier upload, reused)" if upload.reused else ""
    return f"Input {upload.parameter} ({upload.file}) {how[upload.method]}{where}{until}{again}."


def _how_to_continue(step: ContinueWith, view: View) -> str:
    call = json.dumps(step.arguments)
    soon = _in_about(step.after_seconds or 0)
    if view.wait_seconds < QUICK_LIMIT_SECONDS:
        return (
            f"Nothing is lost: the job keeps running and is usually done {soon}. Then call get_task with "
            f"{call}; a call before that returns within seconds with this same status. If you cannot wait, "
            "end your turn and give the user the task_id: get_task picks the job up at any time, even in "
            "a later conversation."
        )
    return (
        f"Nothing is lost: the job keeps running (usually done {soon}). To keep waiting, call get_task "
        f"with {call}; each call waits up to {view.wait_seconds:.0f} s for it."
    )


def _in_about(seconds: float) -> str:
    if seconds < 90:
        return f"in about {max(10, round(seconds / 10) * 10)} seconds"
    return f"in about {round(seconds / 60)} minutes"


def headline(result: TaskResult) -> str:
    """The result in one sentence: who, what state, what it means."""
    who = f"{result.task_id} ({result.model} via {result.provider})"
    elapsed = f"{result.elapsed_seconds:.0f}s" if result.elapsed_seconds is not None else "?"
    match result.status:
        case "succeeded":
            return f"Video ready: {who}, took {elapsed}."
        case "queued" | "running":
            percent = f", {result.progress_percent:.0f}%" if result.progress_percent is not None else ""
            return f"Still {result.status} after {elapsed}{percent}: {who}. Jobs usually take 1-10 minutes."
        case "failed":
            return f"Task {who} failed: {_error_text(result).rstrip('.')}. {_failure_advice(result)}"
        case "canceled":
            return f"Task {who} was canceled at the provider; no video will come."
        case "dry_run":
            return f"Dry run: {result.model} via {result.provider} would be submitted (nothing was sent)."
        case "expired":
            if result.local_file:
                return f"{who}: the provider has forgotten this task (kept ~24 h), but the video was saved."
            return (
                f"Task {who} is not known to the provider any more: results are kept about 24 hours, or "
                "the id is wrong. list_tasks shows the tasks this server knows."
            )
        case _:
            return (
                f"{_error_text(result)}, so it is unknown whether a {result.model} job was created at "
                f"{result.provider} (and billed). Do not resubmit right away: call list_tasks (status "
                "submit_unknown), or check the provider's console. Pass force_new=true only if you are "
                "sure no job exists."
            )


def _error_text(result: TaskResult) -> str:
    if result.error is None:
        return "no reason given"
    return f"{result.error.code}: {result.error.message}" if result.error.code else result.error.message


def _failure_advice(result: TaskResult) -> str:
    text = _error_text(result)
    if any(marker in text for marker in INPUT_PROBLEMS):
        return "Change the inputs before trying again; the same request will fail the same way."
    return (
        "This may be temporary: call the tool again with the same arguments to retry (billed as a new job)."
    )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "about 24 h after it finished"


def _sheet_link(path: Path) -> ResourceLink:
    return _link(path, "image/jpeg", "Contact sheet: frames spread through the video")


def _file_link(path: Path) -> ResourceLink:
    return _link(path, "video/mp4", "Saved copy of the generated video")


def _link(path: Path, mime_type: str, what: str) -> ResourceLink:
    return ResourceLink(
        type="resource_link",
        uri=path.as_uri(),
        name=path.name,
        mime_type=mime_type,
        description=f"{what} (readable with resources/read).",
    )
