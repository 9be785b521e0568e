"""Emulated APIYI: DashScope-compatible submit under /wan, its own flat task query."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wan_video_mcp.emulator.common import admit, json_response, result_url
from wan_video_mcp.emulator.dashscope import submit_route
from wan_video_mcp.emulator.state import EmulatorState, Fault

STATUS = {
    "queued": "submitted",
    "running": "in_progress",
    "succeeded": "completed",
    "failed": "failed",
    "canceled": "failed",
}
# APIYI's error bodies are not documented; these follow its OpenAI-style gateway.
FAULT_BODIES: dict[str, tuple[int, str, str]] = {
    "auth": (401, "authentication_error", "Invalid token. Check your APIYI key."),
    "balance": (429, "insufficient_quota", "Insufficient account balance, please recharge."),
    "rate_limit": (429, "rate_limit_exceeded", "Rate limit reached for requests."),
    "moderation": (
        403,
        "content_policy_violation",
        "Input rejected by content moderation (sensitive content).",
    ),
    "invalid": (400, "invalid_request_error", "Invalid request."),
    "server_error": (500, "upstream_error", "Upstream service error."),
    "not_found": (404, "not_found", "Task not found."),
}


def apiyi_error_renderer(state: EmulatorState) -> Any:
    def render(fault: Fault) -> Response:
        status, kind, message = FAULT_BODIES[fault.kind]
        status = fault.status or status
        text = fault.message or message
        body: Any = {"error": {"message": text, "type": kind, "code": kind}}
        if state.options.apiyi_error_shape == "string":
            body = {"error": text}
        headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
        return json_response(status, body, headers)

    return render


def routes(state: EmulatorState) -> list[Route]:
    render = apiyi_error_renderer(state)

    def models() -> tuple[str, ...]:
        base = ("wan2.7-r2v", "wan2.7-videoedit")
        return (*base, "wan2.1-vace-plus") if state.options.apiyi_serves_vace else base

    async def get_task(request: Request) -> Response:
        await admit(request, state, "apiyi", "poll", render)
        task_id = request.path_params["task_id"]
        task = state.find("apiyi", task_id)
        phase = state.phase(task) if task else "expired"
        if task is None or phase == "expired":
            return render(Fault("not_found", status=state.options.missing_task_status))
        body: dict[str, Any] = {
            "task_id": task_id,
            "status": state.options.status_override or STATUS[phase],
            "progress": 0,
            "result_url": None,
            "error": None,
        }
        if phase == "running":
            body["progress"] = task.progress(state.clock.now())
        elif phase == "succeeded":
            body.update(progress=100, result_url=result_url(request, state, task))
        elif phase == "failed":
            message = state.failure_message(task)
            failure = {"code": task.script.error_code, "message": message}
            body["error"] = failure if state.options.apiyi_error_shape == "object" else message
        return json_response(200, body)

    return [
        submit_route(
            state, "apiyi", "/wan/api/v1/services/aigc/video-generation/video-synthesis", models, render
        ),
        Route("/v1/tasks/{task_id}", get_task, methods=["GET"]),
    ]
