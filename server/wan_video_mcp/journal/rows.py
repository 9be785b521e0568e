"""The rows both stores write, built the same way whatever stores them: a claim, an adopted
handle, a snapshot's columns, a download's outcome."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from wan_video_mcp.journal.records import JournalRecord, fingerprint
from wan_video_mcp.owners import ProcessOwner
from wan_video_mcp.redaction import Redactor
from wan_video_mcp.tasks import TaskSnapshot, utc_now

# Only identical submissions in these states are returned instead of a new one.
REUSABLE_STATES = ("submitting", "submit_unknown", "queued", "running", "succeeded")
FINAL_STATES = ("succeeded", "failed", "canceled")
# The newest successes of one provider and model that were submitted here (an adopted
# handle's submitted_at is when it was adopted), for their run times -- only those submitted
# before the oldest job of theirs still running: of a batch submitted together, the first to
# finish are its shortest, and paced by them alone the rest would be polled as if late.
# Parameters: provider, model, provider, model, still_running_since(), limit.
RECENT_SUCCESSES = (
    "SELECT submitted_at, finished_at, run_seconds FROM tasks WHERE provider = {0} AND model = {0} AND "
    "state = 'succeeded' AND tool != 'unknown' AND finished_at IS NOT NULL AND id < COALESCE("
    "(SELECT MIN(id) FROM tasks WHERE provider = {0} AND model = {0} AND state IN ('queued', 'running') "
    "AND submitted_at >= {0}), 9223372036854775807) ORDER BY id DESC LIMIT {0}"
)
# A job "running" longer than this is one nobody collected, not one still running.
RUNNING_AT_MOST = timedelta(minutes=30)


def still_running_since() -> datetime:
    """Jobs submitted since then may still be running (see RECENT_SUCCESSES)."""
    return utc_now() - RUNNING_AT_MOST


def run_seconds(rows: list[tuple[Any, Any, float | None]]) -> list[float]:
    """Run times from (submitted_at, finished_at, run_seconds) rows, the times as datetimes
    or ISO text: submit to seen finished (which includes the poll's lag), or the provider's
    own figure where it gave one -- never longer than what we saw (a provider's two times in
    different zones would be hours apart)."""
    return [_run_time(_moment(end) - _moment(start), reported) for start, end, reported in rows]


def _run_time(seen: timedelta, reported: float | None) -> float:
    return seen.total_seconds() if reported is None else min(reported, seen.total_seconds())


def _moment(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


# What retention may delete once old: tasks that will not change any more. Never an unknown
# submit (the only record of a job that may be billed, and what stops paying for it twice)
# nor a task with a saved video.
PRUNABLE_STATES = ("succeeded", "failed", "canceled", "expired", "rejected")
PRUNABLE = ", ".join(f"'{state}'" for state in PRUNABLE_STATES)
PRUNE_TASKS = f"DELETE FROM tasks WHERE state IN ({PRUNABLE}) AND local_file IS NULL AND updated_at < "  # noqa: S608  (constants)
# An upload record is only useful while the provider's copy lives.
PRUNE_UPLOADS = "DELETE FROM uploads WHERE COALESCE(expires_at, uploaded_at) < "


def claim_row(  # noqa: PLR0917  (the claim's parts, as Journal.claim takes them)
    tool: str,
    provider: str,
    model: str,
    params: dict[str, Any],
    identity: dict[str, Any],
    lease: timedelta,
    redactor: Redactor,
    extra: dict[str, Any],
) -> dict[str, Any]:
    now = utc_now()
    uploads, cost = extra.get("uploads"), extra.get("cost")
    return {
        "tool": tool,
        "provider": provider,
        "model": model,
        "params_json": json.dumps(redactor.deep(params), sort_keys=True),
        "fingerprint": fingerprint(tool, provider, model, identity),
        "state": "submitting",
        "submitted_at": now.isoformat(),
        "updated_at": now.isoformat(),
        "owner": ProcessOwner.current().token,
        "lease_until": (now + lease).isoformat(),
        "uploads_json": json.dumps(uploads) if uploads else None,
        "cost_json": json.dumps(cost) if cost else None,
        "caller": extra.get("caller"),
    }


def claim_fingerprints(
    tool: str, provider: str, model: str, params: dict[str, Any], identity: dict[str, Any]
) -> tuple[str, str]:
    """This request's fingerprint, and the one rows journaled before schema 3 have (made from
    the parameters the caller set)."""
    return fingerprint(tool, provider, model, identity), fingerprint(tool, provider, model, params)


def adopted_row(handle: str, provider: str, caller: str | None) -> dict[str, Any]:
    now = utc_now().isoformat()
    return {
        "handle": handle,
        "tool": "unknown",
        "provider": provider,
        "model": "unknown",
        "params_json": "{}",
        "fingerprint": f"adopted:{handle}",  # never matches a new submission
        "state": "queued",
        "submitted_at": now,
        "updated_at": now,
        "caller": caller,
    }


def snapshot_values(snapshot: TaskSnapshot, redactor: Redactor) -> dict[str, Any]:
    values: dict[str, Any] = {
        "state": snapshot.state.value,
        "provider_status": snapshot.raw_status,
        "progress_percent": snapshot.progress_percent,
        "error_code": snapshot.error_code,
        "error_message": snapshot.error_message,
    }
    if snapshot.state.is_terminal:
        # Our clock, like submitted_at: provider clocks and zones are not ours to trust.
        values["finished_at"] = utc_now().isoformat()
        if snapshot.run_seconds is not None:
            values["run_seconds"] = snapshot.run_seconds
    if snapshot.video_url:
        values["video_url"] = snapshot.video_url
        values["video_expires_at"] = _iso(snapshot.video_expires_at)
    if snapshot.usage is not None:
        values["usage_json"] = json.dumps(redactor.deep(snapshot.usage))
    return values


def download_values(local_file: str | None, error: str | None) -> dict[str, Any]:
    return (
        {"download_error": error}
        if local_file is None
        else {"local_file": local_file, "download_error": None}
    )


def reused_too_late(record: JournalRecord, window: timedelta) -> bool:
    """A succeeded task older than the dedupe window is not returned for a new identical call."""
    return record.state == "succeeded" and utc_now() - (record.finished_at or record.submitted_at) > window


def conflicting_handle_message(handle: str) -> str:
    return (
        f"The provider answered with task id {handle}, which an earlier submission already has; "
        "it may have returned that task instead of creating a new one. Check it with get_task"
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
