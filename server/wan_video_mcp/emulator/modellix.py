"""Emulated Modellix: flat bodies, `{code, message, data}` envelopes, key validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wan_video_mcp.emulator import checks
from wan_video_mcp.emulator.common import (
    accepted,
    admit,
    bearer_ok,
    iso,
    json_response,
    record,
    request_id,
    result_url,
)
from wan_video_mcp.emulator.state import EmulatedTask, EmulatorState, Fault

STATUS = {
    "queued": "pending",
    "running": "processing",
    "succeeded": "success",
    "failed": "failed",
    "canceled": "canceled",
}
FAULT_BODIES: dict[str, tuple[int, str]] = {
    "auth": (401, "Authentication: invalid or missing API key"),
    "balance": (402, "Payment required: insufficient balance"),
    "rate_limit": (429, "Rate limit: too many requests, 100 per minute allowed"),
    "moderation": (400, "Invalid parameters: input rejected by content moderation"),
    "invalid": (400, "Invalid parameters"),
    "server_error": (500, "Internal error: upstream model service failed"),
    "not_found": (404, "Not found: task does not exist"),
}
MEDIA = {"reference_images": checks.listing(checks.url, 5), "reference_videos": checks.listing(checks.url, 5)}
R2V: dict[str, checks.Check] = {
    "prompt": checks.text(1, 5000),
    **MEDIA,
    "first_frame_image": checks.url,
    "negative_prompt": checks.text(1, 500),
    "resolution": checks.choice("720P", "1080P"),
    "ratio": checks.choice(*checks.RATIOS),
    "duration": checks.integer(2, 15),
    "prompt_extend": checks.boolean,
    "seed": checks.integer(0, checks.MAX_SEED),
}
VIDEOEDIT: dict[str, checks.Check] = {
    "video_url": checks.url_or_data,
    "reference_images": checks.listing(checks.url, 4),
    **{
        name: R2V[name]
        for name in ("prompt", "negative_prompt", "resolution", "ratio", "prompt_extend", "seed")
    },
    "duration": checks.choice(0, 2, 3, 4, 5, 6, 7, 8, 9, 10),
    "audio_setting": checks.choice("auto", "origin"),
}
# Modellix's VACE takes no `strength`, and lists a fixed duration of 5.
VACE = {
    **checks.VACE_INPUT,
    **{k: v for k, v in checks.VACE_PARAMS.items() if k != "strength"},
    "duration": checks.choice(5),
}


def renderer(state: EmulatorState) -> Callable[[Fault], Response]:
    def render(fault: Fault) -> Response:
        # `fault.status` sets the HTTP status only: Modellix may wrap an error in HTTP 200,
        # its real status in the body's `code`.
        code, message = FAULT_BODIES[fault.kind]
        text = f"{message.split(':')[0]}: {fault.message}" if fault.message else message
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            # [doc] X-RateLimit-Reset; Retry-After only when the switch says so.
            headers["X-RateLimit-Reset"] = f"{fault.retry_after:g}"
            if state.options.modellix_retry_after_header:
                headers["Retry-After"] = f"{fault.retry_after:g}"
        return json_response(fault.status or code, {"code": code, "message": text}, headers or None)

    return render


def body_problem(model: str, body: Any, state: EmulatorState) -> str | None:
    problem = _body_problem(model, body, state.options.reject_unknown_fields)
    zero = model == "wan2.7-videoedit" and cast(dict[str, Any], body).get("duration") == 0
    if problem is None and zero and state.options.modellix_videoedit_zero_duration == "reject":
        return "parameter 'duration' must be from 2 to 10"
    return problem


def _body_problem(model: str, body: Any, strict: bool) -> str | None:
    if model == "wan2.7-r2v":
        problem = checks.fields(body, R2V, ("prompt",), strict)
        data = cast(dict[str, Any], body)
        if problem is None and not any(
            data.get(k) for k in ("reference_images", "reference_videos", "first_frame_image")
        ):
            problem = "at least one of reference_images, reference_videos or first_frame_image is required"
        if (
            problem is None
            and len(data.get("reference_images", [])) + len(data.get("reference_videos", [])) > 5
        ):
            problem = "reference_images and reference_videos together must be 5 or fewer"
        if problem is None and data.get("reference_videos") and data.get("duration", 5) > 10:
            problem = "duration must be 2-10 when reference_videos is present"
        return problem
    if model == "wan2.7-videoedit":
        return checks.fields(body, VIDEOEDIT, ("video_url",), strict)
    return checks.fields(body, VACE, ("function", "prompt"), strict) or checks.vace_function_rules(body)


def task_body(request: Request, state: EmulatorState, task: EmulatedTask) -> dict[str, Any]:
    phase = state.phase(task)
    status = state.options.status_override or STATUS[phase]
    data: dict[str, Any] = {"status": status, "task_id": task.task_id, "model_id": task.model}
    if phase in ("succeeded", "failed"):
        data["duration"] = int(task.script.run_seconds * 1000)
    if phase == "succeeded":
        resource = {"url": result_url(request, state, task), "type": "video", "width": 1280, "height": 720}
        data["result"] = {
            "resources": [{**resource, "format": "mp4", "role": "output"}],
            "metadata": {"request_id": request_id()},
            "extensions": {"submit_time": iso(task.created_at), "end_time": iso(task.ended_at)},
        }
    elif phase == "failed":
        _put_failure(data, state, task)
    return {"code": 0, "message": "success", "data": data}


def _put_failure(data: dict[str, Any], state: EmulatorState, task: EmulatedTask) -> None:
    message = state.failure_message(task)
    failure = {"code": task.script.error_code, "message": message}
    where = state.options.modellix_failure_field
    if where == "data.error":
        data["error"] = failure
    elif where == "data.message":
        data["message"] = message
    elif where == "data.result.error":
        data["result"] = {"resources": [], "error": failure}


def routes(state: EmulatorState) -> list[Route]:
    render = renderer(state)

    async def submit(request: Request) -> Response:
        body = await admit(request, state, "modellix", "submit", render)
        model = request.path_params["model"]
        if model not in ("wan2.7-r2v", "wan2.7-videoedit", "wan2.1-vace-plus"):
            return json_response(404, {"code": 404, "message": f"Not found: model {model}"})
        if "modellix" in state.exhausted:
            return render(Fault("balance"))
        if problem := body_problem(model, body, state):
            return render(Fault("invalid", message=problem))
        task = state.create_task("modellix", model, body, prefix="task-")
        origin = f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"
        get_result = {"method": "GET", "url": f"{origin}/api/v1/tasks/{task.task_id}"}
        data = {"status": "pending", "task_id": task.task_id, "model_id": model, "get_result": get_result}
        return await accepted(
            request, render, json_response(200, {"code": 0, "message": "success", "data": data})
        )

    async def get_task(request: Request) -> Response:
        await admit(request, state, "modellix", "poll", render)
        task = state.find("modellix", request.path_params["task_id"])
        if task is None or state.phase(task) == "expired":
            return render(Fault("not_found"))
        return json_response(200, task_body(request, state, task))

    async def validate(request: Request) -> Response:
        await record(request, state, "modellix", "check")
        valid = bearer_ok(request, state, "modellix")
        if not valid and (
            state.options.modellix_validate_bad_key == "401" or "authorization" not in request.headers
        ):
            return render(Fault("auth"))
        return json_response(200, {"code": 0, "message": "success", "data": {"is_valid": valid}})

    async def balance(request: Request) -> Response:
        await admit(request, state, "modellix", "check", render)
        amount = 0.0 if "modellix" in state.exhausted else 25.0
        return json_response(
            200, {"code": 0, "message": "success", "data": {"balance": amount, "currency": "USD"}}
        )

    return [
        Route("/api/v1/alibaba/{model}/async", submit, methods=["POST"]),
        # The provider's newest CLI posts without /async; both are accepted.
        Route("/api/v1/alibaba/{model}", submit, methods=["POST"]),
        Route("/api/v1/tasks/{task_id}", get_task, methods=["GET"]),
        Route("/api/v1/apikey/validate", validate, methods=["GET"]),
        Route("/api/v1/team/balance", balance, methods=["GET"]),
    ]
