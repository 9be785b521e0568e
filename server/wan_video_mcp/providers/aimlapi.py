"""AI/ML API: wan2.7-r2v only, as `alibaba/wan-2-7-r2v`, with its own names and values."""

from __future__ import annotations

import re
import uuid
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from wan_video_mcp.errors import WanError
from wan_video_mcp.params import GeneratingArgs, ReferenceVideoArgs
from wan_video_mcp.providers.base import CallKind, HttpRequest, HttpResponse, KeyVerdict, ProviderAdapter
from wan_video_mcp.providers.catalogue import AIMLAPI_R2V
from wan_video_mcp.providers.dashscope import status_to_state
from wan_video_mcp.providers.errormap import ErrorKind, build_error, kind_from_status, retry_after_seconds
from wan_video_mcp.tasks import TaskSnapshot, TaskState, expiry_of

GENERATIONS_PATH = "/v2/video/generations"
DURATIONS = (5, 10, 15)
STATES = {
    "queued": TaskState.QUEUED,
    "generating": TaskState.RUNNING,
    "completed": TaskState.SUCCEEDED,
    "error": TaskState.FAILED,
    # Not documented for this model; accepted defensively.
    "failed": TaskState.FAILED,
    "processing": TaskState.RUNNING,
    "waiting": TaskState.QUEUED,
    "active": TaskState.RUNNING,
}


class _Lenient(BaseModel):
    # Validators are built on first use, not at import (start-up needs none of them).
    model_config = ConfigDict(extra="allow", defer_build=True)


class AimlVideo(_Lenient):
    url: str | None = None


class AimlFailure(_Lenient):
    name: str | None = None
    message: str | None = None


class AimlMeta(_Lenient):
    usage: dict[str, Any] | None = None


class AimlGeneration(_Lenient):
    id: str
    status: str
    video: AimlVideo | None = None
    error: AimlFailure | str | None = None
    meta: AimlMeta | None = None


class AimlError(_Lenient):
    message: str | list[str] | None = None
    path: str | None = None
    requestId: str | None = None
    statusCode: str | int | None = None


class AimlApiAdapter(ProviderAdapter):
    name = "aimlapi"
    label: ClassVar[str] = "AI/ML API"
    key_env: ClassVar[str] = "AIMLAPI_API_KEY"
    poll_interval: ClassVar[float] = 15.0
    # Its ids are UUIDs (some of its other models add ":<model path>"); the id travels as a
    # query parameter, never as a path segment.
    task_id_pattern: ClassVar[re.Pattern[str]] = re.compile(r"(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_.:/-]{0,255}")
    task_id_rule: ClassVar[str] = "letters, digits and '-' '_' '.' ':' '/' (no '..'), at most 256 characters"
    # [doc] 400 validation, 401 key, 403 out of credits, 429 rate limit.
    refusal_statuses: ClassVar[frozenset[int]] = frozenset({400, 401, 403, 429})

    def unsupported(self, args: GeneratingArgs) -> str | None:
        if (reason := super().unsupported(args)) is not None:
            return reason
        if not isinstance(args, ReferenceVideoArgs):
            return None
        if args.duration not in DURATIONS:
            return f"AI/ML API accepts duration 5, 10 or 15 only (got {args.duration})"
        if args.reference_voices:
            return "AI/ML API takes no reference_voices"
        return None

    def submit_request(self, args: GeneratingArgs) -> HttpRequest:
        assert isinstance(args, ReferenceVideoArgs)
        headers = {**self._auth(), "Content-Type": "application/json"}
        return HttpRequest("POST", self.base_url + GENERATIONS_PATH, headers, json=aimlapi_body(args))

    def parse_submitted(self, response: HttpResponse) -> str:
        return self.parse_body(AimlGeneration, response).id

    def poll_request(self, task_id: str) -> HttpRequest:
        return HttpRequest(
            "GET", self.base_url + GENERATIONS_PATH, self._auth(), params={"generation_id": task_id}
        )

    def parse_poll(self, response: HttpResponse) -> TaskSnapshot:
        body = self.parse_body(AimlGeneration, response)
        state = status_to_state(self.label, body.status, STATES)
        url = body.video.url if body.video else None
        code, message = None, None
        if state is TaskState.FAILED:
            failure = body.error
            code = failure.name if isinstance(failure, AimlFailure) else None
            message = (failure.message if isinstance(failure, AimlFailure) else failure) or "no reason given"
        return TaskSnapshot(
            state=state,
            raw_status=body.status,
            video_url=url,
            video_expires_at=expiry_of(url, None) if url else None,
            usage=body.meta.usage if body.meta else None,
            error_code=code,
            error_message=message,
        )

    def error_for(self, response: HttpResponse, call: CallKind) -> WanError:
        body = self.parse_or_empty(AimlError, response)
        message = body.message
        detail = "; ".join(message) if isinstance(message, list) else message
        detail = detail or response.text() or f"HTTP {response.status}"
        kind: ErrorKind = "balance" if response.status == 403 else kind_from_status(response.status, detail)
        return build_error(
            kind,
            label=self.label,
            detail=detail,
            code=None,
            call=call,
            key_hint=self.key_hint(),
            retry_after=retry_after_seconds(response),
        )

    def key_check_request(self) -> HttpRequest:
        return self.poll_request(str(uuid.uuid4()))

    def key_verdict(self, response: HttpResponse) -> KeyVerdict | None:
        if response.status == 403:  # AI/ML API answers 403 when the account is out of credits
            return KeyVerdict(True, "accepted, but the account is out of credits (HTTP 403): top it up")
        return super().key_verdict(response)


def aimlapi_body(args: ReferenceVideoArgs) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": AIMLAPI_R2V,
        "prompt": args.prompt,
        "resolution": args.resolution.lower(),
        "duration": args.duration,
        "enhance_prompt": args.prompt_extend,
        "watermark": args.watermark,
    }
    if args.reference_images:
        body["image_urls"] = list(args.reference_images)
    if args.reference_videos:
        body["video_urls"] = list(args.reference_videos)
    if args.first_frame_image:
        body["first_frame_image"] = args.first_frame_image
    if not args.first_frame_image or args.was_set("ratio"):
        body["aspect_ratio"] = args.ratio
    if args.negative_prompt:
        body["negative_prompt"] = args.negative_prompt
    if args.seed is not None:
        body["seed"] = args.seed
    return body
