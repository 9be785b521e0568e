"""Emulated AI/ML API: `alibaba/wan-2-7-r2v` on /v2/video/generations."""

from __future__ import annotations

import time
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wan_video_mcp.emulator import checks
from wan_video_mcp.emulator.common import (
    accepted,
    admit,
    json_response,
    request_id,
    result_url,
)
from wan_video_mcp.emulator.state import EmulatedTask, EmulatorState, Fault

PATH = "/v2/video/generations"
STATUS = {
    "queued": "queued",
    "running": "generating",
    "succeeded": "completed",
    "failed": "error",
    "canceled": "error",
}
FAULT_BODIES: dict[str, tuple[int, str]] = {
    "auth": (401, "Unauthorized: invalid or missing API key"),
    # AI/ML API answers 403 when the account is out of credits.
    "balance": (403, "Your account has run out of credits. Top up to continue."),
    "rate_limit": (429, "Too many requests"),
    "moderation": (400, "Prompt was flagged by the content moderation system"),
    "invalid": (400, "Body validation failed"),
    "server_error": (500, "Internal server error"),
    "not_found": (404, "Generation not found"),
}
BODY: dict[str, checks.Check] = {
    "model": checks.choice("alibaba/wan-2-7-r2v"),
    "prompt": checks.text(1, 5000),
    "first_frame_image": checks.url,
    "image_urls": checks.listing(checks.url, 5),
    "video_urls": checks.listing(checks.url, 5),
    "aspect_ratio": checks.choice(*checks.RATIOS),
    "resolution": checks.choice("720p", "1080p"),
    "duration": checks.choice(5, 10, 15),
    "enhance_prompt": checks.boolean,
    "negative_prompt": checks.text(1, 500),
    "seed": checks.integer(0, checks.MAX_SEED),
    "watermark": checks.boolean,
}


def render(fault: Fault, path: str = PATH) -> Response:
    status, message = FAULT_BODIES[fault.kind]
    status = fault.status or status
    body = {
        "message": f"{message}: {fault.message}" if fault.message else message,
        "path": path,
        "requestId": request_id(),
        "statusCode": str(status),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
    }
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
    return json_response(status, body, headers)


def body_problem(body: Any, strict: bool) -> str | None:
    """The body rules, then the model's own media rules [doc: wan2.7-r2v]."""
    if problem := checks.fields(body, BODY, ("model", "prompt"), strict):
        return problem
    data = cast(dict[str, Any], body)
    images, videos = len(data.get("image_urls", [])), len(data.get("video_urls", []))
    if not (images or videos or data.get("first_frame_image")):
        return "one of image_urls, video_urls or first_frame_image is required"
    if images + videos > 5:
        return "image_urls and video_urls together must be 5 or fewer"
    if videos and data.get("duration", 10) > 10:
        return "duration must be 5 or 10 when video_urls are given"
    return None


def generation(request: Request, state: EmulatorState, task: EmulatedTask) -> dict[str, Any]:
    phase = state.phase(task)
    body: dict[str, Any] = {
        "id": task.task_id,
        "status": state.options.status_override or STATUS[phase],
        "video": None,
        "error": None,
        "meta": None,
    }
    if phase == "succeeded":
        seconds = task.body.get("duration", 10)
        body["video"] = {"url": result_url(request, state, task)}
        body["meta"] = {"usage": {"credits_used": 210 * seconds, "usd_spent": round(0.1 * seconds, 4)}}
    elif phase == "failed":
        body["error"] = {"name": task.script.error_code, "message": state.failure_message(task)}
    return body


def routes(state: EmulatorState) -> list[Route]:
    async def create(request: Request) -> Response:
        body = await admit(request, state, "aimlapi", "submit", render)
        if "aimlapi" in state.exhausted:
            return render(Fault("balance"))
        if problem := body_problem(body, state.options.reject_unknown_fields):
            return render(Fault("invalid", message=problem))
        task = state.create_task("aimlapi", "alibaba/wan-2-7-r2v", body)
        return await accepted(request, render, json_response(200, generation(request, state, task)))

    async def fetch(request: Request) -> Response:
        await admit(request, state, "aimlapi", "poll", render)
        task = state.find("aimlapi", request.query_params.get("generation_id", ""))
        if task is None or state.phase(task) == "expired":
            return render(Fault("not_found", status=state.options.missing_task_status))
        return json_response(200, generation(request, state, task))

    return [Route(PATH, create, methods=["POST"]), Route(PATH, fetch, methods=["GET"])]
