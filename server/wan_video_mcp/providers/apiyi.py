"""APIYI: a DashScope-compatible submit under /wan, its own flat task query."""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from wan_video_mcp.errors import WanError
from wan_video_mcp.providers.base import CallKind, HttpRequest, HttpResponse
from wan_video_mcp.providers.dashscope import DashScopeCompatibleSubmit, status_to_state
from wan_video_mcp.providers.errormap import (
    MODERATION_WORDS,
    build_error,
    kind_from_status,
    retry_after_seconds,
)
from wan_video_mcp.tasks import TaskSnapshot, TaskState, expiry_of

SUBMIT_PATH = "/wan/api/v1/services/aigc/video-generation/video-synthesis"
STATES = {
    "submitted": TaskState.QUEUED,
    "in_progress": TaskState.RUNNING,
    "completed": TaskState.SUCCEEDED,
    "failed": TaskState.FAILED,
    # Not documented; accepted defensively.
    "queued": TaskState.QUEUED,
    "pending": TaskState.QUEUED,
    "processing": TaskState.RUNNING,
    "running": TaskState.RUNNING,
    "succeeded": TaskState.SUCCEEDED,
    "cancelled": TaskState.CANCELED,
    "canceled": TaskState.CANCELED,
}


class _Lenient(BaseModel):
    # Validators are built on first use, not at import (start-up needs none of them).
    model_config = ConfigDict(extra="allow", defer_build=True)


class ApiyiFailure(_Lenient):
    code: str | int | None = None
    message: str | None = None
    type: str | None = None


class ApiyiTask(_Lenient):
    task_id: str | None = None
    status: str
    progress: float | None = None
    result_url: str | None = None
    # The shape of `error` is not documented: a string or an object.
    error: ApiyiFailure | str | None = None


class ApiyiError(_Lenient):
    """Error bodies are not documented: DashScope-style, OpenAI-style, or plain."""

    code: str | int | None = None
    message: str | None = None
    error: ApiyiFailure | str | None = None

    def detail(self) -> tuple[str | None, str | None]:
        if isinstance(self.error, ApiyiFailure):
            return _text(self.error.code), self.error.message
        if isinstance(self.error, str):
            return _text(self.code), self.error
        return _text(self.code), self.message


class ApiyiAdapter(DashScopeCompatibleSubmit):
    name = "apiyi"
    submit_path: ClassVar[str] = SUBMIT_PATH
    label: ClassVar[str] = "APIYI"
    key_env: ClassVar[str] = "APIYI_API_KEY"
    poll_interval: ClassVar[float] = 10.0
    # [doc] 400 invalid or too many references, 401 key, 403 moderation or permission, 429 rate
    # limit or balance. Its 500 "upstream error" may come after DashScope created the job.
    refusal_statuses: ClassVar[frozenset[int]] = frozenset({400, 401, 403, 429})

    def poll_request(self, task_id: str) -> HttpRequest:
        return HttpRequest("GET", self.task_path(f"{self.base_url}/v1/tasks/", task_id), self._auth())

    def parse_poll(self, response: HttpResponse) -> TaskSnapshot:
        body = self.parse_body(ApiyiTask, response)
        state = status_to_state(self.label, body.status, STATES)
        code, message = (None, None)
        if state is TaskState.FAILED:
            code, message = ApiyiError(error=body.error).detail()
            message = message or "APIYI reported the task as failed without a reason."
        return TaskSnapshot(
            state=state,
            raw_status=body.status,
            progress_percent=body.progress,
            video_url=body.result_url,
            video_expires_at=expiry_of(body.result_url, None) if body.result_url else None,
            error_code=code,
            error_message=message,
        )

    def error_for(self, response: HttpResponse, call: CallKind) -> WanError:
        code, message = self.parse_or_empty(ApiyiError, response).detail()
        detail = message or response.text() or f"HTTP {response.status}"
        kind = kind_from_status(response.status, f"{code or ''} {detail}")
        if response.status == 403 and not any(word in detail.lower() for word in MODERATION_WORDS):
            kind = "auth"  # 403 is moderation or permission; without moderation words, permission
        return build_error(
            kind,
            label=self.label,
            detail=detail,
            code=code,
            call=call,
            key_hint=self.key_hint(),
            retry_after=retry_after_seconds(response),
        )

    def key_check_request(self) -> HttpRequest:
        return self.poll_request(f"task-check-{uuid.uuid4()}")


def _text(value: str | int | None) -> str | None:
    return None if value is None else str(value)
