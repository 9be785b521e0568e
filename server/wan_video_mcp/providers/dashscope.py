"""DashScope (Alibaba Cloud Model Studio), the models' native API."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from wan_video_mcp.errors import UnknownTaskStatus, WanError
from wan_video_mcp.params import GeneratingArgs, ModelName
from wan_video_mcp.providers.base import CallKind, HttpRequest, HttpResponse, KeyVerdict, ProviderAdapter
from wan_video_mcp.providers.dashscope_body import dashscope_body
from wan_video_mcp.providers.errormap import ErrorKind, build_error, kind_from_status, retry_after_seconds
from wan_video_mcp.settings import Settings
from wan_video_mcp.tasks import TaskSnapshot, TaskState, expiry_of, provider_run_seconds

SUBMIT_PATH = "/api/v1/services/aigc/video-generation/video-synthesis"
STATES = {
    "PENDING": TaskState.QUEUED,
    "RUNNING": TaskState.RUNNING,
    "SUCCEEDED": TaskState.SUCCEEDED,
    "FAILED": TaskState.FAILED,
    "CANCELED": TaskState.CANCELED,
    # An expired (older than 24 h) or unknown task id answers 200 with UNKNOWN.
    "UNKNOWN": TaskState.EXPIRED,
}
# [inferred] DashScope prints times without a zone; they are China Standard Time.
DASHSCOPE_TZ = timezone(timedelta(hours=8))
# "2025-09-25 11:07:28.590", the provider's local time (seconds' fraction optional).
DASHSCOPE_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?")


class _Lenient(BaseModel):
    # Validators are built on first use, not at import (start-up needs none of them).
    model_config = ConfigDict(extra="ignore", defer_build=True)


class DashScopeSubmitted(_Lenient):
    class Output(_Lenient):
        task_id: str
        task_status: str | None = None

    output: Output
    request_id: str | None = None


class DashScopeTask(_Lenient):
    class Output(_Lenient):
        task_id: str | None = None
        task_status: str
        video_url: str | None = None
        submit_time: str | None = None
        end_time: str | None = None
        code: str | None = None
        message: str | None = None

    output: Output
    usage: dict[str, Any] | None = None
    request_id: str | None = None


class DashScopeError(_Lenient):
    code: str | None = None
    message: str | None = None
    request_id: str | None = None


def status_to_state(adapter: str, raw: str, table: dict[str, TaskState]) -> TaskState:
    state = table.get(raw)
    if state is None:
        raise UnknownTaskStatus(adapter, raw)
    return state


def parse_dashscope_time(value: str | None) -> datetime | None:
    # Checked first, so that no other ISO form (an offset, a "T") is read as Beijing time;
    # then read by `fromisoformat`, ~40 times quicker than `strptime` (2-3 times every poll).
    if not value or not DASHSCOPE_TIME.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=DASHSCOPE_TZ)
    except ValueError:
        return None  # a 13th month


class DashScopeCompatibleSubmit(ProviderAdapter):
    """The DashScope submit (async header, model/input/parameters body), which APIYI copies."""

    submit_path: ClassVar[str] = SUBMIT_PATH

    def submit_request(self, args: GeneratingArgs) -> HttpRequest:
        model_id = self.model_id(args.model)
        assert model_id is not None, "the registry only routes offered models here"
        headers = {**self._auth(), "Content-Type": "application/json", "X-DashScope-Async": "enable"}
        headers.update(self.extra_headers(args))
        return HttpRequest(
            "POST", self.base_url + self.submit_path, headers, json=dashscope_body(args, model_id)
        )

    def parse_submitted(self, response: HttpResponse) -> str:
        return self.parse_body(DashScopeSubmitted, response).output.task_id

    def extra_headers(self, args: GeneratingArgs) -> dict[str, str]:
        del args
        return {}


class DashScopeAdapter(DashScopeCompatibleSubmit):
    name = "dashscope"
    label: ClassVar[str] = "DashScope"
    key_env: ClassVar[str] = "DASHSCOPE_API_KEY"
    poll_interval: ClassVar[float] = 15.0
    # [doc] InvalidParameter/InvalidURL/DataInspection/Arrearage (400), InvalidApiKey (401),
    # AccessDenied (403), Throttling (429). InternalError (500) may follow a created task.
    refusal_statuses: ClassVar[frozenset[int]] = frozenset({400, 401, 403, 429})
    # [doc] its temporary upload (getPolicy + an OSS form POST) yields oss:// URLs.
    takes_uploads: ClassVar[bool] = True

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.region = settings.dashscope_region

    def unsupported(self, args: GeneratingArgs) -> str | None:
        return None  # DashScope takes every parameter, and reads its own oss:// uploads

    def upload_policy_request(self, model: ModelName) -> HttpRequest:
        """[doc] The temporary upload's policy for `model`: files are bound to that model."""
        params = {"action": "getPolicy", "model": self.model_id(model) or model}
        headers = {**self._auth(), "Accept": "application/json"}
        return HttpRequest("GET", f"{self.base_url}/api/v1/uploads", headers, params=params)

    @property
    def account(self) -> str:
        """Which account uploads belong to, without the key: a short hash of it."""
        return hashlib.sha256((self._key or "").encode()).hexdigest()[:16]

    def extra_headers(self, args: GeneratingArgs) -> dict[str, str]:
        # DashScope resolves oss:// inputs from its temporary upload only when asked to.
        return {"X-DashScope-OssResourceResolve": "enable"} if args.uses_oss() else {}

    def poll_request(self, task_id: str) -> HttpRequest:
        return HttpRequest("GET", self.task_path(f"{self.base_url}/api/v1/tasks/", task_id), self._auth())

    # [doc] Only a task still waiting in the queue (PENDING) can be cancelled.
    cancel_rule = "it cancels only a job still waiting in its queue (PENDING), not one already running"

    def cancel_request(self, task_id: str) -> HttpRequest | None:
        url = self.task_path(f"{self.base_url}/api/v1/tasks/", task_id) + "/cancel"
        return HttpRequest("POST", url, {**self._auth(), "Accept": "application/json; charset=utf-8"})

    def parse_poll(self, response: HttpResponse) -> TaskSnapshot:
        body = self.parse_body(DashScopeTask, response)
        out = body.output
        finished = parse_dashscope_time(out.end_time)
        return TaskSnapshot(
            state=status_to_state(self.label, out.task_status, STATES),
            raw_status=out.task_status,
            video_url=out.video_url,
            video_expires_at=expiry_of(out.video_url, finished) if out.video_url else None,
            usage=body.usage,
            error_code=out.code,
            error_message=out.message,
            run_seconds=provider_run_seconds(parse_dashscope_time(out.submit_time), finished),
        )

    def error_for(self, response: HttpResponse, call: CallKind) -> WanError:
        body = self.parse_or_empty(DashScopeError, response)
        code = body.code or ""
        detail = body.message or response.text() or f"HTTP {response.status}"
        kind = self._classify(code, response.status, detail)
        if code == "ModelNotFound" or kind == "auth":
            # Keys, models and endpoints are per region: the commonest cause of both.
            detail += f" (DASHSCOPE_REGION is {self.region}; keys and models belong to one region)"
        return build_error(
            kind,
            label=self.label,
            detail=detail,
            code=body.code,
            call=call,
            key_hint=self.key_hint(),
            retry_after=retry_after_seconds(response),
        )

    def _classify(self, code: str, status: int, detail: str) -> ErrorKind:
        by_code: list[tuple[str, ErrorKind]] = [
            ("InvalidApiKey", "auth"),
            ("AccessDenied", "auth"),
            ("Arrearage", "balance"),
            ("DataInspection", "moderation"),
            ("Throttling", "rate_limited"),
            ("InternalError", "unavailable"),
            ("SystemError", "unavailable"),
            ("InvalidParameter", "invalid"),
            ("InvalidURL", "invalid"),
            ("BadRequest", "invalid"),
            ("UnsupportedOperation", "invalid"),
            ("ModelNotFound", "invalid"),
        ]
        for prefix, kind in by_code:
            if code.startswith(prefix):
                return kind
        return kind_from_status(status, f"{code} {detail}")

    def key_check_request(self) -> HttpRequest:
        # A status query of a task that does not exist costs nothing: a good key gets
        # 200 with UNKNOWN, a bad one 401.
        return self.poll_request(str(uuid.uuid4()))

    def key_verdict(self, response: HttpResponse) -> KeyVerdict | None:
        verdict = super().key_verdict(response)
        if verdict is not None and verdict.accepted:
            return KeyVerdict(True, f"accepted by {self.base_url} (region {self.region})")
        return verdict
