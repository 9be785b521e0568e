"""The emulator as one Starlette app: each provider under its own prefix, plus a CDN."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route

from wan_video_mcp.emulator import aimlapi, apiyi, dashscope, modellix
from wan_video_mcp.emulator.common import (
    CutOffResponse,
    Refusal,
    answer_refusal,
    generic_fault,
    json_response,
    record,
)
from wan_video_mcp.emulator.state import EmulatorState

PROVIDER_PREFIXES = ("dashscope", "apiyi", "modellix", "aimlapi")
OVERSIZE_BYTES = 3 * 1024 * 1024


def build_app(state: EmulatorState) -> Starlette:
    return Starlette(
        routes=[
            Mount("/dashscope", routes=dashscope.routes(state)),
            Mount("/apiyi", routes=apiyi.routes(state)),
            Mount("/modellix", routes=modellix.routes(state)),
            Mount("/aimlapi", routes=aimlapi.routes(state)),
            Route("/cdn/{provider}/{token}.mp4", _cdn(state), methods=["GET"]),
            Route("/", _index, methods=["GET"]),
        ],
        exception_handlers={Refusal: answer_refusal},
    )


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
        if fault is not None:
            return await _download_fault(state, fault.kind) or await generic_fault(fault) or _video(state)
        return _video(state)

    return download


async def _download_fault(state: EmulatorState, kind: str) -> Response | None:
    if kind == "truncate":
        return CutOffResponse(
            state.video[: len(state.video) // 2], declared=len(state.video), media_type="video/mp4"
        )
    if kind == "oversize":
        return StreamingResponse(
            _endless_video(state.video), media_type="video/mp4"
        )  # chunked: no length given
    if kind == "server_error":
        return PlainTextResponse("InternalError", 500)
    return None


async def _endless_video(video: bytes) -> AsyncIterator[bytes]:
    sent = 0
    while sent < OVERSIZE_BYTES:
        yield video
        sent += len(video)


def _video(state: EmulatorState) -> Response:
    return Response(state.video, media_type="video/mp4")
