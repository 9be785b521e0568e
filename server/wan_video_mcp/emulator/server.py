"""Run the emulator on a loopback port inside the caller's event loop."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass

import anyio
import uvicorn

from wan_video_mcp.emulator.app import PROVIDER_PREFIXES, build_app
from wan_video_mcp.emulator.state import EmulatorState

ENV_NAMES = {
    "dashscope": ("DASHSCOPE_BASE_URL", "DASHSCOPE_API_KEY"),
    "apiyi": ("APIYI_BASE_URL", "APIYI_API_KEY"),
    "modellix": ("MODELLIX_BASE_URL", "MODELLIX_API_KEY"),
    "aimlapi": ("AIMLAPI_BASE_URL", "AIMLAPI_API_KEY"),
}


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None]:
        # The host program owns Ctrl-C; the emulator must not swallow it.
        yield


@dataclass
class RunningEmulator:
    state: EmulatorState
    origin: str

    def base_url(self, provider: str) -> str:
        return f"{self.origin}/{provider}"

    def environment(self) -> dict[str, str]:
        """Variables that point wan-video-mcp at this emulator, with its valid keys."""
        env: dict[str, str] = {}
        for provider in PROVIDER_PREFIXES:
            url_name, key_name = ENV_NAMES[provider]
            env[url_name] = self.base_url(provider)
            env[key_name] = self.state.keys[provider]  # pyright: ignore[reportArgumentType]
        return env


@contextlib.asynccontextmanager
async def serve_emulator(
    state: EmulatorState | None = None, host: str = "127.0.0.1", port: int = 0
) -> AsyncGenerator[RunningEmulator]:
    state = state or EmulatorState()
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY on accepted connections only when the listening
    # socket says it is TCP; without it every request after a connection's first waits ~40 ms
    # for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        build_app(state), log_level="critical", access_log=False, lifespan="off", timeout_graceful_shutdown=1
    )
    server = _EmbeddedServer(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve, [sock])
        while not server.started:  # noqa: ASYNC110  (uvicorn exposes a flag, not an event)
            await anyio.sleep(0.01)
        try:
            yield RunningEmulator(state, f"http://{host}:{bound_port}")
        finally:
            server.should_exit = True
