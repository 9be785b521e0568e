"""Emulated DashScope: async submit with X-DashScope-Async, task query, cancel.

The submit handler is shared with APIYI, whose submit is DashScope-compatible;
each passes its own error renderer and model list.
"""

from __future__ import annotations

import json
from collections.abc import Callable
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
    stamp,
)
from wan_video_mcp.emulator.state import EmulatedProvider, EmulatedTask, EmulatorState, Fault
from wan_video_mcp.emulator.uploads import oss_url_problem, policy_route

WAN27 = ("wan2.7-r2v", "wan2.7-videoedit")
# [doc] The Beijing region keeps the older VACE name; the others use the new one.
VACE_BY_REGION = {"intl": "wan2.1-vace-plus", "us": "wan2.1-vace-plus", "cn": "wanx2.1-vace-plus"}
STATUS = {
    "queued": "PENDING",
    "running": "RUNNING",
    "succeeded": "SUCCEEDED",
    "failed": "FAILED",
    "canceled": "CANCELED",
    "expired": "UNKNOWN",
}
ErrorRenderer = Callable[[Fault], Response]

FAULT_BODIES: dict[str, tuple[int, str, str]] = {
    "auth": (401, "InvalidApiKey", "Invalid API-key provided."),
    "balance": (400, "Arrearage", "Access denied, please make sure your account is in good standing."),
    "rate_limit": (429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later."),
    "moderation": (400, "DataInspectionFailed", "Input data may contain inappropriate content."),
    "invalid": (400, "InvalidParameter", "The request parameter is invalid."),
    "server_error": (500, "InternalError", "An internal error has occured, please try again later."),
}


def dashscope_error(fault: Fault) -> Response:
    if fault.kind == "not_found":
        # DashScope answers an unknown task id with 200 and UNKNOWN, not with a 404.
        return json_response(200, {"request_id": request_id(), "output": {"task_status": "UNKNOWN"}})
    status, code, message = FAULT_BODIES[fault.kind]
    status = fault.status or status
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
    body = {"code": code, "message": fault.message or message, "request_id": request_id()}
    return json_response(status, body, headers)


def body_problem(body: Any, models: tuple[str, ...], strict: bool, min_edit_refs: int = 0) -> str | None:
    envelope = {"model": checks.choice(*models), "input": checks.anything, "parameters": checks.anything}
    if problem := checks.fields(body, envelope, ("model", "input"), strict):
        return "Model not exist." if "'model'" in problem and "required" not in problem else problem
    data = cast(dict[str, Any], body)
    input_, parameters = data["input"], data.get("parameters", {})
    if data["model"] == "wan2.7-r2v":
        return _r2v_problem(input_, parameters, strict)
    if data["model"] == "wan2.7-videoedit":
        return checks.fields(input_, checks.EDIT_INPUT, ("media",), strict) or (
            checks.edit_media(input_["media"], min_edit_refs)
            or checks.fields(parameters, checks.EDIT_PARAMS, (), strict)
        )
    return (
        checks.fields(input_, checks.VACE_INPUT, ("function", "prompt"), strict)
        or checks.fields(parameters, checks.VACE_PARAMS, (), strict)
        or checks.vace_function_rules({**input_, **parameters})
    )


def _r2v_problem(input_: Any, parameters: Any, strict: bool) -> str | None:
    problem = checks.fields(input_, checks.R2V_INPUT, ("prompt", "media"), strict) or checks.fields(
        parameters, checks.R2V_PARAMS, (), strict
    )
    if problem:
        return problem
    media = cast(list[dict[str, Any]], input_["media"])
    if problem := checks.r2v_media(media):
        return problem
    has_video = any(item.get("type") == "reference_video" for item in media)
    if has_video and cast(dict[str, Any], parameters).get("duration", 5) > 10:
        return "duration must be 2-10 when reference_video is given"
    return None


def submit_route(
    state: EmulatorState,
    provider: EmulatedProvider,
    path: str,
    models: Callable[[], tuple[str, ...]],
    render: ErrorRenderer,
) -> Route:
    async def submit(request: Request) -> Response:
        body = await admit(request, state, provider, "submit", render)
        if request.headers.get("x-dashscope-async") != "enable":
            return json_response(
                403,
                {
                    "code": "AccessDenied",
                    "message": "current user api does not support synchronous calls",
                    "request_id": request_id(),
                },
            )
        if provider in state.exhausted:
            return render(Fault("balance"))
        if "oss://" in json.dumps(body) and request.headers.get("x-dashscope-ossresourceresolve") != "enable":
            message = "oss:// inputs need the header X-DashScope-OssResourceResolve: enable"
            return render(Fault("invalid", message=message))
        if provider == "dashscope" and (problem := oss_url_problem(state, body, str(body.get("model")))):
            return render(Fault("invalid", message=problem))
        min_refs = 1 if provider == "apiyi" and state.options.apiyi_videoedit_requires_reference else 0
        if problem := body_problem(body, models(), state.options.reject_unknown_fields, min_refs):
            return render(Fault("invalid", message=problem))
        task = state.create_task(provider, body["model"], body)
        answer = {"output": {"task_id": task.task_id, "task_status": "PENDING"}, "request_id": request_id()}
        return await accepted(request, render, json_response(200, answer))

    return Route(path, submit, methods=["POST"])


def task_output(
    request: Request, state: EmulatorState, task: EmulatedTask | None, task_id: str
) -> dict[str, Any]:
    phase = state.phase(task) if task else "expired"
    status = state.options.status_override or STATUS[phase]
    body: dict[str, Any] = {
        "request_id": request_id(),
        "output": {"task_id": task_id, "task_status": status},
    }
    if task is None or phase == "expired":
        return body
    output = body["output"]
    output["submit_time"] = stamp(task.created_at)
    if phase != "queued":
        output["scheduled_time"] = stamp(task.created_at + task.script.queue_seconds)
    if phase == "succeeded":
        output.update(end_time=stamp(task.ended_at), video_url=result_url(request, state, task))
        output["orig_prompt"] = task.body["input"].get("prompt", "")
        body["usage"] = _usage(task, output)
    elif phase == "failed":
        output.update(end_time=stamp(task.ended_at), code=task.script.error_code)
        output["message"] = state.failure_message(task)
        if state.options.dashscope_usage_on_failure:
            body["usage"] = {**_usage(task, output), "video_count": 0}
    if "usage" in body and state.options.float_usage:
        body["usage"] = {k: float(v) if isinstance(v, int) else v for k, v in body["usage"].items()}
    return body


def _usage(task: EmulatedTask, output: dict[str, Any]) -> dict[str, Any]:
    if "vace" in task.model:
        output["task_metrics"] = {"TOTAL": 1, "SUCCEEDED": 1, "FAILED": 0}
        return {"video_count": 1, "video_duration": 5}
    parameters = task.body.get("parameters", {})
    seconds = parameters.get("duration") or 5
    input_seconds = 5 if task.model == "wan2.7-videoedit" else 0
    return {
        "duration": seconds + input_seconds,
        "input_video_duration": input_seconds,
        "output_video_duration": seconds,
        "video_count": 1,
        "SR": int(str(parameters.get("resolution", "1080P")).rstrip("P")),
    }


def routes(state: EmulatorState) -> list[Route]:
    async def get_task(request: Request) -> Response:
        await admit(request, state, "dashscope", "poll", dashscope_error)
        task_id = request.path_params["task_id"]
        return json_response(200, task_output(request, state, state.find("dashscope", task_id), task_id))

    async def cancel(request: Request) -> Response:
        await admit(request, state, "dashscope", "cancel", dashscope_error)
        task = state.find("dashscope", request.path_params["task_id"])
        if task is None or state.phase(task) != "queued":
            # [unknown] the real refusal's status and code; the SDK reads a top-level code/message.
            message = "Failed to cancel the task, please confirm if the task is in PENDING status."
            body = {"code": "UnsupportedOperation", "message": message, "request_id": request_id()}
            return json_response(400, body)
        task.canceled_at = state.clock.now()
        return json_response(200, {"request_id": request_id()})

    return [
        submit_route(
            state,
            "dashscope",
            "/api/v1/services/aigc/video-generation/video-synthesis",
            lambda: (*WAN27, VACE_BY_REGION[state.options.dashscope_region]),
            dashscope_error,
        ),
        Route("/api/v1/tasks/{task_id}", get_task, methods=["GET"]),
        policy_route(state),
        Route("/api/v1/tasks/{task_id}/cancel", cancel, methods=["POST"]),
    ]
