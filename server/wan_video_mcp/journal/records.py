"""What the journal holds about one submission, whatever stores it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field

from wan_video_mcp.owners import ProcessOwner
from wan_video_mcp.tasks import utc_now

JournalState = Literal[
    "submitting",
    "submit_unknown",
    "rejected",
    "queued",
    "running",
    "succeeded",
    "failed",
    "canceled",
    "expired",
]
# The lease of a claim written before claims had one (schema 2 and older).
LEGACY_LEASE = timedelta(minutes=2)


class JournalRecord(BaseModel):
    id: int
    handle: str | None
    tool: str
    provider: str
    model: str
    params: dict[str, Any]
    fingerprint: str
    state: JournalState
    submitted_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    video_url: str | None = None
    video_expires_at: datetime | None = None
    usage: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
    progress_percent: float | None = None
    local_file: str | None = None
    download_error: str | None = None
    # Who is submitting (a `ProcessOwner` token) and until when that claim holds.
    owner: str | None = None
    lease_until: datetime | None = None
    provider_status: str | None = None
    # Local inputs uploaded for this submission (tasks.UploadedInput, as JSON).
    uploads: list[dict[str, Any]] = Field(default_factory=list[dict[str, Any]])
    # The cost estimate made before the submit (costs.Cost, as JSON).
    cost: dict[str, Any] | None = None
    # Who submitted it (a token's name or an OAuth subject); None over stdio or without auth.
    caller: str | None = None

    @property
    def outcome_unknown(self) -> bool:
        return self.state == "submit_unknown" or (self.state == "submitting" and self.lease_expired)

    @property
    def status(self) -> str:
        """The state a caller sees: an abandoned claim is an unknown outcome, and a claim still
        being submitted (by another call) reads as queued."""
        if self.outcome_unknown:
            return "submit_unknown"
        return "queued" if self.state == "submitting" else self.state

    @property
    def lease_expired(self) -> bool:
        return utc_now() > (self.lease_until or self.submitted_at + LEGACY_LEASE)


class UploadRecord(BaseModel):
    """One file content uploaded to one destination (a provider's model and account, or a
    bucket): reused while its copy is still there and its link still valid."""

    sha256: str
    destination: str
    location: str
    size: int
    uploaded_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Claim:
    """The answer to "is there one already? if not, I claim it": exactly one field is set."""

    row: int | None = None  # a new row this call owns and must submit
    existing: JournalRecord | None = None  # an identical submission to return instead


def fingerprint(tool: str, provider: str, model: str, identity: dict[str, Any]) -> str:
    """Same tool, provider, model and request => same fingerprint."""
    canonical = json.dumps([tool, provider, model, identity], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def abandoned_reason(record: JournalRecord) -> str | None:
    """Why nobody will ever record this claim's answer, or None while someone still may."""
    if record.state != "submitting":
        return None
    owner = ProcessOwner.from_token(record.owner or "")
    if owner is not None and owner.alive() is False:
        return (
            f"The server process that sent this submit (pid {owner.pid}) stopped before the provider's "
            "answer was recorded"
        )
    if record.lease_expired:
        return "No answer to this submit was recorded in time (the process that sent it may have stopped)"
    return None


def record_from_row(data: dict[str, Any]) -> JournalRecord:
    """A stored row (JSON columns as text) as a record; the stores share the column names."""
    data = dict(data)
    data["params"] = json.loads(data.pop("params_json"))
    usage = data.pop("usage_json")
    data["usage"] = json.loads(usage) if usage else None
    uploads = data.pop("uploads_json", None)
    data["uploads"] = json.loads(uploads) if uploads else []
    cost = data.pop("cost_json", None)
    data["cost"] = json.loads(cost) if cost else None
    return JournalRecord.model_validate(data)
