"""Modellix: flat JSON bodies, a `{code, message, data}` envelope, its own statuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from wan_video_mcp.errors import ProviderUnavailable, WanError
from wan_video_mcp.params import EditVideoArgs, GeneratingArgs, ModelName, ReferenceVideoArgs, VaceEditArgs
from wan_video_mcp.providers.base import (
    CallKind,
    HttpRequest,
    HttpResponse,
    KeyVerdict,
    ProviderAdapter,
    SubmitAnswer,
)
from wan_video_mcp.providers.dashscope import status_to_state
from wan_video_mcp.providers.dashscope_body import VACE_INPUT_FIELDS, VACE_PARAMETER_FIELDS
from wan_video_mcp.providers.errormap import build_error, kind_from_status, retry_after_seconds
from wan_video_mcp.tasks import TaskSnapshot, TaskState, expiry_of, from_epoch, provider_run_seconds

STATES = {
    "pending": TaskState.QUEUED,
    "processing": TaskState.RUNNING,
    "success": TaskState.SUCCEEDED,
    "failed": TaskState.FAILED,
    # Not documented for these models; accepted defensively.
    "completed": TaskState.SUCCEEDED,
    "succeeded": TaskState.SUCCEEDED,
    "canceled": TaskState.CANCELED,
    "cancelled": TaskState.CANCELED,
}


class _Lenient(BaseModel):
    # Validators are built on first use, not at import (start-up needs none of them).
    model_config = ConfigDict(extra="allow", defer_build=True)


class ModellixResource(_Lenient):
    url: str
    type: str | None = None


class ModellixFailure(_Lenient):
    code: str | int | None = None
    message: str | None = None


class ModellixResult(_Lenient):
    resources: list[ModellixResource] = []
    extensions: dict[str, Any] = {}
    error: ModellixFailure | str | None = None


class ModellixData(_Lenient):
    status: str | None = None
    task_id: str | None = None
    duration: float | None = None
    result: ModellixResult | None = None
    is_valid: bool | None = None
    balance: float | str | None = None
    # Where a failure reason lives is not documented; these are the candidates.
    error: ModellixFailure | str | None = None
    message: str | None = None
    error_message: str | None = None
    reason: str | None = None


class ModellixEnvelope(_Lenient):
    code: int | str | None = None
    message: str | None = None
    data: ModellixData | None = None


class ModellixAdapter(ProviderAdapter):
    name = "modellix"
    label: ClassVar[str] = "Modellix"
    key_env: ClassVar[str] = "MODELLIX_API_KEY"
    poll_interval: ClassVar[float] = 10.0
    # [doc] 400 validation, 401 key, 402 balance, 429 rate limit. Its 500/503 are "retryable",
    # which does not say that no job was created.
    refusal_statuses: ClassVar[frozenset[int]] = frozenset({400, 401, 402, 429})
    # [doc] wan2.7-videoedit video_url: "Input video URL (HTTP/HTTPS/OSS) or Base64 encoded data".
    inline_fields: ClassVar[frozenset[tuple[ModelName, str]]] = frozenset({("wan2.7-videoedit", "video_url")})

    def unsupported(self, args: GeneratingArgs) -> str | None:
        if (reason := super().unsupported(args)) is not None:
            return reason
        if isinstance(args, ReferenceVideoArgs) and args.reference_voices:
            return "Modellix's wan2.7-r2v takes no reference_voices"
        if isinstance(args, ReferenceVideoArgs | EditVideoArgs) and args.watermark:
            return "Modellix has no watermark option"
        if isinstance(args, VaceEditArgs) and args.was_set("strength"):
            return "Modellix's wan2.1-vace-plus takes no strength"
        return None

    def identity(self, args: GeneratingArgs) -> dict[str, Any]:
        identity = super().identity(args)
        if isinstance(args, EditVideoArgs) and not args.was_set("duration"):
            # Not sent, so Modellix's own default applies, which its documents give as 0 and
            # as 5: not the same request as an explicit 0.
            identity["duration"] = "Modellix's default"
        return identity

    def submit_request(self, args: GeneratingArgs) -> HttpRequest:
        url = f"{self.base_url}/api/v1/alibaba/{args.model}/async"
        headers = {**self._auth(), "Content-Type": "application/json"}
        return HttpRequest("POST", url, headers, json=modellix_body(args))

    def read_submit(self, response: HttpResponse) -> SubmitAnswer:
        # An error may come wrapped in HTTP 200, its real status in `code`.
        code = _int(self.parse_or_empty(ModellixEnvelope, response).code, 0)
        if response.ok and code != 0:
            return self.refused_or_unclear(response, code)
        return super().read_submit(response)

    def parse_submitted(self, response: HttpResponse) -> str:
        envelope = self.parse_body(ModellixEnvelope, response)
        if envelope.data is None or not envelope.data.task_id:
            raise ProviderUnavailable(self.label, f"no data.task_id in {response.text(120)!r}")
        return envelope.data.task_id

    def poll_request(self, task_id: str) -> HttpRequest:
        return HttpRequest("GET", self.task_path(f"{self.base_url}/api/v1/tasks/", task_id), self._auth())

    def parse_poll(self, response: HttpResponse) -> TaskSnapshot:
        envelope = self.parse_body(ModellixEnvelope, response)
        if _int(envelope.code, 0) != 0:
            raise self.error_for(response, "poll")  # an error wrapped in an HTTP 200
        data = envelope.data or ModellixData()
        raw = (data.status or "").lower()
        state = status_to_state(self.label, data.status or "<missing>", STATES)
        result = data.result or ModellixResult()
        video = next((r.url for r in result.resources if "video" in (r.type or "video")), None)
        finished = _parse_time(result.extensions.get("end_time"))
        code, message = _failure(data, envelope.message) if state is TaskState.FAILED else (None, None)
        return TaskSnapshot(
            state=state,
            raw_status=raw,
            video_url=video,
            video_expires_at=expiry_of(video, finished) if video else None,
            usage={"processing_ms": data.duration} if data.duration is not None else None,
            error_code=code,
            error_message=message,
            run_seconds=provider_run_seconds(_parse_time(result.extensions.get("submit_time")), finished),
        )

    def error_for(self, response: HttpResponse, call: CallKind) -> WanError:
        envelope = self.parse_or_empty(ModellixEnvelope, response)
        detail = envelope.message or response.text() or f"HTTP {response.status}"
        status = response.status if not response.ok else _int(envelope.code, 500)
        return build_error(
            kind_from_status(status, detail),
            label=self.label,
            detail=detail,
            code=None,
            call=call,
            key_hint=self.key_hint(),
            retry_after=retry_after_seconds(response),
        )

    def key_check_request(self) -> HttpRequest:
        return HttpRequest("GET", f"{self.base_url}/api/v1/apikey/validate", self._auth())

    def key_verdict(self, response: HttpResponse) -> KeyVerdict | None:
        if response.status == 401:
            return KeyVerdict(False, f"rejected: HTTP 401 {response.text(120)}")
        data = self.parse_or_empty(ModellixEnvelope, response).data
        if not response.ok or data is None or data.is_valid is None:
            return None
        valid = data.is_valid
        return KeyVerdict(
            valid, "accepted (apikey/validate: is_valid)" if valid else "rejected (is_valid: false)"
        )

    def balance_request(self) -> HttpRequest:
        return HttpRequest("GET", f"{self.base_url}/api/v1/team/balance", self._auth())


def modellix_body(args: GeneratingArgs) -> dict[str, Any]:
    match args:
        case ReferenceVideoArgs():
            body: dict[str, Any] = {
                "prompt": args.prompt,
                "resolution": args.resolution,
                "duration": args.duration,
                "prompt_extend": args.prompt_extend,
            }
            _put_set(
                body, args, ("reference_images", "reference_videos", "first_frame_image", "negative_prompt")
            )
            if not args.first_frame_image or args.was_set("ratio"):
                body["ratio"] = args.ratio
        case EditVideoArgs():
            body = {
                "video_url": args.video_url,
                "resolution": args.resolution,
                "audio_setting": args.audio_setting,
                "prompt_extend": args.prompt_extend,
            }
            # Modellix documents videoedit duration two ways (default 0 and default 5),
            # so it is sent only when the caller chose one.
            _put_set(body, args, ("prompt", "reference_images", "negative_prompt", "ratio", "duration"))
        case VaceEditArgs():
            body = {"function": args.function, "prompt": args.prompt}
            _put_set(body, args, VACE_INPUT_FIELDS + VACE_PARAMETER_FIELDS)
            if args.mask_image_url:
                body["mask_frame_id"] = args.mask_frame_id
            return body
    if args.seed is not None:
        body["seed"] = args.seed
    return body


def _put_set(body: dict[str, Any], args: GeneratingArgs, names: tuple[str, ...]) -> None:
    body.update({name: getattr(args, name) for name in names if args.was_set(name)})


def _failure(data: ModellixData, envelope_message: str | None) -> tuple[str | None, str]:
    for candidate in (data.error, (data.result or ModellixResult()).error, data.error_message, data.reason):
        if isinstance(candidate, ModellixFailure) and (candidate.message or candidate.code is not None):
            return _str_or_none(candidate.code), candidate.message or "no message"
        if isinstance(candidate, str) and candidate:
            return None, candidate
    for message in (data.message, envelope_message):
        if message and message.lower() != "success":
            return None, message
    return None, "Modellix reported the task as failed without a reason."


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return from_epoch(value / 1000 if value > 1e11 else value)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
