"""Plumbing every emulated provider uses: recording, auth, faults that are the same
on every wire (slow, garbled, cut off), and result links."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from wan_video_mcp.emulator.state import (
    CallKind,
    EmulatedProvider,
    EmulatedTask,
    EmulatorState,
    Fault,
    RecordedRequest,
)

HUGE_ANSWER_BYTES = 6 * 1024 * 1024  # past the server's 4 MiB cap on an API answer


async def record(request: Request, state: EmulatorState, provider: str, call: CallKind) -> Any:
    """Log the request and return its JSON body (None when it has none, the text when not JSON)."""
    raw = await request.body()
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode("utf-8", errors="replace")
    state.requests.append(
        RecordedRequest(
            provider=provider,
            call=call,
            method=request.method,
            path=request.url.path,
            headers={key.lower(): value for key, value in request.headers.items()},
            query=dict(request.query_params),
            body=body,
            at=state.clock.now(),
            connection=f"{request.client.host}:{request.client.port}" if request.client else "",
        )
    )
    return body


class Refusal(Exception):
    """Raised by a route to answer with `response` at once (the app turns it into the answer)."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


async def answer_refusal(request: Request, exc: Exception) -> Response:
    del request
    assert isinstance(exc, Refusal)
    return exc.response


async def admit(
    request: Request,
    state: EmulatorState,
    provider: EmulatedProvider,
    call: CallKind,
    render: Callable[[Fault], Response],
) -> Any:
    """What every provider does first: log it, check the key, then any injected fault.

    Returns the JSON body; raises `Refusal` with the provider's answer otherwise.
    """
    body = await record(request, state, provider, call)
    if not bearer_ok(request, state, provider):
        raise Refusal(render(Fault("auth")))
    fault = state.take_fault(provider, call)
    if fault is not None and fault.after_create:
        request.state.after_create = fault  # answered by `accepted` once the task exists
    elif fault is not None and (response := await render_fault(fault, render)) is not None:
        raise Refusal(response)
    return body


async def accepted(request: Request, render: Callable[[Fault], Response], answer: Response) -> Response:
    """The answer to a submit whose task now exists: `answer`, unless a fault was saved for
    this moment (the provider created, and will bill, the job, then failed to say so)."""
    fault: Fault | None = getattr(request.state, "after_create", None)
    if fault is None:
        return answer
    return await render_fault(fault, render) or answer


def bearer_ok(request: Request, state: EmulatorState, provider: EmulatedProvider) -> bool:
    return request.headers.get("authorization") == f"Bearer {state.keys[provider]}"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


async def render_fault(fault: Fault, render: Callable[[Fault], Response]) -> Response | None:
    """The answer an injected fault calls for, or None to answer normally (any fault may
    take `delay` seconds to come, not only "slow")."""
    if fault.delay and fault.kind != "slow":
        await anyio.sleep(fault.delay)
    generic = await generic_fault(fault)
    if generic is not None:
        return generic
    return None if fault.kind == "slow" else render(fault)


async def generic_fault(fault: Fault) -> Response | None:
    """Faults that look the same on every provider's wire; None for provider-specific kinds."""
    if fault.kind == "slow":
        await anyio.sleep(fault.delay)
        return None  # then answer normally, too late for a short client timeout
    if fault.kind == "garbled":
        return Response(b'{"output": {"task_status": "RUNN', status_code=200, media_type="application/json")
    if fault.kind == "drop":
        return CutOffResponse(b'{"output": {"task_id": "', declared=400)
    if fault.kind == "huge":
        return StreamingResponse(_endless_json(), media_type="application/json")
    if fault.kind == "text":
        return PlainTextResponse(fault.message or "Bad Gateway", status_code=fault.status or 502)
    return None


async def _endless_json() -> AsyncIterator[bytes]:
    yield b'{"padding": "'
    for _ in range(HUGE_ANSWER_BYTES // 65536):
        yield b"x" * 65536
    yield b'"}'


class CutOffResponse(Response):
    """Declares more bytes than it sends, so the connection ends mid-answer."""

    def __init__(
        self, partial: bytes, declared: int, status_code: int = 200, media_type: str = "application/json"
    ):
        super().__init__(content=partial, status_code=status_code, media_type=media_type)
        self._partial = partial
        self._declared = declared

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-length", str(self._declared).encode()),
            (b"content-type", (self.media_type or "application/octet-stream").encode()),
        ]
        await send({"type": "http.response.start", "status": self.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": self._partial, "more_body": False})


def request_id() -> str:
    return str(uuid.uuid4())


def result_url(request: Request, state: EmulatorState, task: EmulatedTask) -> str:
    """A pre-signed-looking CDN link that stops working `result_ttl_seconds` after the end."""
    expires = int(task.ended_at + state.options.result_ttl_seconds)
    signature = hashlib.sha256(f"{task.token}:{expires}".encode()).hexdigest()[:24]
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return f"{origin}/cdn/{task.provider}/{task.token}.mp4?Expires={expires}&Signature={signature}"


def stamp(seconds: float) -> str:
    """DashScope's time format, `YYYY-MM-DD HH:mm:ss.SSS` (China Standard Time)."""
    moment = datetime.fromtimestamp(seconds + 8 * 3600, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat().replace("+00:00", "Z")


def epoch_ms() -> int:
    return int(time.time() * 1000)
