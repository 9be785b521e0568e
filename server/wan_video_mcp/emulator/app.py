"""The emulator as one Starlette app: each provider under its own prefix, plus a CDN."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wan_video_mcp.emulator import aimlapi, apiyi, dashscope, modellix, uploads
from wan_video_mcp.emulator.common import (
    CutOffResponse,
    Refusal,
    answer_refusal,
    generic_fault,
    json_response,
    record,
)
from wan_video_mcp.emulator.state import EmulatorState, Fault

PROVIDER_PREFIXES = ("dashscope", "apiyi", "modellix", "aimlapi")
OVERSIZE_BYTES = 3 * 1024 * 1024


def build_app(state: EmulatorState) -> ASGIApp:
    app = Starlette(
        routes=[
            Mount("/dashscope", routes=dashscope.routes(state)),
            Mount("/apiyi", routes=apiyi.routes(state)),
            Mount("/modellix", routes=modellix.routes(state)),
            Mount("/aimlapi", routes=aimlapi.routes(state)),
            Route("/cdn/{provider}/{token}.mp4", _cdn(state), methods=["GET"]),
            uploads.oss_route(state),
            Route("/", _index, methods=["GET"]),
        ],
        exception_handlers={Refusal: answer_refusal},
    )
    return KeySpelling(app, state)


class KeySpelling:
    """Respells keys echoed in API answers as `echo_key` asks (JSON escapes, percent-encoding),
    the way a hostile or careless provider might: the server must catch every spelling."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self._app = app
        self._state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        spelled = self._state.options.echo_key in ("escaped", "percent")
        if scope["type"] != "http" or not spelled or str(scope["path"]).startswith("/cdn"):
            await self._app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def respell(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = self._state.spell_keys(b"".join(chunks))
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self._app(scope, receive, respell)


async def _index(request: Request) -> Response:
    origin = f"{request.url.scheme}://{request.url.netloc}"
    return json_response(
        200, {"emulator": "wan-video-mcp", "base_urls": {p: f"{origin}/{p}" for p in PROVIDER_PREFIXES}}
    )


def _cdn(state: EmulatorState):
    async def download(request: Request) -> Response:
        await record(request, state, request.path_params["provider"], "download")
        if "authorization" in request.headers:
            # Pre-signed links refuse credentials (APIYI documents exactly this 403).
            return PlainTextResponse("AccessDenied: signed URLs must not carry an Authorization header", 403)
        task = state.find_by_token(request.path_params["token"])
        expires = request.query_params.get("Expires", "0")
        if task is None:
            return PlainTextResponse("NoSuchKey", 404)
        if not expires.isdigit() or int(expires) < state.clock.now():
            return PlainTextResponse("AccessDenied: Request has expired", 403)
        fault = state.take_fault(request.path_params["provider"], "download") or state.take_fault(
            "*", "download"
        )
        video = state.video_of(task)
        if fault is not None and fault.kind == "redirect":
            # Without a location: to this same link once more (a CDN hop), the fault used up.
            return RedirectResponse(fault.location or f"{request.url}&hop=1", status_code=fault.status or 302)
        if fault is not None:
            return await _download_fault(video, fault) or await generic_fault(fault) or _video(video)
        return _video(video)

    return download


async def _download_fault(video: bytes, fault: Fault) -> Response | None:
    if fault.kind == "truncate":
        return CutOffResponse(video[: len(video) // 2], declared=len(video), media_type="video/mp4")
    if fault.kind == "oversize":
        return StreamingResponse(_endless_video(video), media_type="video/mp4")  # chunked: no length given
    if fault.kind == "server_error":
        return PlainTextResponse("InternalError", 500)
    if fault.kind == "stall":
        headers = {"content-length": str(len(video))}
        return StreamingResponse(_stalled(video, fault.delay), media_type="video/mp4", headers=headers)
    return None


async def _stalled(video: bytes, pause: float) -> AsyncIterator[bytes]:
    yield video[: len(video) // 2]
    await anyio.sleep(pause)
    yield video[len(video) // 2 :]


async def _endless_video(video: bytes) -> AsyncIterator[bytes]:
    sent = 0
    while sent < OVERSIZE_BYTES:
        yield video
        sent += len(video)


def _video(video: bytes) -> Response:
    return Response(video, media_type="video/mp4")
